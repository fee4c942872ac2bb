"""The sweep's rules with an injected ``now``: reviews, step waits and reminders."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from engage.engagements.models import Engagement, EngagementStatus, Milestone
from engage.escalations import service
from engage.escalations.models import (
    ApplyStatus,
    Decision,
    DecisionKind,
    EscalationReview,
    MilestoneReminder,
    ReviewReason,
)
from engage.notifications.models import Notification, NotificationKind
from engage.tenancy import system_scope
from tests.escalations.conftest import NOW, TODAY


def _reviews(db_session):
    with system_scope("test"):
        return db_session.scalars(sa.select(EscalationReview).order_by(EscalationReview.id)).all()


def _set(db_session, model, row_id, **values):
    with system_scope("test"):
        db_session.execute(sa.update(model).where(model.id == row_id).values(**values))
        db_session.commit()


def test_an_overdue_milestone_opens_one_review_and_notifies_the_leads(app, world, db_session):
    opened = service.open_overdue_reviews(NOW)
    assert opened == [f"milestone:{world.milestone.id}:v1"]
    [review] = _reviews(db_session)
    assert review.reason == ReviewReason.MILESTONE_OVERDUE
    assert review.engagement_id == world.engagement.id
    assert review.due_at.date() == world.milestone.due_on
    with system_scope("test"):
        notified = db_session.execute(
            sa.select(Notification.user_id, Notification.kind)).all()
    assert sorted(notified) == sorted([(world.lead_user.id, NotificationKind.REVIEW_OPENED),
                                       (world.co_lead_user.id, NotificationKind.REVIEW_OPENED)])
    assert service.open_overdue_reviews(NOW) == []
    assert service.open_overdue_reviews(NOW + timedelta(days=3)) == []
    assert len(_reviews(db_session)) == 1


def test_not_due_yet_and_due_today_open_nothing(app, world, db_session):
    _set(db_session, Milestone, world.milestone.id, due_on=TODAY)
    assert service.open_overdue_reviews(NOW) == []
    _set(db_session, Milestone, world.milestone.id, due_on=TODAY + timedelta(days=5))
    assert service.open_overdue_reviews(NOW) == []
    assert service.open_overdue_reviews(NOW + timedelta(days=6)) != []


def test_a_milestone_met_the_day_before_opens_nothing(app, world, db_session):
    _set(db_session, Milestone, world.milestone.id, due_on=TODAY - timedelta(days=1),
         met_on=TODAY - timedelta(days=2))
    assert service.open_overdue_reviews(NOW) == []


def test_a_closed_engagement_opens_no_review(app, world, db_session):
    _set(db_session, Engagement, world.engagement.id, status=EngagementStatus.CLOSED_NO_PROSPECT,
         closed_on=TODAY - timedelta(days=1))
    assert service.open_overdue_reviews(NOW) == []
    assert service.send_reminders(NOW) == []


def test_an_extended_deadline_opens_a_new_review_only_after_the_new_date(app, world, db_session):
    service.open_overdue_reviews(NOW)
    new_date = TODAY + timedelta(days=30)
    _set(db_session, Milestone, world.milestone.id, due_on=new_date, deadline_version=2)
    assert service.open_overdue_reviews(NOW + timedelta(days=30)) == []  # due that day
    later = NOW + timedelta(days=31)
    assert service.open_overdue_reviews(later) == [f"milestone:{world.milestone.id}:v2"]
    assert [r.deadline_version for r in _reviews(db_session)] == [1, 2]


def _escalation(db_session, world, applied_at, wait_days=60):
    service.open_overdue_reviews(NOW)
    [review] = _reviews(db_session)
    with system_scope("test"):
        decision = Decision(
            review_id=review.id, engagement_id=world.engagement.id, kind=DecisionKind.ESCALATE,
            ladder_step_id=world.steps[0].id, reason="No roadmap",
            decided_by_organisation_id=world.lead.id, decided_at=applied_at,
            apply_status=ApplyStatus.DONE, applied_at=applied_at,
        )
        db_session.add(decision)
        db_session.execute(sa.update(Milestone).values(met_on=TODAY))
        db_session.commit()
        return decision.id


def test_a_step_wait_that_ran_out_opens_a_review(app, world, db_session):
    decided = NOW + timedelta(hours=1)
    decision_id = _escalation(db_session, world, decided)  # the ladder's steps wait 60 days
    assert service.open_step_reviews(decided + timedelta(days=59)) == []
    due = decided + timedelta(days=60)
    assert service.open_step_reviews(due) == [f"step:{decision_id}"]
    assert service.open_step_reviews(due + timedelta(days=1)) == []
    review = _reviews(db_session)[-1]
    assert review.reason == ReviewReason.STEP_WAIT_ELAPSED
    assert review.milestone_id is None and review.ladder_step_id == world.steps[0].id
    assert review.due_at == due


def test_no_step_review_when_something_newer_happened_or_the_engagement_closed(app, world, db_session):
    decided = NOW + timedelta(hours=1)
    _escalation(db_session, world, decided)
    with system_scope("test"):
        db_session.add(EscalationReview(
            engagement_id=world.engagement.id, milestone_id=world.milestone.id,
            deadline_version=7, trigger_key="milestone:newer", reason=ReviewReason.MILESTONE_OVERDUE,
            due_at=decided, opened_at=decided + timedelta(days=10)))
        db_session.commit()
    assert service.open_step_reviews(decided + timedelta(days=90)) == []


def test_no_step_review_for_a_closed_engagement(app, world, db_session):
    decided = NOW + timedelta(hours=1)
    _escalation(db_session, world, decided)
    _set(db_session, Engagement, world.engagement.id, status=EngagementStatus.CLOSED_SUCCESS,
         closed_on=TODAY)
    assert service.open_step_reviews(decided + timedelta(days=90)) == []


def test_reminders_fourteen_and_three_days_before_each_once(app, world, db_session):
    due = TODAY + timedelta(days=20)
    _set(db_session, Milestone, world.milestone.id, due_on=due)
    at = lambda days_before: datetime.combine(due - timedelta(days=days_before), NOW.timetz())  # noqa: E731
    assert service.send_reminders(at(15)) == []
    assert service.send_reminders(at(14)) == [f"milestone:{world.milestone.id}:v1:14d"]
    assert service.send_reminders(at(14)) == []
    assert service.send_reminders(at(10)) == []
    assert service.send_reminders(at(3)) == [f"milestone:{world.milestone.id}:v1:3d"]
    assert service.send_reminders(at(2)) == []
    assert service.send_reminders(at(0)) == []
    with system_scope("test"):
        sent = db_session.scalars(sa.select(MilestoneReminder.days_before)).all()
        reminders = db_session.scalars(
            sa.select(Notification.user_id).where(Notification.kind == NotificationKind.REMINDER)).all()
    assert sorted(sent) == [3, 14]
    assert sorted(reminders) == sorted([world.lead_user.id, world.co_lead_user.id] * 2)
    with system_scope("test"):
        subjects = set(db_session.scalars(sa.select(Notification.subject).where(
            Notification.kind == NotificationKind.REMINDER)))
    assert subjects == {f"{world.company.name}: due in 14 days: {world.milestone.title}",
                        f"{world.company.name}: due in 3 days: {world.milestone.title}"}


def test_a_late_first_sweep_sends_only_the_nearest_reminder(app, world, db_session):
    due = TODAY + timedelta(days=2)
    _set(db_session, Milestone, world.milestone.id, due_on=due)
    assert service.send_reminders(NOW) == [f"milestone:{world.milestone.id}:v1:3d"]


def test_the_sweep_reports_what_it_did(app, world, db_session):
    report = service.sweep(NOW)
    assert report.reviews_opened == [f"milestone:{world.milestone.id}:v1"]
    assert "reviews opened      1" in report.describe()
    assert service.sweep(NOW).reviews_opened == []


def test_a_review_is_not_sent_to_the_leads_viewers_who_cannot_decide_it(app, world, db_session):
    from engage.organisations.models import Organisation, OrgRole
    from tests import factories as f

    with system_scope("test", db_session):
        viewer = f.user(db_session.get(Organisation, world.lead.id), role=OrgRole.VIEWER)
        db_session.commit()
        viewer_id = viewer.id
    service.open_overdue_reviews(NOW)
    with system_scope("test"):
        notified = db_session.scalars(sa.select(Notification.user_id).where(
            Notification.kind == NotificationKind.REVIEW_OPENED)).all()
    assert sorted(notified) == sorted([world.lead_user.id, world.co_lead_user.id])
    assert viewer_id not in notified
