"""The escalation tests' coalition with votes: the lead's vote the engagement asked for
(proposed, "against"), a second company, and the outsider's own vote and engagement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from engage.audit.models import AuditEvent
from engage.organisations.models import OrgRole
from engage.tenancy import system_scope
from engage.votes.models import Vote, VoteInstruction, VoteStatus

from tests import factories as f
from tests.escalations.conftest import TODAY, build_world

AGM = TODAY + timedelta(days=120)


@dataclass
class VoteWorld:
    w: object  # the escalation tests' World
    asked: int  # the lead's proposed vote, asked "against" by the engagement
    outsider_vote: int
    other_company: int
    outsider_engagement: int  # with world.company, invisible to the lead
    other_engagement: int  # the lead's, with the other company
    viewer: object
    agm: date


def _add_vote(org, company, engagement=None, **kw) -> Vote:
    kw.setdefault("agm_on", AGM)
    kw.setdefault("item", "Re-election of the directors responsible for wages")
    kw.setdefault("instruction", VoteInstruction.AGAINST)
    return f._add(Vote(organisation_id=org.id, company_id=company.id,
                       engagement_id=engagement.id if engagement else None, **kw))


@pytest.fixture
def votes(db_session) -> VoteWorld:
    world = build_world(db_session)
    with system_scope("test votes"):
        company = db_session.get(type(world.company), world.company.id)
        company.next_agm_on = AGM
        asked = _add_vote(world.lead, company, world.engagement,
                          requested_instruction=VoteInstruction.AGAINST,
                          status=VoteStatus.PROPOSED, rationale="")
        outsider_vote = _add_vote(world.outsider, company, item="Adoption of the accounts")
        other = f.company(name="Other plc")
        outsider_engagement = f.engagement(company, world.outsider, title="Outsider's dialogue")
        other_engagement = f.engagement(other, world.lead, title="Lead's other dialogue")
        viewer = f.user(world.lead, OrgRole.VIEWER)
        db_session.flush()
        built = VoteWorld(world, asked.id, outsider_vote.id, other.id, outsider_engagement.id,
                          other_engagement.id, type("U", (), {"id": viewer.id}), AGM)
    db_session.commit()  # a failed request's rollback keeps the world
    return built


def vote_audits(db_session, vote_id: int) -> list[str]:
    with system_scope("test"):
        return list(db_session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.object_type == "vote",
                                               AuditEvent.object_id == str(vote_id))))


def load(db_session, vote_id: int) -> Vote:
    with system_scope("test"):
        v = db_session.get(Vote, vote_id)
        db_session.refresh(v)
        return type("V", (), {k: getattr(v, k) for k in (
            "organisation_id", "company_id", "engagement_id", "agm_on", "item", "instruction",
            "requested_instruction", "status", "rationale")})
