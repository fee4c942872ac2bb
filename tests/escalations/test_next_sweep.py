"""When the next sweep has work (``service.next_sweep_at``), on the injected clock: an idle
install sweeps at local midnight and when a waiting period ends, not every minute."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from engage import clock
from engage.companies.models import ImportJob, ImportStatus
from engage.engagements.models import Milestone
from engage.escalations import service, wakeups
from engage.escalations.models import ApplyStatus, Decision
from engage.notifications.models import Notification
from engage.tenancy import system_scope
from tests import factories as f
from tests.escalations.conftest import NOW, TODAY
from tests.escalations.test_sweep import _escalation, _set

# NOW is 09:00 UTC on 22 November, 10:00 in Amsterdam (the test app's zone): the next local
# midnight is 23:00 UTC.
MIDNIGHT = datetime(2026, 11, 22, 23, 0, tzinfo=timezone.utc)


@pytest.fixture
def settings(app):
    cfg = app.config
    saved = {k: cfg[k] for k in ("ENGAGE_SWEEP_INTERVAL_SECONDS", "ENGAGE_SWEEP_RETRY_SECONDS",
                                 "ENGAGE_APPLY_GRACE_SECONDS", "ENGAGE_APPLY_STALE_SECONDS",
                                 "BABEL_DEFAULT_TIMEZONE", "ENGAGE_SMTP_HOST")}
    cfg.update(ENGAGE_SWEEP_INTERVAL_SECONDS=86400, ENGAGE_SWEEP_RETRY_SECONDS=60,
               ENGAGE_APPLY_GRACE_SECONDS=120, ENGAGE_APPLY_STALE_SECONDS=900,
               BABEL_DEFAULT_TIMEZONE="Europe/Amsterdam", ENGAGE_SMTP_HOST=None)
    yield cfg
    cfg.update(saved)


def test_next_midnight_is_local_and_follows_daylight_saving(app, db_session, settings):
    assert clock.next_midnight(NOW) == MIDNIGHT
    assert clock.next_midnight(MIDNIGHT - timedelta(microseconds=1)) == MIDNIGHT
    assert clock.next_midnight(MIDNIGHT) == MIDNIGHT + timedelta(days=1)
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=timezone.utc)  # CEST, UTC+2
    assert clock.next_midnight(summer) == datetime(2026, 7, 1, 22, 0, tzinfo=timezone.utc)
    settings["BABEL_DEFAULT_TIMEZONE"] = "America/New_York"
    assert clock.next_midnight(NOW) == datetime(2026, 11, 23, 5, 0, tzinfo=timezone.utc)


def test_with_nothing_pending_the_next_sweep_is_at_local_midnight(app, world, db_session, settings):
    service.sweep(NOW)  # opens the world's overdue review: nothing left due today
    assert service.next_sweep_at(NOW) == MIDNIGHT
    # A deadline today passes at that midnight, and the sweep then opens its review.
    _set(db_session, Milestone, world.milestone.id, due_on=TODAY, deadline_version=2)
    assert service.next_sweep_at(NOW) == MIDNIGHT
    assert service.open_overdue_reviews(MIDNIGHT - timedelta(seconds=1)) == []
    assert service.open_overdue_reviews(MIDNIGHT) == [f"milestone:{world.milestone.id}:v2"]


def test_the_safety_net_bounds_the_gap(app, world, db_session, settings):
    service.sweep(NOW)
    settings["ENGAGE_SWEEP_INTERVAL_SECONDS"] = 3600
    assert service.next_sweep_at(NOW) == NOW + timedelta(hours=1)


def test_a_step_whose_wait_ends_before_midnight_sweeps_then(app, world, db_session, settings):
    decided = NOW + timedelta(hours=1)
    _escalation(db_session, world, decided)  # the ladder's steps wait 60 days
    ends = decided + timedelta(days=60)
    assert service.next_sweep_at(decided) == clock.next_midnight(decided)
    assert service.next_sweep_at(ends - timedelta(hours=2)) == ends
    assert service.open_step_reviews(ends) != []
    assert service.next_sweep_at(ends) == clock.next_midnight(ends)


def test_the_outbox_periods(app, world, db_session, settings):
    service.open_overdue_reviews(NOW)
    with system_scope("test"):
        review_id = db_session.scalar(sa.select(sa.text("id")).select_from(sa.text("escalation_review")))
        decision = Decision(review_id=review_id, engagement_id=world.engagement.id,
                            kind="close", close_outcome="success", reason="Done",
                            decided_by_organisation_id=world.lead.id, decided_at=NOW,
                            apply_status=ApplyStatus.PENDING)
        db_session.add(decision)
        db_session.commit()
        decision_id = decision.id
    # Pending: the sweep takes it when the grace period ends.
    assert service.next_sweep_at(NOW) == NOW + timedelta(seconds=120)
    # Claimed by a worker: taken over when the claim goes stale.
    _set(db_session, Decision, decision_id, apply_status=ApplyStatus.RUNNING,
         apply_claimed_at=NOW)
    assert service.next_sweep_at(NOW) == NOW + timedelta(seconds=900)
    # Failed with attempts left: tried again after the retry period.
    _set(db_session, Decision, decision_id, apply_status=ApplyStatus.FAILED, apply_attempts=1)
    assert service.next_sweep_at(NOW) == NOW + timedelta(seconds=60)
    # Given up: nothing more to do for it.
    _set(db_session, Decision, decision_id, apply_attempts=3)
    assert service.next_sweep_at(NOW) == MIDNIGHT


def test_import_jobs_no_run_took(app, world, db_session, settings):
    with system_scope("test"):
        job = f.import_job(world.lead, world.lead_user)
        db_session.commit()
        job_id = job.id
    _set(db_session, ImportJob, job_id, status=ImportStatus.QUEUED, created_at=NOW)
    assert service.next_sweep_at(NOW) == NOW + timedelta(seconds=120)
    _set(db_session, ImportJob, job_id, status=ImportStatus.RUNNING,
         started_at=NOW - timedelta(seconds=100))
    assert service.next_sweep_at(NOW) == NOW + timedelta(seconds=800)


def test_notifications_to_email_are_due_only_with_smtp(app, world, db_session, settings):
    service.open_overdue_reviews(NOW)  # notifies the leads; nothing e-mailed
    with system_scope("test"):
        assert db_session.scalar(sa.select(sa.func.count(Notification.id))) > 0
        db_session.commit()
    assert service.next_sweep_at(NOW) == MIDNIGHT
    settings["ENGAGE_SMTP_HOST"] = "smtp.invalid"
    assert service.next_sweep_at(NOW) == NOW + timedelta(seconds=60)


def test_a_milestone_due_before_the_next_sweep_asks_for_one(app, world, db_session, settings):
    """A write that makes work due before midnight marks its session; committed, the
    orchestrator is asked for a sweep at the next minute."""
    asked = []

    class Recorder:
        def request_sweep(self, at):
            asked.append(at)

    from engage import orchestrator

    before = app.extensions.get(orchestrator.EXTENSION)
    orchestrator.install(app, Recorder())
    try:
        db_session.commit()  # the world's own overdue milestone asks first
        _join_wakeups()
        assert len(asked) == 1
        asked.clear()
        now = clock.now()
        with system_scope("test"):
            f.milestone(world.engagement, due_on=clock.local_date(now) + timedelta(days=400))
            db_session.commit()
        _join_wakeups()
        assert asked == []  # far away: the sweep at its midnight finds it
        with system_scope("test"):
            f.milestone(world.engagement, due_on=clock.local_date(now) - timedelta(days=1))
            db_session.flush()
            db_session.rollback()
        _join_wakeups()
        assert asked == []  # rolled back: nothing to do
        with system_scope("test"):
            f.milestone(world.engagement, due_on=clock.local_date(now) - timedelta(days=1))
            db_session.commit()
        _join_wakeups()
        assert len(asked) == 1
        assert now < asked[0] <= wakeups.next_minute(clock.now())
        assert asked[0].second == 0 and asked[0].microsecond == 0
    finally:
        app.extensions[orchestrator.EXTENSION] = before


def _join_wakeups() -> None:
    import threading

    for thread in threading.enumerate():
        if thread.name == "sweep-wakeup":
            thread.join(10)
