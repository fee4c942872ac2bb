from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from engage.db import Base, OrgPrivate, UTCDateTime, utcnow

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


class AuditEvent(OrgPrivate, Base):
    """Append-only: the database refuses UPDATE and DELETE (triggers, see the migration).

    ``organisation_id`` is the acting organisation; events recorded in a system scope
    have none and are visible in a system scope only.
    """

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    # Nullable for system-scope events; never cascades, the trail outlives its subjects.
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id")
    )
    action: Mapped[str] = mapped_column(sa.String(100))
    object_type: Mapped[str | None] = mapped_column(sa.String(50))
    object_id: Mapped[str | None] = mapped_column(sa.String(50))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    context: Mapped[str] = mapped_column(sa.String(200), default="")

    __table_args__ = (
        sa.Index("ix_audit_event_org_at", "organisation_id", "at"),
        sa.Index("ix_audit_event_object", "object_type", "object_id"),
    )
