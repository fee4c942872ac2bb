"""Reading an uploaded CSV file: encoding, separator, header, and the values in its cells.

Nothing here touches the database. The parsers raise :class:`CellError` with the reason a
person can act on; :mod:`engage.companies.imports` collects those per line, so one upload
reports every bad line at once.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

SEPARATORS = (";", ",")
_ISIN = re.compile(r"^[A-Z]{2}[A-Z0-9]{9}[0-9]$")
_LEI = re.compile(r"^[A-Z0-9]{18}[0-9]{2}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


class CellError(ValueError):
    """One cell's value is not acceptable; the message says why."""


@dataclass(frozen=True)
class LineError:
    line: int  # 1 is the header line, as a spreadsheet numbers it
    reason: str

    def __str__(self) -> str:
        return _("line %(line)d: %(reason)s", line=self.line, reason=self.reason)


class ImportFileError(Exception):
    """The file cannot be imported; ``errors`` lists every bad line. Nothing was written."""

    def __init__(self, errors: list[LineError]):
        self.errors = sorted(errors, key=lambda e: e.line)
        super().__init__("; ".join(str(e) for e in self.errors[:5]))


@dataclass
class Table:
    """The decoded file: normalised column names and the data lines with their numbers."""

    encoding: str
    separator: str
    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]


def decode(raw: bytes) -> tuple[str, str]:
    """UTF-8 (with or without a byte-order mark), else Latin-1, which decodes any byte."""
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def _normalise(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def read_table(raw: bytes, required: tuple[str, ...], aliases: dict[str, str] | None = None,
               one_of: tuple[str, ...] = ()) -> Table:
    """Decode, pick the separator whose header has the required columns, read every line.

    ``aliases`` maps other spellings of a column (``date``) to its name (``valued_on``);
    ``one_of`` names columns of which at least one must be present (identifiers).
    """
    text, encoding = decode(raw)
    if not text.strip():
        raise ImportFileError([LineError(1, _("the file is empty"))])
    first_line = text.splitlines()[0]
    aliases = aliases or {}
    best: tuple[int, str, list[str]] | None = None
    for sep in SEPARATORS:
        header = next(csv.reader([first_line], delimiter=sep))
        columns = [aliases.get(_normalise(c), _normalise(c)) for c in header]
        found = sum(1 for r in required if r in columns) + (1 if set(one_of) & set(columns) else 0)
        if best is None or found > best[0] or (found == best[0] and len(columns) > len(best[2])):
            best = (found, sep, columns)
    separator, columns = best[1], best[2]
    missing = [r for r in required if r not in columns]
    errors = []
    if missing:
        errors.append(LineError(1, _(
            "missing column(s): %(missing)s (found: %(found)s; the separator must be ';' or ',')",
            missing=", ".join(missing), found=", ".join(c for c in columns if c) or "-")))
    if one_of and not set(one_of) & set(columns):
        errors.append(LineError(1, _("one of the columns %(names)s is needed to identify the "
                                     "company", names=", ".join(one_of))))
    duplicates = sorted({c for c in columns if c and columns.count(c) > 1})
    if duplicates:
        errors.append(LineError(1, _("column(s) named twice: %(names)s",
                                     names=", ".join(duplicates))))
    if errors:
        raise ImportFileError(errors)

    rows: list[tuple[int, dict[str, str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    next(reader)
    width = len(columns)
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue  # blank lines (a trailing newline, a spreadsheet's empty rows)
        if len(values) != width:
            errors.append(LineError(line, _(
                "%(found)d values where the header has %(expected)d columns",
                found=len(values), expected=width)))
            continue
        rows.append((line, {c: v.strip() for c, v in zip(columns, values)}))
    if errors:
        raise ImportFileError(errors)
    if not rows:
        raise ImportFileError([LineError(2, _("the file has a header but no data lines"))])
    return Table(encoding=encoding, separator=separator, columns=columns, rows=rows)


# --- cell parsers -------------------------------------------------------------------------------

# ISO 6166 check digit: letters become two digits (A=10 ... Z=35), then Luhn from the right.
_AS_DIGITS = {ch: str(int(ch, 36)) for ch in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
_DOUBLED = {str(d): (2 * d) // 10 + (2 * d) % 10 for d in range(10)}


def isin(value: str) -> str:
    """An ISIN: two letters, nine letters or digits, a check digit (ISO 6166, Luhn)."""
    code = value.replace(" ", "").upper()
    if not _ISIN.match(code):
        raise CellError(_("“%(value)s” is not an ISIN (two letters, nine letters or digits, "
                          "one check digit)", value=value))
    digits = "".join([_AS_DIGITS[ch] for ch in code[:-1]])[::-1]
    # The rightmost digit before the check digit is doubled, then every second one.
    total = sum([_DOUBLED[d] for d in digits[0::2]]) + sum(map(int, digits[1::2]))
    if (10 - total % 10) % 10 != int(code[-1]):
        raise CellError(_("ISIN %(value)s has a wrong check digit", value=code))
    return code


def lei(value: str) -> str:
    """A Legal Entity Identifier: 20 characters, ISO 17442 check digits (mod 97)."""
    code = value.replace(" ", "").upper()
    if not _LEI.match(code) or int("".join(str(int(ch, 36)) for ch in code)) % 97 != 1:
        raise CellError(_("“%(value)s” is not a valid LEI", value=value))
    return code


def country(value: str) -> str:
    code = value.strip().upper()
    if not _COUNTRY.match(code):
        raise CellError(_("country “%(value)s” is not a two-letter ISO code", value=value))
    return code


def a_date(value: str) -> date:
    """ISO dates (2026-03-31), or day first as Dutch spreadsheets write them (31-03-2026)."""
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    raise CellError(_("“%(value)s” is not a date (write 2026-03-31)", value=value))


def amount(value: str) -> Decimal:
    """A non-negative amount; '1.234,56' and '1,234.56' both read as 1234.56."""
    text = value.replace(" ", "").replace("\u00a0", "").replace("€", "")
    if "," in text and "." in text:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
        thousands = "." if decimal_mark == "," else ","
        text = text.replace(thousands, "").replace(decimal_mark, ".")
    elif "," in text:
        text = text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellError(_("“%(value)s” is not an amount", value=value)) from None
    if not number.is_finite() or number < 0:
        raise CellError(_("“%(value)s” is not an amount of zero or more", value=value))
    if number >= Decimal("1e18"):
        raise CellError(_("“%(value)s” is too large", value=value))
    return number.quantize(Decimal("0.01"))


def required(row: dict[str, str], column: str) -> str:
    value = row.get(column, "")
    if not value:
        raise CellError(_("“%(column)s” is empty", column=column))
    return value
