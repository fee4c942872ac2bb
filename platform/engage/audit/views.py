"""/organisation/audit: the organisation's audit trail for its administrators, filtered by
person, record, action and period, and its CSV export with the same filters."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import gettext as _

from engage.audit import service as audit
from engage.audit import trail
from engage.common.paging import current_page
from engage.db import writes
from engage.extensions import db, limiter
from engage.ratelimits import message, setting, user_or_address
from engage.security import Permission, current_org, requires
from engage.spreadsheets import csv_bytes

bp = Blueprint("audit", __name__, url_prefix="/organisation/audit")


def _page(given: trail.TrailFilter, errors: dict[str, str], entries=(), total: int = 0,
          page: int = 1, pages: int = 1):
    return render_template(
        "audit/index.html", filters=given, errors=errors, entries=entries, total=total,
        page=page, pages=pages, actions=trail.action_choices(),
        object_types=trail.object_type_choices(),
    ), (400 if errors else 200)


@bp.get("")
@requires(Permission.ADMIN)
def index():
    given, conditions, errors = trail.parse_filter(request.args)
    if errors:
        return _page(given, errors)
    page = current_page()
    entries, total = trail.page_of(conditions, current_org.id, offset=page.offset,
                                   limit=page.size)
    return _page(given, errors, entries, total, page.number, page.count(total))


@bp.get("/export.csv")
@writes  # the export is itself audited
@requires(Permission.ADMIN)
@limiter.limit(setting("ENGAGE_RATE_LIMIT_REPORTS"), key_func=user_or_address,
               error_message=message)
def export():
    given, conditions, errors = trail.parse_filter(request.args)
    if not errors:
        limit = current_app.config["ENGAGE_AUDIT_EXPORT_MAX"]
        found = trail.count(conditions)
        if found > limit:
            errors[""] = _("%(found)d entries match; one export holds at most %(limit)d. "
                           "Choose a shorter period or narrower filters.",
                           found=found, limit=limit)
    if errors:
        return _page(given, errors)
    rows = [trail.csv_header(), *(trail.csv_row(*row) for row in trail.all_of(conditions))]
    # The export is itself an event of the trail: who took which entries out, and when.
    audit.record("audit.export", object_type="audit_event",
                 after={"entries": len(rows) - 1, **given.params()})
    db.session.commit()
    return Response(csv_bytes(rows), mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="audit-{current_org.slug}.csv"',
        "Cache-Control": "no-store"})
