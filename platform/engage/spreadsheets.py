"""Every cell Engage writes into a CSV or XLSX file passes through :func:`safe_cell`.

The text in an export comes from many hands: an initiative's theme from its coordinator, a
company's name from the register import, another organisation's vote rationale. A spreadsheet
program runs a cell that starts with ``=`` (and, in CSV, ``+``, ``-``, ``@``, a tab or a
carriage return) as a formula — ``=HYPERLINK(…)`` sends the reader's data elsewhere. OWASP's
CSV-injection guidance: prefix such a cell with a single quote, so it is shown as the text it
is. We also look past leading white space (spreadsheet programs trim it when they read a CSV)
and at the full-width forms (＝ ＋ － ＠), which East Asian Excel reads as their ASCII twins.
``|`` and ``%`` start DDE payloads in older Excel (the rule defusedcsv follows). defusedcsv's
rule misses the tab and the carriage return and does not cover XLSX, hence one rule here.

Numbers and dates stay numbers and dates (a negative amount is a number, not text). In XLSX
every text cell is written as a string cell (``data_type 's'``), never a formula, and the
control characters XML cannot hold are dropped (from CSV too) instead of failing the download.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

# What a spreadsheet program may read as the start of a formula or a DDE command.
FORMULA_STARTS = frozenset("=+-@|%\uff1d\uff0b\uff0d\uff20")
_CONTROL_STARTS = ("\t", "\r", "\n")
_PLAIN_NUMBER = re.compile(r"^-?[0-9][0-9,.]*$")  # "-12.5" as text is a number, not a formula
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def is_dangerous(text: str) -> bool:
    """Would a spreadsheet program read this text as a formula (or a DDE command)?"""
    if not text:
        return False
    if text.startswith(_CONTROL_STARTS):
        return True
    stripped = text.lstrip()
    return bool(stripped) and stripped[0] in FORMULA_STARTS and not _PLAIN_NUMBER.match(stripped)


def safe_cell(value: Any) -> Any:
    """The value to write into a cell: numbers and dates as they are, ``None`` as an empty
    cell, any other value as text, with a leading ``'`` when it could start a formula."""
    if value is None:
        return ""
    if isinstance(value, (bool, int, float, Decimal, date, datetime)):
        return value
    text = _XML_ILLEGAL.sub("", str(value))
    return "'" + text if is_dangerous(text) else text


def csv_bytes(rows: Iterable[Iterable[Any]]) -> bytes:
    """Rows as a CSV file: UTF-8 with a byte-order mark, so that spreadsheet programs read the
    accents; every cell through :func:`safe_cell`."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def append_row(sheet: Any, values: Iterable[Any]) -> list[Any]:
    """Append one row to an openpyxl worksheet, every cell through :func:`safe_cell`; text is
    a string cell whatever it looks like. Returns the row's cells (to style them)."""
    row = [safe_cell(v) for v in values]
    sheet.append(row)
    if not row:
        return []
    cells = list(sheet[sheet.max_row])[:len(row)]  # append writes below every other row
    for cell, value in zip(cells, row):
        if isinstance(value, str):
            cell.data_type = "s"  # openpyxl makes any text that starts with '=' a formula
    return cells

