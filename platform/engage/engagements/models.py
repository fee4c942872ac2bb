from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from engage.common.search import KEY_LENGTH, folded_default, keep_folded
from engage.db import (
    Base,
    EngagementShared,
    LeadRoles,
    OrgPrivate,
    StrEnum,
    TenantScoped,
    TimestampMixin,
    UTCDateTime,
    enum_type,
    utcnow,
)
from engage.organisations.models import Organisation, User

from engage.engagements.invitation_models import (  # noqa: F401  (invitations to take part)
    EngagementInvitation,
    InvitationStatus,
)
from engage.engagements.letter_models import (  # noqa: F401  (the record's documents)
    AumBasis,
    Letter,
    LetterChannel,
    LetterDecline,
    LetterKind,
    LetterLanguage,
    LetterStatus,
    Signature,
)
from engage.engagements.roles import ParticipantRole

if TYPE_CHECKING:
    from engage.companies.models import Company
    from engage.escalations.models import EscalationLadder, EscalationReview, LadderStep
    from engage.initiatives.models import Initiative


class EngagementLevel(StrEnum):
    """The study's three levels of engagement."""

    DIRECT = "direct"
    COLLABORATIVE = "collaborative"
    OUTSOURCED = "outsourced"


class EngagementTrigger(StrEnum):
    PROACTIVE = "proactive"
    REACTIVE = "reactive"


class EngagementStatus(StrEnum):
    ACTIVE = "active"
    CLOSED_SUCCESS = "closed_success"
    CLOSED_NO_PROSPECT = "closed_no_prospect"


class ObjectiveKind(StrEnum):
    """What the engagement asks of the company: the four dialogue objectives of the insurer's
    policy (section 8.4), then the study's (improve management systems by objectives and
    targets, measure outcomes for people, hear the rights-holders), then anything else."""

    END_IMPACT = "end_impact"
    PROVIDE_REMEDY = "provide_remedy"
    PREVENT_RECURRENCE = "prevent_recurrence"
    TRANSPARENCY = "transparency"
    DUE_DILIGENCE = "due_diligence"
    MEASURE_OUTCOMES = "measure_outcomes"
    STAKEHOLDER_VOICE = "stakeholder_voice"
    OTHER = "other"


class ObjectiveStatus(StrEnum):
    OPEN = "open"
    MET = "met"
    ABANDONED = "abandoned"  # with the reason why


class Horizon(StrEnum):
    SHORT = "short"
    MID = "mid"
    LONG = "long"


class DialogueKind(StrEnum):
    MEETING = "meeting"
    CALL = "call"
    LETTER = "letter"
    EMAIL = "email"
    AGM_QUESTION = "agm_question"
    SITE_VISIT = "site_visit"
    # Rights-holders, NGOs, unions or an advisory board: the study asks engagement to
    # hear the people affected, not only the company.
    STAKEHOLDER_CONSULTATION = "stakeholder_consultation"


class CompanyLevel(StrEnum):
    """Who at the company took part in a dialogue (the study: board, chair, independent
    directors, management, investor relations)."""

    BOARD = "board"
    CHAIR = "chair"
    INDEPENDENT_DIRECTOR = "independent_director"
    MANAGEMENT = "management"
    INVESTOR_RELATIONS = "investor_relations"
    OTHER = "other"


class DialogueMode(StrEnum):
    """The study: virtual-only meetings tend to be shorter; in person helps understanding."""

    IN_PERSON = "in_person"
    VIRTUAL = "virtual"


class Visibility(StrEnum):
    COALITION = "coalition"
    PRIVATE = "private"


STAGES = {
    0: "not started",
    1: "concern raised",
    2: "concern acknowledged",
    3: "credible plan",
    4: "plan implemented, outcome for people verified",
}


