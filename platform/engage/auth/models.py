from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.db import Base, TimestampMixin, UTCDateTime
from engage.organisations.models import User


class Identity(TimestampMixin, Base):
    """An account at an identity provider, keyed by issuer and subject as OIDC requires."""

    __tablename__ = "identity"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    issuer: Mapped[str] = mapped_column(sa.String(500))
    subject: Mapped[str] = mapped_column(sa.String(255))
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    __table_args__ = (sa.UniqueConstraint("issuer", "subject"),)
