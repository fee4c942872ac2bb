"""The stewardship report as HTML, CSV, XLSX and PDF, from :meth:`StewardshipReport.tables`."""

from __future__ import annotations

import io

from flask import render_template
from flask_babel import gettext as _

from engage.common import printing
from engage.reports.service import StewardshipReport
from engage.spreadsheets import append_row, csv_bytes

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def export(report: StewardshipReport, fmt: str) -> bytes:
    """The report as a file of ``fmt``, its export audited (the page, the API and the CLI);
    the caller commits."""
    from engage.audit import service as audit

    body = render(report, fmt)
    audit.record("report.export", object_type="report", object_id=fmt,
                 after={"format": fmt, "start": report.start, "end": report.end,
                        "private_notes": report.notes is not None})
    return body


def filename(report: StewardshipReport, fmt: str) -> str:
    return f"stewardship-{report.start.isoformat()}-{report.end.isoformat()}.{fmt}"


def html(report: StewardshipReport, printable: bool = False) -> str:
    template = "reports/print.html" if printable else "reports/_report.html"
    return render_template(template, report=report, tables=report.tables())


def to_csv(report: StewardshipReport) -> bytes:
    """One CSV: a line per table row, led by the section's name (cells through
    :mod:`engage.spreadsheets`, which neutralises formulas)."""
    def rows():
        yield [_("Stewardship report"), report.organisation, report.start.isoformat(),
               report.end.isoformat()]
        for table in report.tables():
            yield []
            yield [table.title, "; ".join(str(s) for s in table.serves)]
            yield [_("Section"), *table.headers]
            for row in table.rows:
                yield [table.key, *row]

    return csv_bytes(rows())


def to_xlsx(report: StewardshipReport) -> bytes:
    """A workbook with one sheet per section, each headed by what it serves; every cell
    through :mod:`engage.spreadsheets` (text is never a formula)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for table in report.tables():
        sheet = book.create_sheet(title=table.key[:31])
        append_row(sheet, [table.title])[0].font = Font(bold=True, size=13)
        for serves in table.serves:
            append_row(sheet, [serves])
        append_row(sheet, [report.organisation, report.start, report.end])
        sheet.append([])
        for cell in append_row(sheet, table.headers):
            cell.font = Font(bold=True)
        for row in table.rows:
            append_row(sheet, row)
        sheet.column_dimensions["A"].width = 40
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_pdf(report: StewardshipReport) -> bytes:
    return printing.pdf(html(report, printable=True))


def render(report: StewardshipReport, fmt: str) -> bytes:
    return {"csv": to_csv, "xlsx": to_xlsx, "pdf": to_pdf}[fmt](report)
