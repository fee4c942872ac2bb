"""The database itself refuses rows that break the domain's rules, on both backends."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from engage.engagements.models import Engagement, EngagementLevel, Milestone
from engage.escalations.models import DecisionKind, EscalationReview
from engage.tenancy import system_scope
from tests import factories as f


@pytest.fixture
def scope(db_session):
    with system_scope("test", db_session):
        yield db_session


def _refused(session, obj):
    with pytest.raises(sa.exc.IntegrityError):
        with session.begin_nested():
            session.add(obj)
            session.flush()


@pytest.fixture
def base(scope):
    a = f.organisation()
    x = f.company()
    e = f.engagement(x, a)
    return a, x, e


def test_severity_is_one_to_five(scope, base):
    a, x, _ = base
    for field in ("severity_scale", "severity_scope", "severity_irremediability"):
        kwargs = dict(severity_scale=3, severity_scope=3, severity_irremediability=3)
        kwargs[field] = 6
        _refused(scope, Engagement(company_id=x.id, title="t", level=EngagementLevel.DIRECT,
                                   trigger="reactive", issue="i", started_on=f.TODAY, **kwargs))


def test_collaborative_engagement_needs_an_initiative_and_direct_has_none(scope, base):
    a, x, _ = base
    init = f.initiative(a)
    common = dict(company_id=x.id, title="t", trigger="proactive", issue="i", started_on=f.TODAY,
                  severity_scale=1, severity_scope=1, severity_irremediability=1)
    _refused(scope, Engagement(level=EngagementLevel.COLLABORATIVE, **common))
    _refused(scope, Engagement(level=EngagementLevel.DIRECT, initiative_id=init.id, **common))


def test_closed_engagement_has_a_closing_date(scope, base):
    _, _, e = base
    with pytest.raises(sa.exc.IntegrityError):
        with scope.begin_nested():
            e.status = "closed_success"
            scope.flush()


def test_milestone_stage_is_zero_to_four(scope, base):
    _, _, e = base
    _refused(scope, Milestone(engagement_id=e.id, title="m", due_on=f.TODAY, stage=5))


def test_a_deadline_can_open_only_one_review(scope, base):
    _, _, e = base
    m = f.milestone(e)
    f.review(e, m)
    duplicate = EscalationReview(
        engagement_id=e.id, milestone_id=m.id, deadline_version=m.deadline_version,
        trigger_key=f"milestone:{m.id}:v{m.deadline_version}", reason="milestone_overdue",
        due_at=datetime.now(timezone.utc),
    )
    _refused(scope, duplicate)


def test_decision_fields_follow_its_kind(scope, base):
    a, _, e = base
    lad = f.ladder()
    m = f.milestone(e)
    r = f.review(e, m)
    common = dict(review_id=r.id, engagement_id=e.id, reason="why", decided_by_organisation_id=a.id)
    _refused(scope, f.Decision(kind=DecisionKind.ESCALATE, **common))  # no step
    _refused(scope, f.Decision(kind=DecisionKind.EXTEND, **common))  # no new date
    _refused(scope, f.Decision(kind=DecisionKind.CLOSE, **common))  # no outcome
    _refused(scope, f.Decision(kind=DecisionKind.EXTEND, new_due_on=f.TODAY + timedelta(days=30),
                               **{**common, "reason": "   "}))
    ok = f.Decision(kind=DecisionKind.ESCALATE, ladder_step_id=lad.steps[0].id, **common)
    scope.add(ok)
    scope.flush()
    _refused(scope, f.Decision(kind=DecisionKind.CLOSE, close_outcome="success", **common))  # one per review


def test_an_organisation_signs_a_letter_once(scope, base):
    a, _, e = base
    lt = f.letter(e)
    f.signature(lt, a)
    _refused(scope, f.Signature(letter_id=lt.id, organisation_id=a.id))


def test_identities_are_unique_per_issuer_and_subject(scope, base):
    a, _, _ = base
    from engage.auth.models import Identity

    u1, u2 = f.user(a), f.user(a)
    scope.add(Identity(user_id=u1.id, issuer="https://idp.example", subject="abc"))
    scope.flush()
    _refused(scope, Identity(user_id=u2.id, issuer="https://idp.example", subject="abc"))


def test_a_user_belongs_to_one_organisation(scope, base):
    a, _, _ = base
    u = f.user(a)
    _refused(scope, f.OrgMembership(user_id=u.id, organisation_id=f.organisation().id, role="member"))


def test_unknown_enum_values_are_refused_before_the_database(scope, base):
    _, _, e = base
    with pytest.raises((LookupError, sa.exc.StatementError)):
        with scope.begin_nested():
            scope.add(Milestone(engagement_id=e.id, title="m", due_on=f.TODAY, horizon="someday"))
            scope.flush()


def test_foreign_keys_are_enforced(scope, base):
    a, _, _ = base
    _refused(scope, f.Holding(organisation_id=a.id, company_id=999_999, value_eur=1, valued_on=f.TODAY))
