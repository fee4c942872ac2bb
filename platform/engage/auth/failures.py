"""Refused sign-ins, counted rather than written one by one.

Anyone can send a forged callback, and the audit trail is append-only: one row per refusal
would let an anonymous visitor grow it without bound. So refusals are counted per
organisation, client address, kind of refusal and hour (``sign_in_failure``, the exact number), and the
trail gets a row for the first refusal of each such hour and for the 10th, 100th, 1000th…,
each with the count so far. Beyond ``MAX_CLIENTS`` addresses in one hour, further addresses
of that organisation share one counter (``OTHER``), so many addresses cannot multiply the
rows either. The rate limits (engage.ratelimits) stop most floods before they get here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage.audit import service as audit
from engage.auth.models import SignInFailure

WINDOW = timedelta(hours=1)
MAX_CLIENTS = 50  # counters (address and kind) kept apart per organisation and hour
OTHER = "other addresses"
KEEP = timedelta(days=90)  # counters older than this go when a new hour starts
_table = SignInFailure.__table__


def window_start(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0)


def _milestone(count: int) -> bool:
    """1, 10, 100, 1000…: the counts at which the audit trail hears of it."""
    while count >= 10 and count % 10 == 0:
        count //= 10
    return count == 1


def record(session: Session, *, organisation_id: int, client: str, reason: str,
           email: str | None, now: datetime) -> int:
    """Count one refused sign-in; write an audit row when the count is a milestone.
    Returns the count so far in this window for this address (or ``OTHER``) and kind."""
    start = window_start(now)
    kind = reason.partition(":")[0][:40]
    key = (_table.c.organisation_id == organisation_id) & (_table.c.window_start == start)
    client = client[:64]
    known = session.scalar(sa.select(_table.c.id).where(
        key, _table.c.client == client, _table.c.kind == kind))
    if known is None:
        clients = session.scalar(sa.select(sa.func.count()).where(key))
        if clients == 0:
            session.execute(sa.delete(_table).where(_table.c.window_start < start - KEEP))
        if clients >= MAX_CLIENTS:
            client = OTHER
    count = _increment(session, organisation_id, client, kind, start, reason, now)
    if _milestone(count):
        audit.record(
            "auth.login_failed",
            object_type="organisation",
            object_id=organisation_id,
            after={"reason": reason, "email": email, "client": client, "count": count,
                   "window_start": start},
            organisation_id=organisation_id,
            session=session,
        )
    return count


def _increment(session: Session, organisation_id: int, client: str, kind: str,
               start: datetime, reason: str, now: datetime) -> int:
    """INSERT … ON CONFLICT DO UPDATE: concurrent refusals from one address each count."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(_table).values(
        organisation_id=organisation_id, client=client, kind=kind, window_start=start, count=1,
        first_at=now, last_at=now, last_reason=reason[:60])
    statement = statement.on_conflict_do_update(
        index_elements=["organisation_id", "window_start", "client", "kind"],
        set_={"count": _table.c.count + 1, "last_at": now, "last_reason": reason[:60]},
    ).returning(_table.c.count)
    return session.execute(statement).scalar_one()


def total(session: Session, organisation_id: int, since: datetime) -> int:
    """Every refusal counted for the organisation since ``since`` (its window)."""
    return session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(_table.c.count), 0))
        .where(_table.c.organisation_id == organisation_id,
               _table.c.window_start >= window_start(since))
    )
