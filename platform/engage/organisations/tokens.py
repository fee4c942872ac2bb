"""Organisation API tokens: created by an admin, shown once, stored only as a hash.

A token is ``eng_`` followed by 256 random bits (URL-safe base64). Only its SHA-256 is
stored: the token has so much entropy that a keyed hash adds nothing, and a lookup by hash
compares in constant time what matters. A token acts for the user who created it (the
audit trail names them and the token), never with more rights than that user has now.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from engage.common.forms import FormError
from engage.db import StrEnum
from engage.organisations.models import (
    ApiToken,
    Organisation,
    OrgMembership,
    OrgRole,
    User,
)

PREFIX = "eng_"
FORMAT = re.compile(r"eng_[A-Za-z0-9_-]{43}")
NAME_MAX = 100


class TokenScope(StrEnum):
    READ = "read"
    WRITE = "write"


class TokenError(FormError):
    """The token cannot be created or revoked as asked; the message says why."""


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once, never stored


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(session: Session, *, organisation: Organisation, name: str, scope: str,
                 created_by: User) -> NewToken:
    """A new token of the organisation, acting for ``created_by`` (one of its members)."""
    name = (name or "").strip()
    if not name:
        raise TokenError(_("give the token a name that says what it is for"))
    if len(name) > NAME_MAX:
        raise TokenError(_("the name is longer than %(max)d characters", max=NAME_MAX))
    try:
        scope = TokenScope(scope)
    except ValueError:
        raise TokenError(_("the scope is read or write")) from None
    member_of = session.scalar(
        sa.select(OrgMembership.organisation_id).where(OrgMembership.user_id == created_by.id))
    if member_of != organisation.id:
        raise TokenError(_("%(email)s is not a member of %(org)s", email=created_by.email,
                           org=organisation.slug))
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(organisation_id=organisation.id, name=name, scope=scope.value,
                     token_hash=hash_secret(secret), created_by_id=created_by.id)
    session.add(token)
    session.flush()
    return NewToken(token=token, secret=secret)


def revoke_token(token: ApiToken, *, now: datetime) -> None:
    if token.revoked_at is not None:
        raise TokenError(_("the token “%(name)s” was revoked already", name=token.name))
    token.revoked_at = now


def tokens_query(organisation_id: int) -> sa.Select:
    """The organisation's tokens, newest first, each with its creator."""
    return (
        sa.select(ApiToken, User)
        .outerjoin(User, User.id == ApiToken.created_by_id)
        .where(ApiToken.organisation_id == organisation_id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc())
    )


def default_owner(session: Session, organisation_id: int) -> User | None:
    """The organisation's first active administrator (whom a CLI-made token acts for)."""
    return session.scalar(
        sa.select(User)
        .join(OrgMembership, OrgMembership.user_id == User.id)
        .where(OrgMembership.organisation_id == organisation_id,
               OrgMembership.role == OrgRole.ADMIN, User.is_active.is_(True))
        .order_by(User.id)
        .limit(1)
    )
