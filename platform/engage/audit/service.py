"""Writing the audit trail.

Every ORM change is recorded automatically after each flush (one multi-row INSERT), so no
service can forget it; domain events that change no row (a login, a refused login) are
recorded with :func:`record`. Who acted comes from the session (``set_actor``), which
organisation from the tenancy scope; work done in a system scope for one organisation (a
decision carried out by the workflow) names it with :func:`on_behalf_of`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage.audit.models import AuditEvent
from engage.db import OrgPrivate, listen_once, utcnow
from engage.tenancy import SCOPE_KEY, Scope

ACTOR_KEY = "engage.actor_id"
VIA_KEY = "engage.actor_via"  # how the actor acts when not in person, e.g. an API token
BEHALF_KEY = "engage.on_behalf_of"  # the organisation a system-scope job works for
_SKIPPED = (AuditEvent,)


def set_actor(user_id: int | None, session: Session | None = None) -> None:
    from engage.tenancy import session_of

    session_of(session).info[ACTOR_KEY] = user_id


def set_via(label: str | None, session: Session | None = None) -> None:
    """Record, with every event of the session, how the actor acts (e.g. ``token:3 (sync)``)."""
    from engage.tenancy import session_of

    session_of(session).info[VIA_KEY] = label


@contextmanager
def on_behalf_of(organisation_id: int | None, via: str, session: Session | None = None
                 ) -> Iterator[None]:
    """Inside a system scope: record the events of the block in ``organisation_id``'s trail
    (a row private to another organisation, such as its own vote or notification, in that
    organisation's), with ``via`` saying why (``decision:12``). Without it such events
    belong to no organisation and no administrator sees them."""
    from engage.tenancy import session_of

    sess = session_of(session)
    saved = sess.info.get(BEHALF_KEY), sess.info.get(VIA_KEY)
    sess.info[BEHALF_KEY], sess.info[VIA_KEY] = organisation_id, via
    try:
        yield
    finally:
        sess.info[BEHALF_KEY], sess.info[VIA_KEY] = saved


def _on_behalf(session: Session, scope: Scope | None, own: int | None) -> int | None:
    """The organisation whose trail gets an event recorded in a system scope under
    :func:`on_behalf_of`: the row's own organisation when it is private to one, else the
    one worked for. None outside such a block."""
    behalf = session.info.get(BEHALF_KEY)
    if behalf is None or scope is None or not scope.is_system:
        return None
    return own if own is not None else behalf


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


REDACTED = "[redacted]"


def _value(obj: Any, key: str, value: Any) -> Any:
    # Secrets (even encrypted or hashed ones) never reach the trail: a model lists them
    # in ``__audit_redact__``; the trail says that they changed, not what to.
    if value is not None and key in getattr(obj, "__audit_redact__", ()):
        return REDACTED
    return _plain(value)


def _columns(obj: Any) -> dict[str, Any]:
    state = sa.inspect(obj)
    return {
        attr.key: _value(obj, attr.key, state.attrs[attr.key].loaded_value)
        for attr in state.mapper.column_attrs
        if state.attrs[attr.key].loaded_value is not sa.orm.base.NO_VALUE
    }


def _changes(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    state = sa.inspect(obj)
    before, after = {}, {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            before[attr.key] = _value(obj, attr.key, old)
            after[attr.key] = _value(obj, attr.key, new)
    return before, after


def _identity(obj: Any) -> str:
    # A row created in this flush has its primary key by now, but no identity key yet
    # (SQLAlchemy assigns that after the flush): read the key from the instance.
    state = sa.inspect(obj)
    ident = state.identity or state.mapper.primary_key_from_instance(obj)
    return ",".join(str(part) for part in ident if part is not None)


def _base_row(session: Session) -> dict[str, Any]:
    scope: Scope | None = session.info.get(SCOPE_KEY)
    return {
        "at": utcnow(),
        "actor_id": session.info.get(ACTOR_KEY),
        "organisation_id": scope.org_id if scope else None,
        "context": _context(session, scope),
    }


def _context(session: Session, scope: Scope | None) -> str:
    label = scope.label() if scope else "unscoped"
    via = session.info.get(VIA_KEY)
    return f"{label} via {via}"[:200] if via else label


def listen(session_class: type) -> None:
    """Record every flush of the app's sessions."""
    listen_once(session_class, "after_flush", _record_flush)


def _record_flush(session: Session, flush_context: Any) -> None:
    rows = []
    base = _base_row(session)
    for obj in session.new:
        if not isinstance(obj, _SKIPPED):
            rows.append(_row(base, obj, "create", None, _columns(obj), session))
    for obj in session.dirty:
        if isinstance(obj, _SKIPPED) or not session.is_modified(obj, include_collections=False):
            continue
        before, after = _changes(obj)
        if after or before:
            rows.append(_row(base, obj, "update", before, after, session))
    for obj in session.deleted:
        if not isinstance(obj, _SKIPPED):
            rows.append(_row(base, obj, "delete", _columns(obj), None, session))
    if rows:
        session.connection().execute(sa.insert(AuditEvent.__table__), rows)


def _row(base: dict, obj: Any, verb: str, before: Any, after: Any,
         session: Session | None = None) -> dict[str, Any]:
    table = type(obj).__tablename__
    if session is not None:
        own = obj.organisation_id if isinstance(obj, OrgPrivate) else None
        behalf = _on_behalf(session, session.info.get(SCOPE_KEY), own)
        if behalf is not None:
            base = {**base, "organisation_id": behalf}
    return {
        **base,
        "action": f"{table}.{verb}",
        "object_type": table,
        "object_id": _identity(obj),
        "before": before,
        "after": after,
    }


def record(
    action: str,
    *,
    object_type: str | None = None,
    object_id: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    session: Session | None = None,
    organisation_id: int | None = None,
    owner_organisation_id: int | None = None,
) -> None:
    """Record a domain event that is not itself a row change (login, refusal, export).

    ``owner_organisation_id``: the organisation the row is private to, whose trail gets the
    event under :func:`on_behalf_of`. Written through the session's connection: it commits
    or rolls back with the unit of work it belongs to.
    """
    from engage.tenancy import session_of

    sess = session_of(session)
    row = _base_row(sess)
    behalf = _on_behalf(sess, sess.info.get(SCOPE_KEY), owner_organisation_id)
    if behalf is not None:
        row["organisation_id"] = behalf
    if organisation_id is not None:
        row["organisation_id"] = organisation_id
    row.update(
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        before={k: _plain(v) for k, v in before.items()} if before else None,
        after={k: _plain(v) for k, v in after.items()} if after else None,
    )
    sess.connection().execute(sa.insert(AuditEvent.__table__), [row])
