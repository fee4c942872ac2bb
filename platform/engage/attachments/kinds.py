"""What an uploaded file is, read from its content — never from its name.

The allow-list is small and explicit: PDF, PNG and JPEG by their signatures, DOCX and XLSX
as ZIP files whose directory holds the parts those formats require, e-mail (EML) as headers
an e-mail must have, and plain UTF-8 text. Anything else — HTML, SVG, scripts, executables,
other archives — is refused, whatever it is called. (A library such as ``filetype`` reads
the same three signatures but checks no ZIP structure, text or e-mail, which are most of
the list; the table below is the whole rule, in one place.)

Each kind is served back with its own content type and always as a download
(``Content-Disposition: attachment``, ``nosniff``), never rendered inline.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    key: str
    mimetype: str
    extensions: tuple[str, ...]  # the first one is added to a name that lacks them all
    label: str


PDF = Kind("pdf", "application/pdf", (".pdf",), "PDF")
PNG = Kind("png", "image/png", (".png",), "PNG")
JPEG = Kind("jpeg", "image/jpeg", (".jpg", ".jpeg"), "JPEG")
DOCX = Kind("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            (".docx",), "Word (DOCX)")
XLSX = Kind("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            (".xlsx",), "Excel (XLSX)")
EML = Kind("eml", "message/rfc822", (".eml",), "E-mail (EML)")
TEXT = Kind("text", "text/plain; charset=utf-8", (".txt",), "Plain text")

KINDS = (PDF, PNG, JPEG, DOCX, XLSX, EML, TEXT)
MIMETYPES = tuple(k.mimetype for k in KINDS)

# Signatures at offset 0.
_SIGNATURES = ((b"%PDF-", PDF), (b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG))
_ZIP = b"PK\x03\x04"
# The parts an Office Open XML package of each kind must hold.
_OOXML = ((DOCX, "word/document.xml"), (XLSX, "xl/workbook.xml"))
# Text that a browser would treat as markup or script if it were ever rendered.
_MARKUP = re.compile(rb"<\s*(!doctype|html|head|body|script|svg|iframe|object|embed|meta|"
                     rb"\?xml|style|link|img|a\s)", re.IGNORECASE)
_HEADER = re.compile(rb"^[A-Za-z0-9-]+:[ \t]")
_EMAIL_HEADERS = {b"from", b"date", b"subject", b"to", b"message-id", b"received",
                  b"mime-version"}


def _ooxml(data: bytes) -> Kind | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())  # the central directory only: nothing unpacked
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    for kind, part in _OOXML:
        if part in names:
            return kind
    return None


def _text(data: bytes) -> str | None:
    if b"\x00" in data:
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    # Control characters other than tab, line ends and form feed mark a binary file.
    if any(ord(c) < 32 and c not in "\t\n\r\f" for c in text):
        return None
    return text


def _email(data: bytes) -> bool:
    """Headers first (``Name: value`` lines, continuation lines indented), among them at
    least From and two other headers an e-mail carries, then a blank line."""
    head = data.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    names = set()
    for line in head.splitlines():
        if line[:1] in (b" ", b"\t"):
            continue
        if not _HEADER.match(line):
            return False
        names.add(line.split(b":", 1)[0].lower())
    return b"from" in names and len(names & _EMAIL_HEADERS) >= 3


def detect(data: bytes) -> Kind | None:
    """The kind of ``data`` on the allow-list, or None when it is none of them."""
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            return kind
    if data.startswith(_ZIP):
        return _ooxml(data)
    if b"\x00" not in data and _email(data):
        # A message's body may be HTML or in another charset: it is served as message/rfc822,
        # to be opened by a mail program, never by the browser.
        return EML
    if _text(data) is None or _MARKUP.search(data):
        return None
    return TEXT
