"""Reading an uploaded CSV file: encoding, separator, header, and the values in its cells.

Nothing here touches the database. The file is read as a stream, a line at a time, never
whole into memory. The parsers raise :class:`CellError` with the reason a person can act on;
:mod:`engage.companies.imports` collects those per line, so one upload reports its bad lines
at once (the first hundred, and how many more).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import BinaryIO, TextIO

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


MAX_LISTED_ERRORS = 100  # a file of a million bad lines lists the first 100 and a count


class ImportFileError(Exception):
    """The file cannot be imported; ``errors`` lists its first bad lines and ``total`` counts
    them all. Nothing was written."""

    def __init__(self, errors: list[LineError], total: int | None = None):
        self.errors = sorted(errors, key=lambda e: e.line)[:MAX_LISTED_ERRORS]
        self.total = max(total or 0, len(errors))
        super().__init__("; ".join(str(e) for e in self.errors[:5]))

    @property
    def more(self) -> int:
        return self.total - len(self.errors)

    def messages(self) -> list[str]:
        """What a person reads: each listed line, then how many more there are."""
        listed = [str(e) for e in self.errors]
        if self.more:
            listed.append(_("… and %(count)d more bad lines", count=self.more))
        return listed


class Errors:
    """The bad lines of one file as they are found: the first :data:`MAX_LISTED_ERRORS` kept,
    the rest counted, so a hostile file cannot fill the memory with messages."""

    def __init__(self) -> None:
        self.listed: list[LineError] = []
        self.total = 0

    def add(self, line: int, reason: str) -> None:
        self.total += 1
        if len(self.listed) < MAX_LISTED_ERRORS:
            self.listed.append(LineError(line, reason))

    def check(self) -> None:
        if self.total:
            raise ImportFileError(self.listed, self.total)


Source = bytes | BinaryIO
Checking = Callable[[int, int], None]  # (lines read, lines in the file): progress while checking
CHECKING_EVERY = 2000


@dataclass
class Table:
    """The file being read: its encoding, separator and normalised column names; iterating
    gives each data line (its number, its values by column) once, as it is read from the
    stream. Bad lines go to ``errors``; ``lines`` counts the data lines read."""

    encoding: str
    separator: str
    columns: list[str]
    text: TextIO
    physical_lines: int = 0  # the file's lines, header included (for progress)
    errors: Errors = field(default_factory=Errors)
    lines: int = 0
    checking: Checking | None = None

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        reader = csv.reader(self.text, delimiter=self.separator)
        width = len(self.columns)
        while True:
            try:
                values = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                # One line cannot be parsed (a value longer than the csv module's field limit,
                # say): the reader has consumed it, so the next lines are read on.
                self.errors.add(reader.line_num + 1, _unreadable(exc))
                continue
            line = reader.line_num + 1  # the header was line 1
            if self.checking and line % CHECKING_EVERY == 0:
                self.checking(line, self.physical_lines)
            if not any(v.strip() for v in values):
                continue  # blank lines (a trailing newline, a spreadsheet's empty rows)
            self.lines += 1
            if len(values) != width:
                self.errors.add(line, _("%(found)d values where the header has %(expected)d "
                                        "columns", found=len(values), expected=width))
                continue
            if any("\x00" in v for v in values):
                self.errors.add(line, _("the line contains a NUL character"))
                continue
            yield line, {c: v.strip() for c, v in zip(self.columns, values)}
        if not self.lines and not self.errors.total:
            self.errors.add(2, _("the file has a header but no data lines"))
        if self.checking:
            self.checking(self.physical_lines, self.physical_lines)


def _unreadable(exc: csv.Error) -> str:
    if "field larger than field limit" in str(exc):
        return _("a value is longer than %(limit)d characters", limit=csv.field_size_limit())
    return _("the line cannot be read as CSV (%(reason)s)", reason=str(exc))


def _seekable(source: Source) -> BinaryIO:
    if isinstance(source, (bytes, bytearray)):
        return io.BytesIO(source)
    if source.seekable():
        source.seek(0)
        return source
    copy = tempfile.TemporaryFile()  # read twice (encoding, then lines): spooled to disk
    shutil.copyfileobj(source, copy)
    copy.seek(0)
    return copy


def encoding_of(stream: BinaryIO) -> tuple[str, int]:
    """UTF-8 (with or without a byte-order mark), else Latin-1, which decodes any byte. One
    pass over the stream, a line at a time. A file that is UTF-8 in some lines and not in
    others has its other lines listed rather than every accent garbled; UTF-16 is refused.
    Returns the encoding and the number of lines."""
    if stream.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise ImportFileError([LineError(1, _(
            "the file is UTF-16 text; save it as “CSV UTF-8” (or CSV) and upload that"))])
    stream.seek(0)
    utf8 = stream.read(3) == codecs.BOM_UTF8
    stream.seek(0)
    bad: list[int] = []
    number = 0
    for number, raw in enumerate(stream, start=1):
        if raw.isascii():
            continue
        try:
            raw.decode("utf-8")
            utf8 = True
        except UnicodeDecodeError:
            bad.append(number)
    stream.seek(0)
    if not bad:
        return "utf-8", number
    if not utf8:
        return "latin-1", number
    errors = Errors()
    for number in bad:
        errors.add(number, _("this line is not UTF-8 like the rest of the file; save the file "
                             "as “CSV UTF-8” and upload it again"))
    errors.check()
    return "utf-8", number


def _normalise(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _header(text: TextIO) -> str:
    first = text.readline()
    if first.strip():
        return first
    for line in text:  # a blank first line: is there anything at all?
        if line.strip():
            return first
    raise ImportFileError([LineError(1, _("the file is empty"))])


def read_table(source: Source, required: tuple[str, ...], aliases: dict[str, str] | None = None,
               one_of: tuple[str, ...] = (), checking: Checking | None = None) -> Table:
    """Find the encoding, pick the separator whose header has the required columns; the
    returned :class:`Table` reads the data lines from the stream as it is iterated.

    ``source`` is the file's bytes or a binary stream (an upload, an open file), which is
    never read whole into memory. ``aliases`` maps other spellings of a column (``date``) to
    its name (``valued_on``); ``one_of`` names columns of which at least one must be present
    (identifiers); ``checking`` hears how far the reading is, every few thousand lines.
    """
    stream = _seekable(source)
    encoding, physical_lines = encoding_of(stream)
    text = io.TextIOWrapper(stream, encoding="utf-8-sig" if encoding == "utf-8" else encoding,
                            newline="")
    first_line = _header(text)
    aliases = aliases or {}
    best: tuple[int, str, list[str]] | None = None
    for sep in SEPARATORS:
        try:
            header = next(csv.reader([first_line], delimiter=sep))
        except csv.Error as exc:
            raise ImportFileError([LineError(1, _unreadable(exc))]) from None
        columns = [aliases.get(_normalise(c), _normalise(c)) for c in header]
        found = sum(1 for r in required if r in columns) + (1 if set(one_of) & set(columns) else 0)
        if best is None or found > best[0] or (found == best[0] and len(columns) > len(best[2])):
            best = (found, sep, columns)
    separator, columns = best[1], best[2]
    missing = [r for r in required if r not in columns]
    errors = Errors()
    if missing:
        errors.add(1, _(
            "missing column(s): %(missing)s (found: %(found)s; the separator must be ';' or ',')",
            missing=", ".join(missing), found=", ".join(c for c in columns if c) or "-"))
    if one_of and not set(one_of) & set(columns):
        errors.add(1, _("one of the columns %(names)s is needed to identify the company",
                        names=", ".join(one_of)))
    duplicates = sorted({c for c in columns if c and columns.count(c) > 1})
    if duplicates:
        errors.add(1, _("column(s) named twice: %(names)s", names=", ".join(duplicates)))
    errors.check()
    return Table(encoding=encoding, separator=separator, columns=columns, text=text,
                 physical_lines=physical_lines, checking=checking)


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
