"""Idempotency under stress, with real commits: parallel sweeps and a sweep killed halfway."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from engage.db import reading
from engage.escalations import service
from engage.escalations.models import EscalationReview, MilestoneReminder
from engage.extensions import db
from engage.notifications.models import Notification
from engage.tenancy import system_scope
from tests import factories as f
from tests.conftest import POSTGRES_URL
from tests.escalations.committed_db import committed_database
from tests.escalations.conftest import NOW, TODAY, build_world

ROUNDS = 100 if POSTGRES_URL else 15


@pytest.fixture(scope="module")
def committed(tmp_path_factory):
    with committed_database(tmp_path_factory.mktemp("committed")) as (app, url):
        with app.app_context():
            world = build_world(db.session)
            with system_scope("test world"):
                db.session.commit()
        yield app, url, world


def _add_milestones(app, world, overdue: int, upcoming: int = 0) -> list[int]:
    with app.app_context(), system_scope("test"):
        ids = [f.milestone(world.engagement, due_on=TODAY - timedelta(days=1)).id for _ in range(overdue)]
        ids += [f.milestone(world.engagement, due_on=TODAY + timedelta(days=3)).id for _ in range(upcoming)]
        db.session.commit()
    return ids


def _counts(app, milestone_ids):
    # Only reads: on SQLite it must not queue for the write lock behind the sweep it
    # watches (it would see the sweep only once it has finished).
    with reading(), app.app_context(), system_scope("test"):
        reviews = dict(db.session.execute(
            sa.select(EscalationReview.milestone_id, sa.func.count())
            .where(EscalationReview.milestone_id.in_(milestone_ids))
            .group_by(EscalationReview.milestone_id)).all())
        reminders = dict(db.session.execute(
            sa.select(MilestoneReminder.milestone_id, sa.func.count())
            .where(MilestoneReminder.milestone_id.in_(milestone_ids))
            .group_by(MilestoneReminder.milestone_id)).all())
        notifications = dict(db.session.execute(
            sa.select(Notification.dedupe_key, sa.func.count()).group_by(Notification.dedupe_key)
            .having(sa.func.count() > 1)).all())
        db.session.commit()
    return reviews, reminders, notifications


def test_two_sweeps_at_once_open_each_review_once(committed):
    app, _, world = committed
    errors = []

    def sweeper(barrier):
        try:
            with app.app_context():
                barrier.wait()
                service.open_overdue_reviews(NOW)
                service.send_reminders(NOW)
        except Exception as exc:  # reported below, with the round
            errors.append(exc)

    all_overdue, all_upcoming = [], []
    for _ in range(ROUNDS):
        ids = _add_milestones(app, world, overdue=2, upcoming=1)
        all_overdue += ids[:2]
        all_upcoming += ids[2:]
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=sweeper, args=(barrier,)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    reviews, reminders, duplicates = _counts(app, all_overdue + all_upcoming)
    assert {m: reviews.get(m) for m in all_overdue} == {m: 1 for m in all_overdue}
    assert {m: reminders.get(m) for m in all_upcoming} == {m: 1 for m in all_upcoming}
    assert duplicates == {}


SLOW_SWEEP = """
import sys, time
from datetime import datetime
from engage import create_app
from engage.notifications import service as notifications
real = notifications.notify
def slow(*args, **kwargs):
    time.sleep(0.02)
    return real(*args, **kwargs)
notifications.notify = slow
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1]})
with app.app_context():
    from engage.escalations import service
    service.open_overdue_reviews(datetime.fromisoformat(sys.argv[2]))
"""


def test_a_sweep_killed_halfway_loses_nothing_and_doubles_nothing(committed, tmp_path):
    app, url, world = committed
    ids = _add_milestones(app, world, overdue=150)
    env = {**os.environ, "ENGAGE_INSTANCE_PATH": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-c", SLOW_SWEEP, url, NOW.isoformat()], env=env)
    try:
        deadline = time.monotonic() + 60
        opened = 0
        while time.monotonic() < deadline and proc.poll() is None:
            opened = sum(_counts(app, ids)[0].values())
            if opened >= 10:
                break
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the sweep should have been killed mid-run"
    partial = sum(_counts(app, ids)[0].values())
    assert 0 < partial < len(ids)
    with app.app_context():
        service.open_overdue_reviews(NOW)
        service.open_overdue_reviews(NOW)
    reviews, _, duplicates = _counts(app, ids)
    assert reviews == {m: 1 for m in ids}
    assert duplicates == {}
    with app.app_context(), system_scope("test"):
        # Each review and its notifications committed together: two leads, each told once.
        per_review = db.session.execute(
            sa.select(sa.func.count(Notification.id))
            .join(EscalationReview, Notification.dedupe_key.startswith(
                sa.literal("review:") + sa.cast(EscalationReview.id, sa.String) + ":"))
            .where(EscalationReview.milestone_id.in_(ids))
            .group_by(EscalationReview.id)).scalars().all()
        db.session.commit()
    assert per_review == [2] * len(ids)
