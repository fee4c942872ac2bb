from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from engage.db import Base, OrgPrivate, TimestampMixin


class CalendarFeed(OrgPrivate, TimestampMixin, Base):
    """A person's calendar feed address. Only a hash of its token is stored; a new token
    replaces the row's hash, so the old address stops working at once."""

    __tablename__ = "calendar_feed"
    __tenant_owner__ = "organisation_id"
    __audit_redact__ = frozenset({"token_hash"})

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), unique=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
