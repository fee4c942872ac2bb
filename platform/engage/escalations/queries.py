"""Reads of reviews that pages share: the open reviews an organisation decides (the reviews
inbox and the home page list them)."""

from __future__ import annotations

import sqlalchemy as sa

from engage.engagements.models import EngagementParticipant
from engage.escalations.models import EscalationReview, ReviewStatus
from engage.extensions import db


def decidable_reviews(organisation_id: int) -> sa.Select:
    """The open reviews the organisation decides (it leads or co-leads the engagement),
    oldest first: the reviews inbox and the home page list them."""
    return (
        sa.select(EscalationReview)
        .join(EngagementParticipant,
              (EngagementParticipant.engagement_id == EscalationReview.engagement_id)
              & (EngagementParticipant.organisation_id == organisation_id))
        .where(EscalationReview.status == ReviewStatus.OPEN,
               EngagementParticipant.leads)
        .order_by(EscalationReview.opened_at, EscalationReview.id)
    )


def count_decidable_reviews(organisation_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(
            decidable_reviews(organisation_id).order_by(None).subquery()))
