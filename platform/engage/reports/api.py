"""``/api/v1/reports``: the organisation's stewardship report, as the reports page offers it."""

from __future__ import annotations

from flask import Response
from marshmallow import Schema, ValidationError, fields, validates_schema

from engage import clock
from engage.api.errors import ApiError
from engage.api.fields import QueryInt
from engage.api.routing import operation
from engage.db import writes
from engage.extensions import db
from engage.reports import render
from engage.reports.service import ReportError, build_report, period_of_year
from engage.security import current_org


class ReportArgs(Schema):
    year = QueryInt(minimum=1901, maximum=2999, load_default=None, metadata={
        "description": "A calendar year (default: this year), or give from and to."})
    start = fields.Date(data_key="from", load_default=None,
                        metadata={"description": "First day of the period (with to)."})
    end = fields.Date(data_key="to", load_default=None,
                      metadata={"description": "Last day of the period (with from)."})
    notes = fields.Boolean(load_default=False, metadata={
        "description": "Include your organisation's private notes (only ever your own)."})

    @validates_schema
    def _period(self, data, **_kw):
        if (data["start"] is None) != (data["end"] is None):
            raise ValidationError("Give both dates of the period.",
                                  "to" if data["end"] is None else "from")
        if data["start"] is not None and data["year"] is not None:
            raise ValidationError("Give a year, or from and to, not both.", "year")


@operation("GET", "/reports/stewardship/<fmt>", tag="reports",
           summary="Download the stewardship report", query=ReportArgs,
           binary=tuple(media.split(";")[0] for media in render.FORMATS.values()),
           description=(
               "Permission: any token of your organisation (read or write). Your organisation's "
               "stewardship report for a year or a period, in the formats of the reports page "
               "(``notes=true``: with your own private notes): "
               "``fmt`` is csv, xlsx or pdf. The same report as the page and ``engage report``; "
               "each download is audited."))
@writes  # each download is audited
def download_report(fmt, args):
    if fmt not in render.FORMATS:
        raise ApiError(404, f"The report comes as {', '.join(render.FORMATS)}.")
    try:
        if args["start"] is not None:
            start, end = args["start"], args["end"]
        else:
            start, end = period_of_year(args["year"] or clock.today().year)
        report = build_report(current_org.id, start, end, include_notes=args["notes"])
    except ReportError as exc:
        raise ApiError(400, str(exc), {"to" if args["start"] else "year": [str(exc)]}) from None
    body = render.export(report, fmt)
    db.session.commit()
    return Response(body, mimetype=render.FORMATS[fmt], headers={
        "Content-Disposition": f'attachment; filename="{render.filename(report, fmt)}"'})
