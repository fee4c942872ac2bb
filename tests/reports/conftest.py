"""A known world for the report: organisation A's 2026, with B's private rows beside it."""

from __future__ import annotations

from datetime import date, datetime, timezone
from types import SimpleNamespace

import pytest
from engage.engagements.models import DialogueKind, EngagementStatus, Visibility
from engage.escalations.models import (
    Decision,
    DecisionKind,
    EscalationReview,
    ReviewReason,
    StepKind,
)
from engage.extensions import db
from engage.organisations.models import OrgRole
from engage.tenancy import system_scope
from engage.votes.models import Vote, VoteInstruction, VoteStatus

from tests import factories as f


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=timezone.utc)


def _review(e, m, opened: date) -> EscalationReview:
    return f._add(EscalationReview(
        engagement_id=e.id, milestone_id=m.id, deadline_version=m.deadline_version,
        trigger_key=f"milestone:{m.id}:v{m.deadline_version}", reason=ReviewReason.MILESTONE_OVERDUE,
        due_at=_at(m.due_on), opened_at=_at(opened)))


def _vote(org, company, agm, instruction, requested, status=VoteStatus.CAST, item="Re-elect the chair"):
    return f._add(Vote(organisation_id=org.id, company_id=company.id, agm_on=agm, item=item,
                       instruction=instruction, requested_instruction=requested, status=status,
                       rationale=f"rationale of {org.slug} on {company.name}"))


@pytest.fixture
def rworld(db_session):
    with system_scope("test world"):
        a, b = f.organisation("org-a"), f.organisation("org-b")
        a_member, a_viewer = f.user(a, OrgRole.MEMBER), f.user(a, OrgRole.VIEWER)
        b_member = f.user(b, OrgRole.MEMBER)
        c1, c2, c3 = f.company("Alpha"), f.company("Beta"), f.company("Gamma")
        init = f.initiative(a, theme="living wage")
        f.member(init, b)
        lad = f.ladder(init, kinds=(StepKind.LETTER_TO_BOARD, StepKind.VOTE_AGAINST_DIRECTORS))
        e1 = f.engagement(c1, a, init, supporters=(b,), started_on=date(2025, 6, 1))
        f.milestone(e1, due_on=date(2026, 2, 1), stage=3, met_on=date(2026, 3, 1))
        m2 = f.milestone(e1, due_on=date(2026, 5, 1), stage=1)
        e2 = f.engagement(c2, a, started_on=date(2026, 2, 1), status=EngagementStatus.CLOSED_SUCCESS,
                          closed_on=date(2026, 10, 1))
        f.milestone(e2, due_on=date(2026, 8, 1), stage=4, met_on=date(2026, 9, 1))
        f.engagement(c3, a, started_on=date(2024, 1, 1), status=EngagementStatus.CLOSED_NO_PROSPECT,
                     closed_on=date(2026, 6, 30))
        f.engagement(c2, a, started_on=date(2024, 1, 1), status=EngagementStatus.CLOSED_SUCCESS,
                     closed_on=date(2025, 12, 1))  # closed before 2026: not in the report
        e4 = f.engagement(c1, b, started_on=date(2026, 1, 1))  # B's own: not A's
        step = lad.steps[0]
        r1 = _review(e1, m2, date(2026, 5, 2))
        db.session.add(Decision(review_id=r1.id, engagement_id=e1.id, kind=DecisionKind.ESCALATE,
                                ladder_step_id=step.id, reason="No plan", decided_by_organisation_id=a.id,
                                decided_at=_at(date(2026, 6, 1))))
        m3 = f.milestone(e1, due_on=date(2026, 7, 1), stage=2)
        r2 = _review(e1, m3, date(2026, 7, 2))
        db.session.add(Decision(review_id=r2.id, engagement_id=e1.id, kind=DecisionKind.EXTEND,
                                new_due_on=date(2026, 12, 1), reason="Plan promised",
                                decided_by_organisation_id=a.id, decided_at=_at(date(2026, 7, 10))))
        f.dialogue(e1, a, kind=DialogueKind.MEETING, occurred_on=date(2026, 2, 10))
        f.dialogue(e1, b, Visibility.PRIVATE, kind=DialogueKind.CALL, occurred_on=date(2026, 3, 1),
                   summary="B's private call")
        f.dialogue(e1, b, kind=DialogueKind.LETTER, occurred_on=date(2026, 3, 5))
        f.note(e1, b)
        _vote(a, c1, date(2026, 4, 20), VoteInstruction.AGAINST, VoteInstruction.AGAINST)
        _vote(a, c2, date(2026, 5, 10), VoteInstruction.FOR, VoteInstruction.AGAINST)
        _vote(a, c3, date(2026, 6, 1), VoteInstruction.FOR, None, item="Approve the annual report")
        _vote(a, c1, date(2026, 7, 1), VoteInstruction.ABSTAIN, VoteInstruction.AGAINST,
              status=VoteStatus.PROPOSED, item="Proposed only")
        _vote(a, c1, date(2025, 4, 20), VoteInstruction.AGAINST, None, item="Last year")
        _vote(b, c1, date(2026, 4, 20), VoteInstruction.FOR, VoteInstruction.AGAINST,
              item="B's private vote")
        db.session.flush()
        plain = lambda o: SimpleNamespace(id=o.id, slug=getattr(o, "slug", None))
        return SimpleNamespace(a=plain(a), b=plain(b), a_member=plain(a_member),
                               a_viewer=plain(a_viewer), b_member=plain(b_member),
                               c1=plain(c1), e1=plain(e1), e4=plain(e4), init=plain(init))
