"""Engagement rules shared by the pages, the permission checks and the escalation engine."""

from __future__ import annotations

import sqlalchemy as sa

from engage.engagements.models import EngagementParticipant, ParticipantRole
from engage.extensions import db


def participant_role(engagement_id: int, organisation_id: int) -> ParticipantRole | None:
    """The organisation's role in the engagement (lead, co-lead, supporter), or None."""
    return db.session.scalar(
        sa.select(EngagementParticipant.role).where(
            EngagementParticipant.engagement_id == engagement_id,
            EngagementParticipant.organisation_id == organisation_id,
        )
    )
