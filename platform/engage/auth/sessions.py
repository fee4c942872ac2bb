"""Sessions that end: the server side of a signed-in browser.

Flask's cookie is signed, not revocable: a copy taken before logout would keep working for
as long as it is valid. So the cookie carries a random key, and a session counts only
while its ``user_session`` row is live — not ended, not past its absolute end. The page's
principal query joins that row (no extra statement per page). Ending rows is how logout,
"sign out everywhere", an admin's deactivation and a role change take effect at once, for
every copy of every cookie.

The idle timeout needs no write per request: the cookie carries when it was last used
(``seen``), re-signed by every answer; a cookie unused for ``ENGAGE_SESSION_IDLE`` is
refused.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage.audit import service as audit
from engage.auth.models import UserSession

REASONS = ("logout", "sign_out_everywhere", "signed_out_by_admin", "deactivated",
           "role_changed")
_table = UserSession.__table__


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start(session: Session, user_id: int, *, now: datetime, lifetime: timedelta) -> str:
    """A new session for the user; returns the key the cookie carries. The user's ended
    and expired rows go (each user keeps only the sessions that still count)."""
    session.execute(
        sa.delete(_table).where(_table.c.user_id == user_id,
                                sa.or_(_table.c.ended_at.is_not(None), _table.c.expires_at <= now))
    )
    key = secrets.token_urlsafe(32)
    session.execute(sa.insert(_table).values(
        user_id=user_id, key_hash=_hash(key), created_at=now, expires_at=now + lifetime))
    return key


def live(key: str, now: datetime) -> sa.ColumnElement[bool]:
    """The criterion of the principal query's join: this key's row, still counting."""
    return sa.and_(UserSession.key_hash == _hash(key), UserSession.ended_at.is_(None),
                   UserSession.expires_at > now)


def end(session: Session, key: str | None, *, now: datetime, reason: str) -> None:
    """End one session (logout)."""
    if not key:
        return
    session.execute(
        sa.update(_table).where(_table.c.key_hash == _hash(key), _table.c.ended_at.is_(None))
        .values(ended_at=now, ended_reason=reason)
    )


def end_all(session: Session, user_id: int, *, now: datetime, reason: str,
            organisation_id: int | None = None) -> int:
    """End every session of the user, and record it in the audit trail. Returns how many
    were still live."""
    assert reason in REASONS, reason
    ended = session.execute(
        sa.update(_table)
        .where(_table.c.user_id == user_id, _table.c.ended_at.is_(None),
               _table.c.expires_at > now)
        .values(ended_at=now, ended_reason=reason)
    ).rowcount
    audit.record("auth.sessions_ended", object_type="user_account", object_id=user_id,
                 after={"reason": reason, "sessions": ended}, organisation_id=organisation_id,
                 session=session)
    return ended


def idle(seen: object, now: datetime, limit: timedelta) -> bool:
    """Whether a cookie last used at ``seen`` (seconds since the epoch) has been idle too
    long. A cookie without the stamp is treated as idle."""
    if not isinstance(seen, (int, float)) or isinstance(seen, bool):
        return True
    return now.timestamp() - seen > limit.total_seconds()


def stamp(now: datetime) -> int:
    return int(now.timestamp())
