"""Writes that make escalation work due before the next sweep ask the orchestrator for one.

The sweep runs when work can fall due (``service.next_sweep_at``: local midnight, the end of
a step's waiting time, the outbox's periods) and schedules its successor then. A write in
between can make work due sooner: a milestone whose deadline has passed or is within the
reminder days (``ENGAGE_REMINDER_DAYS``), a notification to e-mail. Such a write marks its
session; after the commit one sweep is asked for at the start of the next minute, keyed by
that minute, so many writes in a minute start one run (as the sweep every minute did).

The flows' own processes do not ask (``ENGAGE_SWEEP_WAKEUPS`` is off there): a flow run
schedules the next sweep itself when it ends.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session, object_session

from engage import clock, orchestrator
from engage.engagements.models import Milestone

log = logging.getLogger(__name__)

WANTED = "engage.sweep_wanted"


def want_sweep(session: Session | None) -> None:
    """Ask for a sweep once ``session`` commits (nothing when it rolls back)."""
    if session is not None and has_app_context() and current_app.config.get(
            "ENGAGE_SWEEP_WAKEUPS", True):
        session.info[WANTED] = True


def next_minute(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0) + timedelta(minutes=1)


def due_before_next_sweep(milestone: Milestone, now: datetime) -> bool:
    """Whether the sweep has work for ``milestone`` before the next local midnight: it is
    pending and its deadline has passed (a review) or is within the reminder days."""
    if milestone.due_on is None or milestone.met_on is not None or milestone.cancelled_on is not None:
        return False
    days = current_app.config.get("ENGAGE_REMINDER_DAYS") or [0]
    return milestone.due_on <= clock.local_date(now) + timedelta(days=max(days))


def listen(session_cls: type[Session]) -> None:
    """Listen on the app's session class and on milestones (once per process)."""
    for target, name, fn in ((Milestone, "after_insert", _milestone_written),
                             (Milestone, "after_update", _milestone_written),
                             (session_cls, "after_commit", _ask_after_commit),
                             (session_cls, "after_rollback", _forget_on_rollback)):
        if not event.contains(target, name, fn):
            event.listen(target, name, fn)


def _milestone_written(_mapper, _connection, milestone: Milestone) -> None:
    if has_app_context() and due_before_next_sweep(milestone, clock.now()):
        want_sweep(object_session(milestone))


def _ask_after_commit(session: Session) -> None:
    if not session.info.pop(WANTED, False) or not has_app_context():
        return
    # In a thread of its own: the first request imports the orchestrator's client (seconds),
    # which the person who saved a milestone must not wait for.
    app = current_app._get_current_object()
    threading.Thread(target=_ask, args=(app, next_minute(clock.now())), daemon=True,
                     name="sweep-wakeup").start()


def _ask(app, at: datetime) -> None:
    with app.app_context():
        try:
            orchestrator.request_sweep(at)
        except Exception:  # the commit stands; the next scheduled sweep finds the work
            log.exception("could not ask for a sweep")


def _forget_on_rollback(session: Session) -> None:
    session.info.pop(WANTED, None)
