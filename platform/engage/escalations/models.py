from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.db import (
    Base,
    EngagementShared,
    StrEnum,
    TenantScoped,
    TimestampMixin,
    UTCDateTime,
    enum_type,
    utcnow,
)
from engage.organisations.models import Organisation, User

if TYPE_CHECKING:
    from engage.engagements.models import Engagement, Letter, Milestone


class StepKind(StrEnum):
    """The escalation strategy of the study, mildest first; divestment is the last resort."""

    LETTER_TO_BOARD = "letter_to_board"
    MEETING_WITH_BOARD = "meeting_with_board"
    PUBLIC_STATEMENT = "public_statement"
    WIDEN_COALITION = "widen_coalition"
    AGM_QUESTION = "agm_question"
    VOTE_AGAINST_DIRECTORS = "vote_against_directors"
    VOTE_AGAINST_ANNUAL_REPORT = "vote_against_annual_report"
    CO_FILE_RESOLUTION = "co_file_resolution"
    NOMINATE_DIRECTOR = "nominate_director"
    LEGAL_ACTION = "legal_action"
    REDUCE_EXPOSURE = "reduce_exposure"
    DIVESTMENT_REVIEW = "divestment_review"


class ReviewReason(StrEnum):
    MILESTONE_OVERDUE = "milestone_overdue"
    STEP_WAIT_ELAPSED = "step_wait_elapsed"


class ReviewStatus(StrEnum):
    OPEN = "open"
    DECIDED = "decided"


class DecisionKind(StrEnum):
    ESCALATE = "escalate"
    EXTEND = "extend"
    CLOSE = "close"


class CloseOutcome(StrEnum):
    SUCCESS = "success"
    NO_PROSPECT = "no_prospect"


class ApplyStatus(StrEnum):
    """Where the workflow that carries out a decision stands (the outbox)."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class DivestmentConclusion(StrEnum):
    OPEN = "open"
    STAY_ENGAGED = "stay_engaged"
    REDUCE_EXPOSURE = "reduce_exposure"
    DIVEST = "divest"


# The conclusions that take the holders out (or partly out) of the company, for a time.
LEAVING = (DivestmentConclusion.REDUCE_EXPOSURE, DivestmentConclusion.DIVEST)


def in_language(text: str, text_nl: str) -> str:
    """The Dutch text for a user reading Dutch when there is one, else the English."""
    from flask_babel import get_locale

    locale = get_locale()
    return text_nl if text_nl and locale is not None and locale.language == "nl" else text


class EscalationLadder(TenantScoped, TimestampMixin, Base):
    """Ordered escalation steps: an initiative's shared ladder, a template, or one tailored
    to a single engagement (referenced by ``Engagement.ladder_id``)."""

    __tablename__ = "escalation_ladder"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    # Templates installed with the platform carry their text in both languages; a ladder a
    # user writes has it in the one language it was written in (the Dutch left empty).
    name_nl: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    description_nl: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    initiative_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("initiative.id", ondelete="CASCADE"), unique=True
    )
    is_template: Mapped[bool] = mapped_column(default=False)
    # A template an organisation keeps for itself (its admins write it; only it sees it);
    # None for the templates installed with the platform, which nobody edits.
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    # Set on a ladder tailored to one engagement by its leads: a copy that diverges from the
    # shared one. It stays tied to the engagement after a revert, for the steps its reviews
    # and decisions used. ``use_alter``: engagement.ladder_id points back here.
    engagement_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("engagement.id", ondelete="CASCADE", use_alter=True)
    )
    # For a tailored ladder: the ladder the engagement shared before, which a revert goes
    # back to when the engagement has no initiative ladder.
    shared_ladder_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("escalation_ladder.id", ondelete="SET NULL")
    )

    # The steps in force. A step a review, decision or engagement used is retired instead of
    # deleted or changed (see escalations/ladders.py): it stays, for the record, out of this list.
    steps: Mapped[list[LadderStep]] = relationship(
        primaryjoin="and_(EscalationLadder.id == LadderStep.ladder_id, "
                    "LadderStep.retired_at.is_(None))",
        cascade="all, delete-orphan", passive_deletes=True, order_by="LadderStep.position",
    )

    __table_args__ = (
        sa.Index("uq_escalation_ladder_engagement_id", "engagement_id", unique=True),
        sa.CheckConstraint("organisation_id IS NULL OR is_template", name="owned_is_template"),
        sa.CheckConstraint("engagement_id IS NULL OR (NOT is_template AND initiative_id IS NULL)",
                           name="tailored_is_engagement_only"),
    )

    @property
    def tailored(self) -> bool:
        """A copy the engagement's leads made diverge from the shared ladder."""
        return self.engagement_id is not None

    @property
    def installed(self) -> bool:
        """A template installed with the platform: read-only for everyone."""
        return self.is_template and self.organisation_id is None

    @property
    def shown_name(self) -> str:
        return in_language(self.name, self.name_nl)

    @property
    def shown_description(self) -> str:
        return in_language(self.description, self.description_nl)

    @classmethod
    def tenant_criteria(cls, org_id: Any) -> sa.ColumnElement[bool]:
        from engage.common.visibility import ladder_visible

        return ladder_visible(cls.id, org_id)


