from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.common.search import KEY_LENGTH, folded_default, keep_folded
from engage.db import (
    Base,
    LeadRoles,
    StrEnum,
    TenantScoped,
    TimestampMixin,
    UTCDateTime,
    enum_type,
    utcnow,
)
from engage.organisations.models import Organisation, User

if TYPE_CHECKING:
    from engage.engagements.models import Engagement
    from engage.escalations.models import EscalationLadder


class InitiativeStatus(StrEnum):
    DRAFT = "draft"
    RECRUITING = "recruiting"  # open for sign-on: visible to every organisation
    ACTIVE = "active"
    CLOSED = "closed"


class MemberRole(StrEnum):
    LEAD = "lead"
    CO_LEAD = "co_lead"
    SUPPORTER = "supporter"
    OBSERVER = "observer"


class MemberStatus(StrEnum):
    PENDING = "pending"
    ADMITTED = "admitted"
    DECLINED = "declined"
    LEFT = "left"  # the member left of its own accord
    REMOVED = "removed"  # the coordinator removed it


class Initiative(TenantScoped, TimestampMixin, Base):
    """A collaborative engagement programme with common goals and a shared escalation ladder."""

    __tablename__ = "initiative"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    # The title folded for sorting and searching (engage.common.search).
    title_key: Mapped[str] = mapped_column(sa.String(KEY_LENGTH), index=True,
                                           default=folded_default("title"))
    theme: Mapped[str] = mapped_column(sa.String(100), index=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # Annex II of the study: "common and specified goals" and "a clear common escalation
    # strategy" are prerequisites of collaboration, so both are explicit fields.
    common_goals: Mapped[str] = mapped_column(sa.Text, default="")
    preparation: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[InitiativeStatus] = mapped_column(
        enum_type(InitiativeStatus, "initiative_status"), default=InitiativeStatus.DRAFT
    )
    coordinator_organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )

    coordinator: Mapped[Organisation] = relationship()
    members: Mapped[list[InitiativeMember]] = relationship(
        back_populates="initiative", cascade="all, delete-orphan"
    )
    engagements: Mapped[list[Engagement]] = relationship(back_populates="initiative")
    ladder: Mapped[EscalationLadder | None] = relationship(
        primaryjoin="and_(Initiative.id == EscalationLadder.initiative_id)",
        uselist=False,
        viewonly=True,
    )

    _fold_title = keep_folded("title", "title_key")

    @classmethod
    def tenant_criteria(cls, org_id: Any) -> sa.ColumnElement[bool]:
        from engage.common.visibility import visible_initiative_ids

        return cls.id.in_(visible_initiative_ids(org_id))


class InitiativeMember(LeadRoles, TenantScoped, Base):
    """An organisation signed on to an initiative, with its role and committed resources."""

    __tablename__ = "initiative_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    initiative_id: Mapped[int] = mapped_column(
        sa.ForeignKey("initiative.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[MemberRole] = mapped_column(enum_type(MemberRole, "member_role"))
    status: Mapped[MemberStatus] = mapped_column(
        enum_type(MemberStatus, "member_status"), default=MemberStatus.PENDING
    )
    committed_resources: Mapped[str] = mapped_column(sa.Text, default="")
    aum_committed_eur: Mapped[Decimal | None] = mapped_column(sa.Numeric(20, 2))
    conflict_of_interest: Mapped[str] = mapped_column(sa.Text, default="")
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    admitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When it left or was removed, and why (kept when it applies again, until admitted).
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    left_reason: Mapped[str] = mapped_column(sa.Text, default="")

    initiative: Mapped[Initiative] = relationship(back_populates="members")
    organisation: Mapped[Organisation] = relationship()

    # An admitted member in one of these roles starts engagements in the initiative.
    LEAD_ROLES = (MemberRole.LEAD, MemberRole.CO_LEAD)

    __table_args__ = (
        sa.UniqueConstraint("initiative_id", "organisation_id"),
        sa.Index("ix_initiative_member_org_status", "organisation_id", "status", "initiative_id"),
        sa.CheckConstraint(
            "aum_committed_eur IS NULL OR aum_committed_eur >= 0", name="aum_not_negative"
        ),
    )

    @classmethod
    def tenant_criteria(cls, org_id: Any) -> sa.ColumnElement[bool]:
        from engage.common.visibility import coordinated_initiative_ids, member_initiative_ids

        # An organisation sees its own applications, and the members of the initiatives
        # it belongs to or coordinates; a prospective member does not see the others'
        # declarations.
        return sa.or_(
            cls.organisation_id == org_id,
            cls.initiative_id.in_(member_initiative_ids(org_id)),
            cls.initiative_id.in_(coordinated_initiative_ids(org_id)),
        )


class SignOnAttestation(TenantScoped, Base):
    """One acceptance of the antitrust guardrail at sign-on: which version of its text
    (:mod:`engage.initiatives.attestation`), by whom, when, with the conflict-of-interest
    declaration made with it. Never changed: a new sign-on adds a row."""

    __tablename__ = "sign_on_attestation"

    id: Mapped[int] = mapped_column(primary_key=True)
    initiative_id: Mapped[int] = mapped_column(
        sa.ForeignKey("initiative.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("initiative_member.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    accepted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    version: Mapped[int] = mapped_column(sa.SmallInteger)
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    conflict_of_interest: Mapped[str] = mapped_column(sa.Text, default="")

    organisation: Mapped[Organisation] = relationship()
    accepted_by: Mapped[User | None] = relationship()

    @classmethod
    def tenant_criteria(cls, org_id: Any) -> sa.ColumnElement[bool]:
        from engage.common.visibility import coordinated_initiative_ids

        # The organisation's own acceptances, and all of them for the coordinator.
        return sa.or_(cls.organisation_id == org_id,
                      cls.initiative_id.in_(coordinated_initiative_ids(org_id)))
