"""Bearer tokens: who an ``Authorization: Bearer eng_…`` header speaks for.

security.py asks :func:`token_identity` when an API request carries the header; the
principal it then builds (user = the token's creator, role capped by the token's scope)
sets the tenancy scope and the audit actor exactly as a browser session does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import g

from engage.api.errors import ApiError
from engage.db import utcnow
from engage.extensions import db
from engage.organisations.models import ApiToken, OrgRole
from engage.organisations.tokens import FORMAT, hash_secret
from engage.ratelimits import check_token_failures, count_token_failure
from engage.tenancy import system_scope

TOUCH_EVERY = timedelta(minutes=1)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TokenIdentity:
    id: int
    name: str
    scope: str
    organisation_id: int
    user_id: int
    last_used_at: datetime | None

    def cap(self, role: OrgRole) -> OrgRole:
        """A read token reads; a write token writes as a member, never as an admin."""
        if self.scope != "write" or role is OrgRole.VIEWER:
            return OrgRole.VIEWER
        return OrgRole.MEMBER

    def label(self) -> str:
        return f"token:{self.id} ({self.name})"


def token_identity(header: str) -> TokenIdentity:
    """Who the header's token speaks for; 401 unless it is valid. An address whose tokens
    failed too often is refused (429) before any lookup, and each failure counts."""
    check_token_failures()
    try:
        return _lookup(header)
    except ApiError:
        count_token_failure()
        raise


def _lookup(header: str) -> TokenIdentity:
    scheme, _, credentials = header.strip().partition(" ")
    secret = credentials.strip()
    if scheme.lower() != "bearer" or not secret:
        raise ApiError(401, "The Authorization header must be 'Bearer <token>'.")
    if not FORMAT.fullmatch(secret):
        raise ApiError(401, "This is not an Engage API token (they start with 'eng_').")
    # Which organisation the token belongs to is what we are finding out: the lookup by
    # hash is the one query that must look across organisations.
    with system_scope("api token sign-in"):
        row = db.session.execute(
            sa.select(ApiToken.id, ApiToken.name, ApiToken.scope, ApiToken.organisation_id,
                      ApiToken.created_by_id, ApiToken.last_used_at, ApiToken.revoked_at)
            .where(ApiToken.token_hash == hash_secret(secret))
        ).first()
    if row is None or row.revoked_at is not None:
        raise ApiError(401, "The API token is unknown or has been revoked.")
    if row.created_by_id is None:
        raise ApiError(401, "The API token's creator no longer exists; create a new token.")
    return TokenIdentity(id=row.id, name=row.name, scope=row.scope,
                         organisation_id=row.organisation_id, user_id=row.created_by_id,
                         last_used_at=row.last_used_at)


def touch_token(response):
    """Note when a token was last used, at most once a minute, after the request's own work."""
    principal = g.get("principal")
    token = getattr(principal, "token", None)
    if token is None:
        return response
    now = utcnow()
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_EVERY:
        return response
    try:
        # The request's own work is done: end its transaction, so that this write begins
        # one of its own. (On SQLite, a read request's transaction is deferred, and one that
        # writes after reading fails at once if another connection committed meanwhile.)
        db.session.commit()
        # A bookkeeping column, not a change of anyone's data: no audit event.
        db.session.execute(
            sa.update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    except sa.exc.SQLAlchemyError:  # never fail a served request over bookkeeping
        log.exception("could not note the use of API token %s", token.id)
        db.session.rollback()
    return response