class LadderStep(TenantScoped, Base):
    __tablename__ = "ladder_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    ladder_id: Mapped[int] = mapped_column(
        sa.ForeignKey("escalation_ladder.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(sa.SmallInteger)
    kind: Mapped[StepKind] = mapped_column(enum_type(StepKind, "step_kind"))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    description_nl: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # How long the company has to respond once this step is taken, before a review opens.
    wait_days: Mapped[int] = mapped_column(default=90)
    # Set when the step left the ladder while in use; reviews and decisions keep pointing to it.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    ladder: Mapped[EscalationLadder] = relationship(overlaps="steps")

    __table_args__ = (
        # One step in force per position; retired steps keep the position they had.
        sa.Index("uq_ladder_step_active_position", "ladder_id", "position", unique=True,
                 sqlite_where=sa.text("retired_at IS NULL"),
                 postgresql_where=sa.text("retired_at IS NULL")),
        sa.CheckConstraint("position >= 1", name="position_positive"),
        sa.CheckConstraint("wait_days >= 0", name="wait_not_negative"),
    )

    @property
    def shown_description(self) -> str:
        # A step written in Dutch only still says what it asks to a reader of English.
        return in_language(self.description, self.description_nl) or self.description_nl

    @classmethod
    def tenant_criteria(cls, org_id: Any) -> sa.ColumnElement[bool]:
        from engage.common.visibility import ladder_visible

        return ladder_visible(cls.ladder_id, org_id)


class EscalationReview(EngagementShared, Base):
    """Opened when a deadline passes unmet; the leads decide what happens next.

    ``trigger_key`` names the deadline that opened it (``milestone:<id>:v<version>`` or
    ``step:<decision id>``) and is unique, so no deadline can ever open two reviews.
    """

    __tablename__ = "escalation_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("milestone.id", ondelete="CASCADE"), index=True
    )
    ladder_step_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ladder_step.id", ondelete="SET NULL")
    )
    deadline_version: Mapped[int] = mapped_column(default=1)
    trigger_key: Mapped[str] = mapped_column(sa.String(100), unique=True)
    reason: Mapped[ReviewReason] = mapped_column(enum_type(ReviewReason, "review_reason"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[ReviewStatus] = mapped_column(
        enum_type(ReviewStatus, "review_status"), default=ReviewStatus.OPEN
    )

    engagement: Mapped[Engagement] = relationship(back_populates="reviews")
    milestone: Mapped[Milestone | None] = relationship()
    ladder_step: Mapped[LadderStep | None] = relationship()
    decision: Mapped[Decision | None] = relationship(back_populates="review", uselist=False)

    __table_args__ = (
        sa.UniqueConstraint("engagement_id", "milestone_id", "deadline_version"),
        sa.CheckConstraint(
            "(reason = 'milestone_overdue') = (milestone_id IS NOT NULL)",
            name="milestone_review_has_milestone",
        ),
        sa.Index("ix_escalation_review_status_opened", "status", "opened_at"),
        # "No review opened since this escalation" (the sweep's step waits).
        sa.Index("ix_escalation_review_engagement_opened", "engagement_id", "opened_at"),
    )


class Decision(EngagementShared, Base):
    """What the leads decided on a review: who, when and why. One per review."""

    __tablename__ = "decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(
        sa.ForeignKey("escalation_review.id", ondelete="CASCADE"), unique=True
    )
    kind: Mapped[DecisionKind] = mapped_column(enum_type(DecisionKind, "decision_kind"))
    ladder_step_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ladder_step.id", ondelete="SET NULL")
    )
    new_due_on: Mapped[date | None]
    close_outcome: Mapped[CloseOutcome | None] = mapped_column(
        enum_type(CloseOutcome, "close_outcome")
    )
    reason: Mapped[str] = mapped_column(sa.Text)
    # Why the leads go past the next step of the ladder, or to the divestment review: the
    # study's flowchart asks for it (divestment only once leverage is exhausted). Empty when
    # the escalation is to the next step, or the decision is no escalation.
    skip_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # The escalation steps taken on the engagement before this decision, as they stood when
    # it was made (oldest first): [{"decision_id", "step_id", "position", "kind",
    # "description", "decided_on", "applied"}]. A record, not a link: it does not change when
    # the ladder does.
    earlier_steps: Mapped[list[dict[str, Any]]] = mapped_column(
        sa.JSON, default=list, server_default=sa.text("'[]'"))
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decided_by_organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="RESTRICT")
    )
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    apply_status: Mapped[ApplyStatus] = mapped_column(
        enum_type(ApplyStatus, "apply_status"), default=ApplyStatus.PENDING
    )
    apply_error: Mapped[str] = mapped_column(sa.Text, default="")
    flow_run_id: Mapped[str | None] = mapped_column(sa.String(64))
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The outbox's bookkeeping: how often applying was tried, and when the current try
    # claimed the decision (a claim older than the stale limit was lost with its worker).
    apply_attempts: Mapped[int] = mapped_column(default=0)
    apply_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    review: Mapped[EscalationReview] = relationship(back_populates="decision")
    ladder_step: Mapped[LadderStep | None] = relationship()
    decided_by: Mapped[User | None] = relationship()
    decided_by_organisation: Mapped[Organisation] = relationship()

    @property
    def tried_before(self) -> list[dict[str, Any]]:
        """``earlier_steps`` with their dates as dates (the page and the API show them)."""
        return [{**step, "decided_on": date.fromisoformat(step["decided_on"])}
                for step in self.earlier_steps or ()]

    __table_args__ = (
        sa.CheckConstraint(
            "(kind = 'escalate') = (ladder_step_id IS NOT NULL)", name="escalate_names_step"
        ),
        sa.CheckConstraint("(kind = 'extend') = (new_due_on IS NOT NULL)", name="extend_has_date"),
        sa.CheckConstraint(
            "(kind = 'close') = (close_outcome IS NOT NULL)", name="close_has_outcome"
        ),
        sa.CheckConstraint("length(trim(reason)) > 0", name="reason_given"),
        sa.Index("ix_decision_apply_status", "apply_status"),
        # The sweep's step waits: the escalations carried out, and "no decision since".
        sa.Index("ix_decision_escalated", "engagement_id",
                 sqlite_where=sa.text("kind = 'escalate' AND apply_status = 'done'"),
                 postgresql_where=sa.text("kind = 'escalate' AND apply_status = 'done'")),
        sa.Index("ix_decision_engagement_decided", "engagement_id", "decided_at"),
    )


