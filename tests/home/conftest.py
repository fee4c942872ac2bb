"""Three organisations around a few engagements: A leads, B supports, C is elsewhere."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from engage import clock
from engage.engagements.models import (
    EngagementStatus,
    LetterStatus,
    Visibility,
)
from engage.escalations.models import ApplyStatus, EscalationTask, StepKind
from engage.tenancy import system_scope
from tests import factories as f

TODAY = clock.today()  # the home page asks what falls due from the same clock


@dataclass
class Dash:
    a: object
    b: object
    c: object
    a_user: object
    b_user: object
    c_user: object
    severe: object  # A leads, B supports: severity 5*5*4
    mild: object  # A leads alone: severity 2*2*2
    closed: object  # A led it; closed with success last quarter
    elsewhere: object  # C's own engagement


def add_engagement_world(db_session, a, b, c, *, n: int = 1, tag: str = "") -> list:
    """``n`` more engagements of each kind, with everything the home page shows."""
    made = []
    lad = f.ladder(kinds=(StepKind.LETTER_TO_BOARD, StepKind.MEETING_WITH_BOARD))
    for i in range(n):
        company = f.company(next_agm_on=TODAY + timedelta(days=10))
        severe = f.engagement(company, a, supporters=(b,), title=f"Severe{tag}{i}",
                              severity_scale=5, severity_scope=5, severity_irremediability=4,
                              ladder_id=lad.id)
        f.milestone(severe, due_on=TODAY + timedelta(days=5), title=f"Roadmap{tag}{i}", stage=2)
        overdue = f.milestone(severe, due_on=TODAY - timedelta(days=3), title=f"Audit{tag}{i}")
        review = f.review(severe, overdue)
        earlier = f.review(severe, f.milestone(severe, due_on=TODAY - timedelta(days=60)))
        decision = f.decision(earlier, a, lad.steps[0])
        decision.apply_status = ApplyStatus.DONE
        decision.applied_at = datetime.now(timezone.utc) - timedelta(days=50)  # 60-day wait
        earlier.status = "decided"
        f.dialogue(severe, b, summary=f"coalition meeting {tag}{i}")
        f.dialogue(severe, b, visibility=Visibility.PRIVATE, summary=f"B private {tag}{i}")
        letter = f.letter(severe)
        letter.status = LetterStatus.OPEN_FOR_SIGNING
        f.signature(letter, b)
        db_session.add(EscalationTask(engagement_id=severe.id, kind=StepKind.MEETING_WITH_BOARD,
                                      title=f"Request a meeting {tag}{i}", owner_organisation_id=a.id,
                                      due_on=TODAY + timedelta(days=7)))
        mild = f.engagement(f.company(), a, title=f"Mild{tag}{i}", severity_scale=2,
                            severity_scope=2, severity_irremediability=2)
        f.milestone(mild, due_on=TODAY + timedelta(days=40), stage=1)
        closed = f.engagement(f.company(), a, title=f"Closed{tag}{i}",
                              status=EngagementStatus.CLOSED_SUCCESS,
                              closed_on=TODAY - timedelta(days=100))
        elsewhere = f.engagement(f.company(next_agm_on=TODAY + timedelta(days=2)), c,
                                 title=f"Elsewhere{tag}{i}")
        f.review(elsewhere, f.milestone(elsewhere, due_on=TODAY - timedelta(days=2),
                                        title=f"C milestone{tag}{i}"))
        f.dialogue(elsewhere, c, summary=f"C meeting {tag}{i}")
        made.append((severe, mild, closed, elsewhere, review))
    db_session.flush()
    return made


def build_dash(db_session) -> Dash:
    with system_scope("test dashboard world", db_session):
        a, b, c = f.organisation("dash-a"), f.organisation("dash-b"), f.organisation("dash-c")
        users = [f.user(o) for o in (a, b, c)]
        ((severe, mild, closed, elsewhere, _review),) = add_engagement_world(db_session, a, b, c)
        db_session.commit()
        dash = Dash(a, b, c, *users, severe, mild, closed, elsewhere)
        for obj in vars(dash).values():
            obj.id  # noqa: B018  (load it again after the commit: the scope's end detaches it)
        return dash


@pytest.fixture
def dash(db_session):
    return build_dash(db_session)
