"""/reports: pick a year or a period, preview the stewardship report, download it."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _

from engage import clock
from engage.companies.csvfile import CellError, a_date
from engage.db import writes
from engage.extensions import db, htmx, limiter
from engage.ratelimits import message, setting, user_or_address
from engage.reports import render
from engage.reports.service import (
    ReportError,
    StewardshipReport,
    build_report,
    period_of_year,
)
from engage.security import Permission, current_org, requires

bp = Blueprint("reports", __name__, url_prefix="/reports")


def _period() -> tuple[date, date, dict[str, str]]:
    """From ``?from=&to=`` when given, else ``?year=`` (default: this year)."""
    args = request.args
    if args.get("from") or args.get("to"):
        try:
            start, end = a_date(args.get("from", "")), a_date(args.get("to", ""))
        except CellError:
            raise ReportError(_("Give both dates of the period, e.g. 2026-01-01 and 2026-06-30."))
        return start, end, {"from": start.isoformat(), "to": end.isoformat(),
                            **_notes_param()}
    notes = _notes_param()
    try:
        year = int(args.get("year") or clock.today().year)
    except ValueError:
        raise ReportError(_("Choose a year, e.g. 2026."))
    start, end = period_of_year(year)
    return start, end, {"year": str(year), **notes}


def _notes_param() -> dict[str, str]:
    """``?notes=1``: the organisation asks for its private notes in its own report;
    ``?attestations=1``: for the antitrust attestations of sign-ons."""
    return {key: "1" for key in ("notes", "attestations") if request.args.get(key) == "1"}


def _report() -> tuple[StewardshipReport | None, dict[str, str], str | None]:
    try:
        start, end, params = _period()
        return (build_report(current_org.id, start, end, include_notes="notes" in params,
                             include_attestations="attestations" in params),
                params, None)
    except ReportError as exc:
        return None, dict(request.args), str(exc)


@bp.get("")
@requires(Permission.READ)
def index():
    report, params, error = _report()
    template = "reports/_preview.html" if htmx else "reports/index.html"
    return render_template(template, report=report, params=params, error=error,
                           tables=report.tables() if report else [],
                           formats=render.FORMATS), 400 if error else 200


@bp.get("/download.<fmt>")
@writes  # the download is audited
@requires(Permission.READ)
@limiter.limit(setting("ENGAGE_RATE_LIMIT_REPORTS"), key_func=user_or_address,
               error_message=message)
def download(fmt: str):
    if fmt not in render.FORMATS:
        abort(404)
    report, params, error = _report()
    if error:
        return render_template("reports/index.html", report=None, params=params, error=error,
                               tables=[], formats=render.FORMATS), 400
    body = render.export(report, fmt)
    db.session.commit()
    return Response(body, mimetype=render.FORMATS[fmt], headers={
        "Content-Disposition": f'attachment; filename="{render.filename(report, fmt)}"'})
