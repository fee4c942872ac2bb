"""A lead's invitation to another organisation to take part in an engagement
(engage.engagements.invitations). Re-exported by :mod:`engage.engagements.models`, where the
rest of the engagement's record lives."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.db import Base, StrEnum, TenantScoped, TimestampMixin, UTCDateTime, enum_type
from engage.engagements.roles import ParticipantRole
from engage.organisations.models import Organisation


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class EngagementInvitation(TenantScoped, TimestampMixin, Base):
    """A lead's invitation to another organisation to take part in an engagement, in a role.

    Seen by the inviting organisation and the invited one only, never by the other
    participants. The invited organisation cannot see the engagement before it accepts, so
    the invitation carries what it is shown of it: the title and company as they were."""

    __tablename__ = "engagement_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("engagement.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    invited_by_organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    role: Mapped[ParticipantRole] = mapped_column(enum_type(ParticipantRole, "participant_role"))
    message: Mapped[str] = mapped_column(sa.Text, default="")
    engagement_title: Mapped[str] = mapped_column(sa.String(200))
    company_name: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[InvitationStatus] = mapped_column(
        enum_type(InvitationStatus, "invitation_status"), default=InvitationStatus.PENDING
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    organisation: Mapped[Organisation] = relationship(foreign_keys=[organisation_id])
    invited_by_organisation: Mapped[Organisation] = relationship(
        foreign_keys=[invited_by_organisation_id])

    __table_args__ = (
        # One open invitation per organisation and engagement.
        sa.Index("uq_engagement_invitation_pending", "engagement_id", "organisation_id",
                 unique=True, sqlite_where=sa.text("status = 'pending'"),
                 postgresql_where=sa.text("status = 'pending'")),
    )

    @classmethod
    def tenant_criteria(cls, org_id: Any) -> sa.ColumnElement[bool]:
        return sa.or_(cls.organisation_id == org_id, cls.invited_by_organisation_id == org_id)
