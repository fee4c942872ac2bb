"""``/api/v1/audit-events``: your organisation's audit trail, for its administrators."""

from __future__ import annotations

import sqlalchemy as sa

from engage.api.errors import ApiError
from engage.api.routing import operation, paginate
from engage.audit.models import AuditEvent
from engage.audit.schemas import AuditEventListArgs, AuditEventSchema
from engage.security import Permission, can, load_or_404


@operation("GET", "/audit-events", tag="audit", summary="List audit events (admins)",
           query=AuditEventListArgs, response=AuditEventSchema, paginated=True)
def list_audit_events(args):
    """What was changed in your organisation's name, newest first. Administrators only
    (API tokens act as members at most, so they get 403)."""
    _admins_only()
    stmt = sa.select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    for key in ("action", "object_type", "object_id", "actor_id"):
        if args[key] is not None:
            stmt = stmt.where(getattr(AuditEvent, key) == args[key])
    if args["since"] is not None:
        stmt = stmt.where(AuditEvent.at >= args["since"])
    if args["until"] is not None:
        stmt = stmt.where(AuditEvent.at <= args["until"])
    return paginate(stmt, args)


@operation("GET", "/audit-events/<id:event_id>", tag="audit",
           summary="Get an audit event (admins)", response=AuditEventSchema)
def get_audit_event(event_id):
    _admins_only()
    return load_or_404(AuditEvent, event_id)


def _admins_only() -> None:
    if not can(Permission.ADMIN):
        raise ApiError(403, "The audit trail is for your organisation's administrators: sign in "
                       "as one. API tokens act as members at most.")
