"""The votes for the proxy agent, as CSV or XLSX: the votes page's filters, one line per vote,
every cell through :mod:`engage.spreadsheets` (a cell never runs as a formula)."""

from __future__ import annotations

import io
from datetime import date

from flask_babel import gettext as _

from engage.common.labels import label
from engage.spreadsheets import append_row, csv_bytes
from engage.votes import consistency, season

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def headers() -> list[str]:
    return [_("Company"), _("ISIN"), _("AGM date"), _("Item"), _("Item kind"),
            _("Instruction"), _("Rationale"), _("Status"), _("Requested instruction"),
            _("Flagged"), _("Why flagged")]


def rows(filters: season.Filters, today: date) -> list[list[object]]:
    """One line per vote as the page filters them (the organisation's own, by tenancy)."""
    votes = season.all_votes(filters, today)
    escalations = consistency.escalations_on(v.company_id for v in votes)
    lines = []
    for v in votes:
        flags = consistency.vote_flags(v, escalations)
        lines.append([
            v.company.name, v.company.isin, v.agm_on, v.item, label("vote_item_kind", v.item_kind),
            label("vote_instruction", v.instruction), v.rationale,
            label("vote_status", v.status),
            label("vote_instruction", v.requested_instruction) if v.requested_instruction else None,
            _("yes") if flags else _("no"), " ".join(flag.text for flag in flags),
        ])
    return lines


def to_csv(filters: season.Filters, today: date) -> bytes:
    return csv_bytes([headers(), *rows(filters, today)])


def to_xlsx(filters: season.Filters, today: date) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = _("Votes")[:31]
    for cell in append_row(sheet, headers()):
        cell.font = Font(bold=True)
    for line in rows(filters, today):
        for cell in append_row(sheet, line):
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    sheet.column_dimensions["A"].width = 32
    sheet.column_dimensions["D"].width = 48
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export(filters: season.Filters, today: date, fmt: str) -> bytes:
    """The file, its export audited; the caller commits."""
    from engage.audit import service as audit

    body = {"csv": to_csv, "xlsx": to_xlsx}[fmt](filters, today)
    audit.record("votes.export", object_type="votes_export", object_id=fmt,
                 after={"format": fmt, **filters.as_args()})
    return body


def filename(filters: season.Filters, today: date, fmt: str) -> str:
    return f"votes-{filters.period}-{today.isoformat()}.{fmt}"