class DivestmentReview(EngagementShared, TimestampMixin, Base):
    """The last step: the OECD question answered and recorded before any decision to divest."""

    __tablename__ = "divestment_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("decision.id", ondelete="SET NULL"), unique=True
    )
    # The questions to answer, as they stood when the review was opened.
    questions: Mapped[str] = mapped_column(sa.Text, default="")
    # "When is divestment responsible and when can it be harmful?" (OECD, quoted in the study)
    responsible_or_harmful: Mapped[str] = mapped_column(sa.Text, default="")
    leverage_left: Mapped[str] = mapped_column(sa.Text, default="")
    impact_staying_vs_leaving: Mapped[str] = mapped_column(sa.Text, default="")
    conclusion: Mapped[DivestmentConclusion] = mapped_column(
        enum_type(DivestmentConclusion, "divestment_conclusion"),
        default=DivestmentConclusion.OPEN,
    )
    # When the conclusion is to divest or reduce exposure: what the company must have done
    # for the holders to invest again, and the date the leads look again (the study: divest
    # "temporarily until the company has improved its practices"). The sweep opens a new
    # review on that date (``follows_review_id``).
    re_entry_criteria: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    look_again_on: Mapped[date | None]
    follows_review_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("divestment_review.id", ondelete="SET NULL"), unique=True
    )
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    engagement: Mapped[Engagement] = relationship()
    follows: Mapped[DivestmentReview | None] = relationship(remote_side=[id])
    decided_by: Mapped[User | None] = relationship()

    __table_args__ = (
        # The sweep's look-again dates.
        sa.Index("ix_divestment_review_look_again_on", "look_again_on"),
    )


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


