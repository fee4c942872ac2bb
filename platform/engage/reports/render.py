"""The stewardship report as HTML, CSV, XLSX and PDF, from :meth:`StewardshipReport.tables`."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from flask import render_template
from flask_babel import gettext as _

from engage.reports.service import StewardshipReport

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (int, float, date)):
        return value
    return str(value)


def filename(report: StewardshipReport, fmt: str) -> str:
    return f"stewardship-{report.start.isoformat()}-{report.end.isoformat()}.{fmt}"


def html(report: StewardshipReport, printable: bool = False) -> str:
    template = "reports/print.html" if printable else "reports/_report.html"
    return render_template(template, report=report, tables=report.tables())


def to_csv(report: StewardshipReport) -> bytes:
    """One CSV: a line per table row, led by the section's name; UTF-8 with a BOM so that
    spreadsheet programs read the accents."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Stewardship report"), report.organisation, report.start.isoformat(),
                     report.end.isoformat()])
    for table in report.tables():
        writer.writerow([])
        writer.writerow([str(table.title), "; ".join(str(s) for s in table.serves)])
        writer.writerow([_("Section"), *[str(h) for h in table.headers]])
        for row in table.rows:
            writer.writerow([table.key, *[_cell(v) for v in row]])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(report: StewardshipReport) -> bytes:
    """A workbook with one sheet per section, each headed by what it serves."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for table in report.tables():
        sheet = book.create_sheet(title=table.key[:31])
        sheet.append([str(table.title)])
        sheet["A1"].font = Font(bold=True, size=13)
        for serves in table.serves:
            sheet.append([str(serves)])
        sheet.append([report.organisation, report.start, report.end])
        sheet.append([])
        sheet.append([str(h) for h in table.headers])
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([_cell(v) for v in row])
        sheet.column_dimensions["A"].width = 40
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_pdf(report: StewardshipReport) -> bytes:
    from weasyprint import HTML  # heavy import: only where a report is printed

    return HTML(string=html(report, printable=True)).write_pdf()


def render(report: StewardshipReport, fmt: str) -> bytes:
    return {"csv": to_csv, "xlsx": to_xlsx, "pdf": to_pdf}[fmt](report)