class Engagement(TenantScoped, TimestampMixin, Base):
    """One dialogue with one company: collaborative, direct or outsourced."""

    __tablename__ = "engagement"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        sa.ForeignKey("company.id", ondelete="RESTRICT"), index=True
    )
    initiative_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("initiative.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    # The title folded for sorting and searching (engage.common.search).
    title_key: Mapped[str] = mapped_column(sa.String(KEY_LENGTH), index=True,
                                           default=folded_default("title"))
    level: Mapped[EngagementLevel] = mapped_column(enum_type(EngagementLevel, "engagement_level"))
    trigger: Mapped[EngagementTrigger] = mapped_column(
        enum_type(EngagementTrigger, "engagement_trigger")
    )
    issue: Mapped[str] = mapped_column(sa.Text)
    rights_holders: Mapped[str] = mapped_column(sa.Text, default="")
    # Severity to people, not to the business (UNGP): scale, scope, irremediability, 1-5.
    severity_scale: Mapped[int] = mapped_column(sa.SmallInteger)
    severity_scope: Mapped[int] = mapped_column(sa.SmallInteger)
    severity_irremediability: Mapped[int] = mapped_column(sa.SmallInteger)
    status: Mapped[EngagementStatus] = mapped_column(
        enum_type(EngagementStatus, "engagement_status"), default=EngagementStatus.ACTIVE
    )
    started_on: Mapped[date]
    closed_on: Mapped[date | None]
    ladder_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("escalation_ladder.id", ondelete="SET NULL")
    )
    current_step_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ladder_step.id", ondelete="SET NULL")
    )

    company: Mapped[Company] = relationship(back_populates="engagements")
    initiative: Mapped[Initiative | None] = relationship(back_populates="engagements")
    participants: Mapped[list[EngagementParticipant]] = relationship(
        back_populates="engagement", cascade="all, delete-orphan",
        order_by=lambda: list(PARTICIPANT_ORDER),
    )
    objectives: Mapped[list[Objective]] = relationship(
        back_populates="engagement", cascade="all, delete-orphan"
    )
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="engagement", cascade="all, delete-orphan", order_by="Milestone.due_on"
    )
    dialogue: Mapped[list[DialogueEntry]] = relationship(
        back_populates="engagement", cascade="all, delete-orphan"
    )
    notes: Mapped[list[Note]] = relationship(back_populates="engagement", cascade="all, delete-orphan")
    letters: Mapped[list[Letter]] = relationship(back_populates="engagement")
    reviews: Mapped[list[EscalationReview]] = relationship(back_populates="engagement")
    ladder: Mapped[EscalationLadder | None] = relationship(foreign_keys=[ladder_id])
    current_step: Mapped[LadderStep | None] = relationship(foreign_keys=[current_step_id])
    # Filled by a list that asks for them (engagements.progress.expressions); None otherwise.
    stage: Mapped[int | None] = query_expression()
    overdue_milestones: Mapped[int | None] = query_expression()
    open_reviews: Mapped[int | None] = query_expression()

    __table_args__ = (
        sa.CheckConstraint("severity_scale BETWEEN 1 AND 5", name="scale_1_5"),
        sa.CheckConstraint("severity_scope BETWEEN 1 AND 5", name="scope_1_5"),
        sa.CheckConstraint(
            "severity_irremediability BETWEEN 1 AND 5", name="irremediability_1_5"
        ),
        sa.CheckConstraint(
            "(level = 'collaborative') = (initiative_id IS NOT NULL)",
            name="collaborative_has_initiative",
        ),
        sa.CheckConstraint(
            "(status = 'active') = (closed_on IS NULL)", name="closed_has_date"
        ),
        # The sweep's "on an active engagement", index-only (migration 0006).
        sa.Index("ix_engagement_active", "id", sqlite_where=sa.text("status = 'active'"),
                 postgresql_where=sa.text("status = 'active'")),
    )

    _fold_title = keep_folded("title", "title_key")

    @hybrid_property
    def severity(self) -> int:
        """Scale x scope x irremediability: the order in which engagements are listed."""
        return self.severity_scale * self.severity_scope * self.severity_irremediability

    @classmethod
    def tenant_criteria(cls, org_id: Any) -> sa.ColumnElement[bool]:
        # One index lookup in engagement_access (engage.common.visibility).
        from engage.common.visibility import engagement_visible

        return engagement_visible(cls.id, org_id)


class EngagementParticipant(LeadRoles, EngagementShared, Base):
    __tablename__ = "engagement_participant"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE")
    )
    role: Mapped[ParticipantRole] = mapped_column(enum_type(ParticipantRole, "participant_role"))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    engagement: Mapped[Engagement] = relationship(back_populates="participants")
    organisation: Mapped[Organisation] = relationship()

    # Its lead and co-lead investors decide reviews, add milestones and are told what
    # needs deciding.
    LEAD_ROLES = (ParticipantRole.LEAD, ParticipantRole.CO_LEAD)
    # These also write to the shared record (dialogue, co-signing); observers and the
    # outsourcing client follow it only.
    ACTING_ROLES = (ParticipantRole.LEAD, ParticipantRole.CO_LEAD, ParticipantRole.SUPPORTER)

    __table_args__ = (
        sa.UniqueConstraint("engagement_id", "organisation_id"),
        sa.Index("ix_engagement_participant_org", "organisation_id", "engagement_id"),
    )


# How participants are listed (pages, API): the lead first, then co-leads, supporters,
# observers and the outsourcing client, in the order they joined. The role is stored as
# text, whose alphabetical order would put a client or co-lead before the lead.
PARTICIPANT_ORDER = (
    sa.case({role: rank for rank, role in enumerate(ParticipantRole)},
            value=EngagementParticipant.role),
    EngagementParticipant.id,
)