class EscalationTask(EngagementShared, TimestampMixin, Base):
    """Work an escalation step asks of a participant: a meeting to request, a resolution to
    co-file, exposure to reduce (one task per organisation holding the company)."""

    __tablename__ = "escalation_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("decision.id", ondelete="SET NULL")
    )
    kind: Mapped[StepKind] = mapped_column(enum_type(StepKind, "task_kind"))
    title: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    owner_organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    owner_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    due_on: Mapped[date]
    status: Mapped[TaskStatus] = mapped_column(
        enum_type(TaskStatus, "task_status"), default=TaskStatus.OPEN
    )
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set on the tasks a divestment review's conclusion gives each holder.
    divestment_review_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("divestment_review.id", ondelete="SET NULL")
    )

    engagement: Mapped[Engagement] = relationship()
    owner_organisation: Mapped[Organisation] = relationship()
    owner_user: Mapped[User | None] = relationship()

    __table_args__ = (
        # Applying a decision twice creates its tasks once (one per owner), and so does
        # concluding a divestment review.
        sa.UniqueConstraint("decision_id", "kind", "owner_organisation_id"),
        sa.UniqueConstraint("divestment_review_id", "owner_organisation_id"),
        sa.CheckConstraint("(status = 'done') = (done_at IS NOT NULL)", name="done_has_time"),
    )


class MilestoneReminder(EngagementShared, Base):
    """A reminder sent N days before a milestone's deadline: one per deadline version and N."""

    __tablename__ = "milestone_reminder"

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(sa.ForeignKey("milestone.id", ondelete="CASCADE"))
    deadline_version: Mapped[int]
    days_before: Mapped[int] = mapped_column(sa.SmallInteger)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("milestone_id", "deadline_version", "days_before"),)


class Resolution(EngagementShared, TimestampMixin, Base):
    """The filing terms of a shareholder resolution. Its text and its co-filers are those of
    its document (a :class:`Letter` of kind ``resolution`` and its signatures); this row adds
    the AGM it is filed for, how many days before that AGM it must be filed, and the
    threshold the co-filers' combined holdings must meet.

    The threshold is a value in euro, compared with the value the co-filers record for their
    holdings in the company (``Holding.value_eur``, the latest valuation of each): holdings
    store neither a number of shares nor the company's share capital, so a share-capital
    percentage cannot be checked from them.
    """

    __tablename__ = "resolution"

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(
        sa.ForeignKey("letter.id", ondelete="CASCADE"), unique=True)
    agm_on: Mapped[date]
    filing_days: Mapped[int] = mapped_column(sa.SmallInteger, default=60)
    threshold_eur: Mapped[Decimal | None] = mapped_column(sa.Numeric(20, 2))
    threshold_set_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    threshold_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    letter: Mapped[Letter] = relationship()

    __table_args__ = (
        sa.CheckConstraint("filing_days BETWEEN 0 AND 365", name="filing_days_range"),
        sa.CheckConstraint("threshold_eur IS NULL OR threshold_eur >= 0",
                           name="threshold_not_negative"),
    )

    @property
    def filing_deadline(self) -> date:
        """The last day to file: ``filing_days`` before the AGM."""
        return self.agm_on - timedelta(days=self.filing_days)
