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
