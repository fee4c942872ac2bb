"""A small coalition with a ladder and an overdue milestone, in the rolled-back test session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from engage.engagements.models import EngagementParticipant, ParticipantRole
from engage.escalations.models import StepKind
from engage.tenancy import system_scope
from tests import factories as f

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)
TODAY = NOW.date()

LADDER = (
    StepKind.LETTER_TO_BOARD,
    StepKind.MEETING_WITH_BOARD,
    StepKind.PUBLIC_STATEMENT,
    StepKind.VOTE_AGAINST_DIRECTORS,
    StepKind.CO_FILE_RESOLUTION,
    StepKind.DIVESTMENT_REVIEW,
)


@dataclass
class World:
    lead: object
    co_lead: object
    supporter: object
    outsider: object
    lead_user: object
    co_lead_user: object
    supporter_user: object
    outsider_user: object
    company: object
    engagement: object
    ladder: object
    steps: list
    milestone: object


def build_world(db_session) -> World:
    with system_scope("test world"):
        lead, co_lead, supporter, outsider = (f.organisation() for _ in range(4))
        users = [f.user(o) for o in (lead, co_lead, supporter, outsider)]
        company = f.company()
        lad = f.ladder(kinds=LADDER)
        eng = f.engagement(company, lead, supporters=(supporter,), ladder_id=lad.id,
                           issue="Wages below a living wage in the supply chain",
                           rights_holders="garment workers")
        db_session.add(EngagementParticipant(engagement_id=eng.id, organisation_id=co_lead.id,
                                             role=ParticipantRole.CO_LEAD))
        f.objective(eng)
        f.dialogue(eng, lead, summary="Met the head of sourcing; no commitment to a roadmap")
        milestone = f.milestone(eng, due_on=TODAY - timedelta(days=10))
        db_session.flush()
        # Plain values survive the scope's end (it detaches the objects).
        return World(lead, co_lead, supporter, outsider, *users, company, eng, lad,
                     sorted(lad.steps, key=lambda s: s.position), milestone)


@pytest.fixture
def world(db_session):
    return build_world(db_session)