# Which organisation sees which engagement, and why: 'participant' (an engagement_participant
# row) or 'member' (an admitted member of the engagement's initiative). A cache of that rule,
# kept exact by database triggers in the writing transaction (migration 0025 says how and
# why); nothing writes it otherwise. engage.common.visibility reads it.
engagement_access = sa.Table(
    "engagement_access",
    Base.metadata,
    sa.Column("organisation_id", sa.Integer,
              sa.ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("engagement_id", sa.Integer,
              sa.ForeignKey("engagement.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("source", sa.String(11), primary_key=True),
    sa.CheckConstraint("source IN ('participant', 'member')", name="source"),
    sa.Index("ix_engagement_access_engagement_id", "engagement_id"),
)


# --- objectives (engagements.objectives) ----------------------------------------------------


class Objective(EngagementShared, TimestampMixin, Base):
    """One thing the engagement asks of the company; milestones serve it. Met or abandoned
    (with the reason) on a date; reopened, it is open again and the trail keeps the rest."""

    __tablename__ = "objective"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ObjectiveKind] = mapped_column(enum_type(ObjectiveKind, "objective_kind"))
    description: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[ObjectiveStatus] = mapped_column(
        enum_type(ObjectiveStatus, "objective_status"), default=ObjectiveStatus.OPEN)
    closed_on: Mapped[date | None]
    reason: Mapped[str] = mapped_column(sa.Text, default="")

    engagement: Mapped[Engagement] = relationship(back_populates="objectives")
    milestones: Mapped[list[Milestone]] = relationship(back_populates="objective")

    __table_args__ = (
        sa.CheckConstraint("(status = 'open') = (closed_on IS NULL)", name="closed_has_date"),
        sa.CheckConstraint("status <> 'abandoned' OR reason <> ''",
                           name="abandoned_has_reason"),
    )


# --- end of objectives -------------------------------------------------------------------------


class Milestone(EngagementShared, TimestampMixin, Base):
    """A dated, checkable target; its stage tracks progress, its outcome the people affected."""

    __tablename__ = "milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    objective_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("objective.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(300))
    horizon: Mapped[Horizon] = mapped_column(enum_type(Horizon, "horizon"), default=Horizon.SHORT)
    due_on: Mapped[date]
    stage: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    met_on: Mapped[date | None]
    evidence: Mapped[str] = mapped_column(sa.Text, default="")
    outcome_for_people: Mapped[str] = mapped_column(sa.Text, default="")
    # Bumped on every extension, so a review of the old deadline can never block or
    # duplicate a review of the new one.
    deadline_version: Mapped[int] = mapped_column(default=1)
    # Cancelled (engagements.corrections): kept in the record with the reason, out of the
    # sweep and of the progress.
    cancelled_on: Mapped[date | None]
    cancel_reason: Mapped[str] = mapped_column(sa.Text, default="")
    cancelled_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    engagement: Mapped[Engagement] = relationship(back_populates="milestones")
    objective: Mapped[Objective | None] = relationship(back_populates="milestones")

    __table_args__ = (
        sa.CheckConstraint("stage BETWEEN 0 AND 4", name="stage_0_4"),
        sa.CheckConstraint("deadline_version >= 1", name="deadline_version_positive"),
        sa.CheckConstraint("cancelled_on IS NULL OR cancel_reason <> ''",
                           name="cancelled_has_reason"),
        # The sweep's question, "unmet and due before now", answered from an index.
        sa.Index("ix_milestone_open_due", "due_on", sqlite_where=sa.text("met_on IS NULL"),
                 postgresql_where=sa.text("met_on IS NULL")),
    )

    @property
    def stage_label(self) -> str:
        return STAGES[self.stage]

    @hybrid_property
    def pending(self) -> bool:
        """Neither met nor cancelled: what deadlines, reminders and progress count."""
        return self.met_on is None and self.cancelled_on is None

    @pending.inplace.expression
    @classmethod
    def _pending_expression(cls) -> sa.ColumnElement[bool]:
        return sa.and_(cls.met_on.is_(None), cls.cancelled_on.is_(None))

    @classmethod
    def overdue(cls, today: date) -> sa.ColumnElement[bool]:
        """Unmet, not cancelled, due before ``today``, on an active engagement: what opens a
        review."""
        return sa.and_(
            cls.met_on.is_(None),
            cls.cancelled_on.is_(None),
            cls.due_on < today,
            cls.engagement.has(Engagement.status == EngagementStatus.ACTIVE),
        )


class DialogueEntry(EngagementShared, TimestampMixin, Base):
    """A meeting, call, letter, e-mail, AGM question, site visit or stakeholder consultation."""

    __tablename__ = "dialogue_entry"
    __tenant_owner__ = "organisation_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    kind: Mapped[DialogueKind] = mapped_column(enum_type(DialogueKind, "dialogue_kind"))
    occurred_on: Mapped[date]
    participants: Mapped[str] = mapped_column(sa.Text, default="")
    summary: Mapped[str] = mapped_column(sa.Text)
    outcome: Mapped[str] = mapped_column(sa.Text, default="")
    visibility: Mapped[Visibility] = mapped_column(
        enum_type(Visibility, "visibility"), default=Visibility.COALITION
    )
    # How the dialogue was held (the study): who at the company, in person or not, and
    # what was agreed to follow.
    company_level: Mapped[CompanyLevel | None] = mapped_column(
        enum_type(CompanyLevel, "company_level"))
    mode: Mapped[DialogueMode | None] = mapped_column(enum_type(DialogueMode, "dialogue_mode"))
    follow_up: Mapped[str] = mapped_column(sa.Text, default="")
    # Corrected by its organisation: the earlier versions are DialogueRevision rows.
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    engagement: Mapped[Engagement] = relationship(back_populates="dialogue")
    organisation: Mapped[Organisation] = relationship()
    author: Mapped[User | None] = relationship()

    @classmethod
    def tenant_criteria(cls, org_id: Any) -> sa.ColumnElement[bool]:
        return sa.and_(
            super().tenant_criteria(org_id),
            sa.or_(cls.visibility == Visibility.COALITION.value, cls.organisation_id == org_id),
        )


# --- corrections with history (engagements.corrections) -----------------------------------


class DialogueRevision(EngagementShared, Base):
    """The text a dialogue entry had before a correction: its organisation and visibility
    are the entry's, so it is seen exactly as the entry is (tenancy, row-level security)."""

    __tablename__ = "dialogue_revision"
    __tenant_owner__ = "organisation_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    dialogue_entry_id: Mapped[int] = mapped_column(
        sa.ForeignKey("dialogue_entry.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"))
    visibility: Mapped[Visibility] = mapped_column(enum_type(Visibility, "visibility"))
    # The earlier version, as it read until replaced_at.
    kind: Mapped[DialogueKind] = mapped_column(enum_type(DialogueKind, "dialogue_kind"))
    occurred_on: Mapped[date]
    participants: Mapped[str] = mapped_column(sa.Text, default="")
    summary: Mapped[str] = mapped_column(sa.Text)
    outcome: Mapped[str] = mapped_column(sa.Text, default="")
    company_level: Mapped[CompanyLevel | None] = mapped_column(
        enum_type(CompanyLevel, "company_level"))
    mode: Mapped[DialogueMode | None] = mapped_column(enum_type(DialogueMode, "dialogue_mode"))
    follow_up: Mapped[str] = mapped_column(sa.Text, default="")
    # Who replaced it, when and why.
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime)
    replaced_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(sa.Text)

    replaced_by: Mapped[User | None] = relationship()

    @classmethod
    def tenant_criteria(cls, org_id: Any) -> sa.ColumnElement[bool]:
        return sa.and_(
            super().tenant_criteria(org_id),
            sa.or_(cls.visibility == Visibility.COALITION.value, cls.organisation_id == org_id),
        )


