from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.companies.models import Company
from engage.db import Base, OrgPrivate, StrEnum, TimestampMixin, enum_type


class VoteInstruction(StrEnum):
    FOR = "for"
    AGAINST = "against"
    ABSTAIN = "abstain"


class VoteStatus(StrEnum):
    # An escalation may *ask* for a vote; each organisation keeps its own final vote
    # (antitrust: no block voting), so a vote starts as a proposal.
    PROPOSED = "proposed"
    INSTRUCTED = "instructed"
    CAST = "cast"


class VoteItemKind(StrEnum):
    """What an AGM item decides, as far as the consistency check asks: the (re-)election or
    discharge of directors, the annual report and accounts, or anything else. Escalation
    steps set it (voting against the directors, against the report); a vote entered by hand
    says it."""

    DIRECTORS = "directors"
    REPORT = "report"
    OTHER = "other"


class Vote(OrgPrivate, TimestampMixin, Base):
    """One organisation's voting instruction or record on one AGM item."""

    __tablename__ = "vote"
    __tenant_owner__ = "organisation_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        sa.ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    engagement_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("engagement.id", ondelete="SET NULL"), index=True
    )
    decision_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("decision.id", ondelete="SET NULL")
    )
    agm_on: Mapped[date]
    item: Mapped[str] = mapped_column(sa.String(300))
    item_kind: Mapped[VoteItemKind] = mapped_column(
        enum_type(VoteItemKind, "vote_item_kind"), default=VoteItemKind.OTHER
    )
    instruction: Mapped[VoteInstruction] = mapped_column(
        enum_type(VoteInstruction, "vote_instruction")
    )
    # What the engagement asked for, so reports can show whether the vote matched it.
    requested_instruction: Mapped[VoteInstruction | None] = mapped_column(
        enum_type(VoteInstruction, "requested_instruction")
    )
    status: Mapped[VoteStatus] = mapped_column(
        enum_type(VoteStatus, "vote_status"), default=VoteStatus.PROPOSED
    )
    rationale: Mapped[str] = mapped_column(sa.Text, default="")

    company: Mapped[Company] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "company_id", "agm_on", "item"),
        # An escalation asks each organisation once, however often its decision is applied.
        sa.UniqueConstraint("decision_id", "organisation_id"),
    )