class SeverityAssessment(EngagementShared, Base):
    """A re-assessment of the severity to people: the scores before and after, who changed
    them, when and why. The engagement holds the current scores, so every list ordered by
    severity follows the newest assessment."""

    __tablename__ = "severity_assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    previous_scale: Mapped[int] = mapped_column(sa.SmallInteger)
    previous_scope: Mapped[int] = mapped_column(sa.SmallInteger)
    previous_irremediability: Mapped[int] = mapped_column(sa.SmallInteger)
    scale: Mapped[int] = mapped_column(sa.SmallInteger)
    scope: Mapped[int] = mapped_column(sa.SmallInteger)
    irremediability: Mapped[int] = mapped_column(sa.SmallInteger)
    reason: Mapped[str] = mapped_column(sa.Text)
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assessed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="SET NULL"))

    assessed_by: Mapped[User | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "scale BETWEEN 1 AND 5 AND scope BETWEEN 1 AND 5 AND irremediability BETWEEN 1 AND 5"
            " AND previous_scale BETWEEN 1 AND 5 AND previous_scope BETWEEN 1 AND 5"
            " AND previous_irremediability BETWEEN 1 AND 5", name="scores_1_5"),
    )

    @property
    def previous_severity(self) -> int:
        return self.previous_scale * self.previous_scope * self.previous_irremediability

    @property
    def severity(self) -> int:
        return self.scale * self.scope * self.irremediability


# --- end of corrections with history -----------------------------------------------------------


class Note(OrgPrivate, TimestampMixin, Base):
    """An organisation's private working note on an engagement; never shown to others."""

    __tablename__ = "note"
    __tenant_owner__ = "organisation_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("engagement.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    body: Mapped[str] = mapped_column(sa.Text)

    engagement: Mapped[Engagement] = relationship(back_populates="notes")
    author: Mapped[User | None] = relationship()
