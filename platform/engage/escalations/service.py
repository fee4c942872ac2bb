"""The escalation engine's rules: what the flows (``workflows/``) call, and what operators run.

The database is the source of truth: deadlines, reviews and decisions live here and every
rule takes ``now``. Each due item is handled in a transaction of its own and guarded by a
unique key (``trigger_key``, one reminder per milestone, deadline version and N days, one
effect per decision), so two sweeps at once, a sweep run twice or a worker killed halfway
never open a review twice and never lose one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from flask import current_app

from engage import signals
from engage.audit import service as audit
from engage import clock
from engage.clock import local_date
from engage.common.writes import insert_if_absent, update_where
from engage.db import reading
from engage.companies import jobs as import_jobs
from engage.engagements.models import Engagement, EngagementStatus, Milestone
from engage.escalations import actions
from engage.escalations.decisions import (  # noqa: F401  (the service's public API)
    DecisionError,
    NotALead,
    ReviewNotOpen,
    record_decision,
)
from engage.escalations.models import (
    LEAVING,
    ApplyStatus,
    CloseOutcome,
    Decision,
    DecisionKind,
    DivestmentReview,
    EscalationReview,
    LadderStep,
    MilestoneReminder,
    ReviewReason,
)
from engage.extensions import db
from engage.notifications import service as notifications
from engage.tenancy import system_scope

log = logging.getLogger(__name__)

# The reasons the sweep and the applying of a decision give for their system scope.
SWEEP = "escalation-sweep"
APPLY = "apply-decision"
ERROR_LENGTH = 2000


@dataclass
class SweepReport:
    now: datetime
    reviews_opened: list[str] = field(default_factory=list)
    reminders_sent: list[str] = field(default_factory=list)
    decisions_applied: list[int] = field(default_factory=list)
    decisions_failed: list[int] = field(default_factory=list)
    emails_sent: int = 0
    imports_run: list[int] = field(default_factory=list)

    def describe(self) -> str:
        lines = [f"Sweep at {self.now.isoformat()}"]
        lines.append(f"  reviews opened      {len(self.reviews_opened)}  {' '.join(self.reviews_opened)}".rstrip())
        lines.append(f"  reminders sent      {len(self.reminders_sent)}  {' '.join(self.reminders_sent)}".rstrip())
        lines.append(f"  decisions applied   {len(self.decisions_applied)}  {' '.join(map(str, self.decisions_applied))}".rstrip())
        lines.append(f"  decisions failed    {len(self.decisions_failed)}  {' '.join(map(str, self.decisions_failed))}".rstrip())
        lines.append(f"  e-mails sent        {self.emails_sent}")
        lines.append(f"  imports run         {len(self.imports_run)}  {' '.join(map(str, self.imports_run))}".rstrip())
        return "\n".join(lines)

    def summary(self) -> dict[str, Any]:
        """What a sweep flow run returns (shown in Prefect's UI)."""
        return {"reviews_opened": self.reviews_opened, "reminders_sent": self.reminders_sent,
                "applied": self.decisions_applied, "failed": self.decisions_failed,
                "emails_sent": self.emails_sent, "imports_run": self.imports_run}


@dataclass(frozen=True)
class SweepStep:
    """One step of the sweep: the rule it runs at ``now``, and where its result goes in the
    report. ``SWEEP_STEPS`` (at the end of this module) lists them in order, once: ``sweep``
    runs them here, the sweep flow runs each as a task of its own."""

    run: Callable[[datetime], Any]
    record: Callable[[SweepReport, Any], None]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


# --- the sweep -------------------------------------------------------------------------------


def sweep(now: datetime) -> SweepReport:
    """One pass: open due reviews, send due reminders, apply what the outbox holds, e-mail."""
    report = SweepReport(now=now)
    for step in SWEEP_STEPS:
        step.record(report, step.run(now))
    return report


def _review_exists(milestone_id, version) -> sa.ColumnElement[bool]:
    return sa.exists().where(
        EscalationReview.milestone_id == milestone_id,
        EscalationReview.deadline_version == version,
    )


def open_overdue_reviews(now: datetime) -> list[str]:
    """A review for every milestone past due and unmet (``Milestone.overdue``)."""
    today = local_date(now)
    opened = []
    with system_scope(SWEEP):
        due = db.session.execute(
            sa.select(Milestone.id, Milestone.engagement_id, Milestone.deadline_version,
                      Milestone.due_on, Milestone.title)
            .where(Milestone.overdue(today),
                   ~_review_exists(Milestone.id, Milestone.deadline_version))
            .order_by(Milestone.due_on, Milestone.id)
        ).all()
        db.session.commit()  # end the read: each item below is a unit of its own
        for m in due:
            key = f"milestone:{m.id}:v{m.deadline_version}"
            if _open_review(key, now, engagement_id=m.engagement_id, milestone_id=m.id,
                            deadline_version=m.deadline_version, due_at=_midnight(m.due_on),
                            reason=ReviewReason.MILESTONE_OVERDUE,
                            cause={"reason": "milestone_overdue", "milestone": m.title,
                                   "due_on": m.due_on.isoformat()}):
                opened.append(key)
    return opened


def open_step_reviews(now: datetime) -> list[str]:
    """A review when an escalation step's waiting time has run out with nothing newer."""
    opened = []
    with system_scope(SWEEP):
        rows = db.session.execute(_step_waits(
            sa.select(Decision.id, Decision.engagement_id, Decision.applied_at,
                      LadderStep.id.label("step_id"), LadderStep.wait_days, LadderStep.kind))
            .order_by(Decision.id)
        ).all()
        db.session.commit()
        for d in rows:
            due_at = d.applied_at + timedelta(days=d.wait_days)
            if due_at > now:
                continue
            key, due_on = f"step:{d.id}", due_at.date()
            if _open_review(key, now, engagement_id=d.engagement_id, ladder_step_id=d.step_id,
                            due_at=due_at, reason=ReviewReason.STEP_WAIT_ELAPSED,
                            cause={"reason": "step_wait_elapsed",
                                   "step_kind": getattr(d.kind, "value", d.kind),
                                   "wait_days": d.wait_days, "due_on": due_on.isoformat()}):
                opened.append(key)
    return opened


def open_look_again_reviews(now: datetime) -> list[str]:
    """On a concluded divestment review's date to look again, a new divestment review: are
    the re-entry criteria met? Once per date (``follows_review_id`` is unique)."""
    today = local_date(now)
    later = sa.orm.aliased(DivestmentReview)
    opened = []
    with system_scope(SWEEP):
        due = db.session.execute(
            sa.select(DivestmentReview.id, DivestmentReview.engagement_id,
                      DivestmentReview.re_entry_criteria, DivestmentReview.look_again_on)
            .where(DivestmentReview.look_again_on <= today,
                   DivestmentReview.conclusion.in_(LEAVING),
                   ~sa.exists().where(later.follows_review_id == DivestmentReview.id))
            .order_by(DivestmentReview.look_again_on, DivestmentReview.id)
        ).all()
        db.session.commit()
        for r in due:
            try:
                review_id = insert_if_absent(DivestmentReview, {
                    "engagement_id": r.engagement_id, "follows_review_id": r.id,
                    "questions": actions.look_again_questions(r.re_entry_criteria,
                                                              r.look_again_on),
                    "created_at": now,
                })
                if review_id is not None:
                    engagement = db.session.get(Engagement, r.engagement_id)
                    signals.divestment_review_opened.send(review_id, engagement=engagement,
                                                          now=now)
                    opened.append(f"divestment:{r.id}:look-again")
                db.session.commit()
            except BaseException:
                db.session.rollback()
                raise
    return opened


def _open_review(key: str, now: datetime, *, cause: dict[str, Any], **values) -> bool:
    """Insert the review unless its trigger key exists, announce it (the leads are told),
    commit: one unit.
    ``cause`` says why, as data (the notification says it in each reader's language).

    The INSERT comes first, so the unit takes the write lock before it reads (on SQLite a
    transaction that reads and then writes can deadlock with another writer)."""
    try:
        review_id = insert_if_absent(
            EscalationReview, {"trigger_key": key, "opened_at": now, "status": "open", **values})
        if review_id is not None:
            signals.review_opened.send(review_id, engagement_id=values["engagement_id"],
                                       cause=cause, now=now)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return review_id is not None


def send_reminders(now: datetime) -> list[str]:
    """Remind the leads N days before a deadline (ENGAGE_REMINDER_DAYS), once per N."""
    today = local_date(now)
    days = sorted(current_app.config["ENGAGE_REMINDER_DAYS"])
    if not days:
        return []
    sent = []
    with system_scope(SWEEP):
        rows = db.session.execute(
            sa.select(Milestone.id, Milestone.engagement_id, Milestone.deadline_version,
                      Milestone.due_on, Milestone.title)
            .join(Engagement, Engagement.id == Milestone.engagement_id)
            .where(Milestone.pending, Milestone.due_on >= today,
                   Milestone.due_on <= today + timedelta(days=days[-1]),
                   Engagement.status == EngagementStatus.ACTIVE)
            .order_by(Milestone.due_on, Milestone.id)
        ).all()
        db.session.commit()
        for m in rows:
            left = (m.due_on - today).days
            n = min(d for d in days if left <= d)  # a late first sweep sends the nearest only
            try:
                reminder_id = insert_if_absent(MilestoneReminder, {
                    "milestone_id": m.id, "engagement_id": m.engagement_id,
                    "deadline_version": m.deadline_version, "days_before": n, "sent_at": now,
                })
                if reminder_id is not None:
                    signals.milestone_due.send(
                        m.id, engagement_id=m.engagement_id, title=m.title, due_on=m.due_on,
                        days_left=left, deadline_version=m.deadline_version, days_before=n,
                        now=now)
                    sent.append(f"milestone:{m.id}:v{m.deadline_version}:{n}d")
                db.session.commit()
            except BaseException:
                db.session.rollback()
                raise
    return sent


def deliver_emails(now: datetime) -> int:
    """E-mail the notifications not yet e-mailed (when SMTP is configured)."""
    with system_scope(SWEEP):
        return notifications.deliver_emails(now)


# --- applying decisions (the outbox) ----------------------------------------------------------


def _claimable(now: datetime) -> sa.ColumnElement[bool]:
    cfg = current_app.config
    stale = now - timedelta(seconds=cfg["ENGAGE_APPLY_STALE_SECONDS"])
    return sa.or_(
        Decision.apply_status == ApplyStatus.PENDING,
        sa.and_(Decision.apply_status == ApplyStatus.FAILED,
                Decision.apply_attempts < cfg["ENGAGE_APPLY_MAX_ATTEMPTS"]),
        sa.and_(Decision.apply_status == ApplyStatus.RUNNING, Decision.apply_claimed_at <= stale),
    )


def apply_outbox(now: datetime) -> tuple[list[int], list[int]]:
    """Apply decisions that Prefect did not (pending past the grace period), retry failed
    ones up to ENGAGE_APPLY_MAX_ATTEMPTS, and take over claims lost with their worker."""
    grace = now - timedelta(seconds=current_app.config["ENGAGE_APPLY_GRACE_SECONDS"])
    with system_scope(SWEEP):
        ids = db.session.scalars(
            sa.select(Decision.id)
            .where(_claimable(now),
                   sa.or_(Decision.apply_status != ApplyStatus.PENDING,
                          Decision.decided_at <= grace))
            .order_by(Decision.decided_at)
        ).all()
        db.session.commit()
    applied, failed = [], []
    for decision_id in ids:
        outcome = apply_decision(decision_id, now)
        if outcome == ApplyStatus.DONE:
            applied.append(decision_id)
        elif outcome == ApplyStatus.FAILED:
            failed.append(decision_id)
    return applied, failed


def handed_over_runs(limit: int) -> list[str]:
    """The flow-run ids of decisions handed to the orchestrator and not yet taken up
    (pending, the run's id written), oldest first: what a worker's watch runs
    (``workflows.warm``). Only reads: on SQLite it does not queue for the write lock."""
    with reading(), system_scope(APPLY):
        ids = db.session.scalars(
            sa.select(Decision.flow_run_id)
            .where(Decision.apply_status == ApplyStatus.PENDING, Decision.flow_run_id.is_not(None))
            .order_by(Decision.decided_at).limit(limit)
        ).all()
        db.session.commit()
    return list(ids)


def apply_and_deliver(decision_id: int, now: datetime, flow_run_id: str | None = None) -> str | None:
    """Claim one decision and carry out its effects, once; then e-mail what it caused. The
    new status's value, or None when someone else holds the decision or it is done."""
    status = apply_decision(decision_id, now, flow_run_id=flow_run_id)
    deliver_emails(now)
    return None if status is None else status.value


def apply_decision(decision_id: int, now: datetime, flow_run_id: str | None = None) -> ApplyStatus | None:
    """Carry out a decision once: claim it (a conditional UPDATE), apply its effects and
    mark it done in one transaction; on error mark it failed with the reason. Returns the
    new status, or None when someone else holds it or it is done.

    What it writes is recorded in the trail of the organisation that decided (a row private
    to another organisation, such as its vote, in that one's), via ``decision:<id>``."""
    with system_scope(APPLY):
        decided_by = db.session.scalar(sa.select(Decision.decided_by_organisation_id)
                                       .where(Decision.id == decision_id))
        with audit.on_behalf_of(decided_by, f"decision:{decision_id}"):
            values = {"apply_status": ApplyStatus.RUNNING, "apply_claimed_at": now,
                      "apply_attempts": Decision.__table__.c.apply_attempts + 1, "apply_error": ""}
            if flow_run_id:
                values["flow_run_id"] = flow_run_id
            claimed = update_where(Decision, decision_id, _claimable(now), values)
            db.session.commit()
            if not claimed:
                return None
            try:
                decision = db.session.get(Decision, decision_id)
                effect = _apply(decision, now)
                decision.apply_status = ApplyStatus.DONE
                decision.applied_at = now
                db.session.commit()
                log.info("decision %s applied: %s", decision_id, effect)
                return ApplyStatus.DONE
            except Exception as exc:
                db.session.rollback()
                log.exception("decision %s could not be applied", decision_id)
                error = f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH]
                update_where(Decision, decision_id, Decision.apply_status == ApplyStatus.RUNNING,
                             {"apply_status": ApplyStatus.FAILED, "apply_error": error})
                _tell_leads_if_given_up(decision_id, error, now)
                db.session.commit()
                return ApplyStatus.FAILED


def _tell_leads_if_given_up(decision_id: int, error: str, now: datetime) -> None:
    attempts, engagement_id = db.session.execute(
        sa.select(Decision.apply_attempts, Decision.engagement_id).where(Decision.id == decision_id)
    ).one()
    if attempts < current_app.config["ENGAGE_APPLY_MAX_ATTEMPTS"]:
        return
    signals.decision_failed.send(decision_id, engagement_id=engagement_id, attempts=attempts,
                                 error=error, now=now)


def _apply(decision: Decision, now: datetime) -> str:
    today = local_date(now)
    review = decision.review
    engagement = review.engagement
    if decision.kind == DecisionKind.ESCALATE:
        step = decision.ladder_step
        if step is None:
            raise ValueError("the ladder step of this decision no longer exists")
        engagement.current_step_id = step.id
        return actions.take_step(decision, step, engagement, now, today)
    if decision.kind == DecisionKind.EXTEND:
        milestone = review.milestone
        # Only the deadline the review was about moves; applied twice it moves once.
        if milestone.deadline_version == review.deadline_version:
            milestone.due_on = decision.new_due_on
            milestone.deadline_version = review.deadline_version + 1
        return f"milestone {milestone.id} due on {milestone.due_on} (v{milestone.deadline_version})"
    if engagement.status == EngagementStatus.ACTIVE:
        engagement.status = (EngagementStatus.CLOSED_SUCCESS
                             if decision.close_outcome == CloseOutcome.SUCCESS
                             else EngagementStatus.CLOSED_NO_PROSPECT)
        engagement.closed_on = today
    return f"engagement {engagement.id} {engagement.status.value}"


# --- when the next sweep has work ------------------------------------------------------------


def next_sweep_at(now: datetime) -> datetime:
    """The earliest moment after ``now`` at which a sweep can find work, so that an idle
    install sweeps when something falls due rather than every minute:

    - the next local midnight: milestone deadlines, reminders (N days before a deadline)
      and a divestment review's date to look again are dates, which pass then;
    - the end of the waiting time of the escalation step each active engagement is on;
    - the outbox: a pending decision's grace period (``ENGAGE_APPLY_GRACE_SECONDS``), a
      claim going stale (``ENGAGE_APPLY_STALE_SECONDS``), a failed decision's next attempt;
    - import jobs no workflow run took or finished (the same two periods);
    - notifications not yet e-mailed (when SMTP is configured).

    Work that is due already (it failed, or came in during the sweep) is tried again after
    ``ENGAGE_SWEEP_RETRY_SECONDS``; and no gap is longer than
    ``ENGAGE_SWEEP_INTERVAL_SECONDS``, the safety net. Writes that make work due before
    this moment (a deadline set in the past) ask for a sweep themselves
    (``engage.escalations.wakeups``)."""
    cfg = current_app.config
    grace = timedelta(seconds=cfg["ENGAGE_APPLY_GRACE_SECONDS"])
    stale = timedelta(seconds=cfg["ENGAGE_APPLY_STALE_SECONDS"])
    moments = [clock.next_midnight(now)]
    with system_scope(SWEEP):
        # One row per length of wait (a handful), whatever the number of engagements.
        for applied_at, wait_days in db.session.execute(_step_waits(
                sa.select(sa.func.min(Decision.applied_at), LadderStep.wait_days))
                .group_by(LadderStep.wait_days)):
            moments.append(applied_at + timedelta(days=wait_days))
        pending, claimed, retry = db.session.execute(sa.select(
            sa.select(sa.func.min(Decision.decided_at))
            .where(Decision.apply_status == ApplyStatus.PENDING).scalar_subquery(),
            sa.select(sa.func.min(Decision.apply_claimed_at))
            .where(Decision.apply_status == ApplyStatus.RUNNING).scalar_subquery(),
            sa.exists().where(
                Decision.apply_status == ApplyStatus.FAILED,
                Decision.apply_attempts < cfg["ENGAGE_APPLY_MAX_ATTEMPTS"]),
        )).one()
        moments += [pending and pending + grace, claimed and claimed + stale]
        queued, running = import_jobs.waiting_since()
        moments += [queued and queued + grace, running and running + stale]
        if retry or (notifications.smtp_configured() and notifications.unsent_exist()):
            moments.append(now)
        db.session.commit()
    due = min(m for m in moments if m is not None)
    if due <= now:
        due = now + timedelta(seconds=cfg["ENGAGE_SWEEP_RETRY_SECONDS"])
    return min(due, now + timedelta(seconds=cfg["ENGAGE_SWEEP_INTERVAL_SECONDS"]))


def _step_waits(select: sa.Select) -> sa.Select:
    """The escalation decisions whose step's waiting time can open a review: done, on an
    active engagement, with no later decision or review (what ``open_step_reviews`` reads)."""
    later_review = sa.exists().where(
        EscalationReview.engagement_id == Decision.engagement_id,
        EscalationReview.opened_at > Decision.decided_at,
    )
    later = sa.orm.aliased(Decision)
    later_decision = sa.exists().where(
        later.engagement_id == Decision.engagement_id, later.decided_at > Decision.decided_at)
    return (select
            .join(LadderStep, LadderStep.id == Decision.ladder_step_id)
            .join(Engagement, Engagement.id == Decision.engagement_id)
            .where(Decision.kind == DecisionKind.ESCALATE,
                   Decision.apply_status == ApplyStatus.DONE,
                   Engagement.status == EngagementStatus.ACTIVE,
                   ~later_review, ~later_decision))


# --- the sweep's steps, in order --------------------------------------------------------------


def _add_to(attribute: str) -> Callable[[SweepReport, list], None]:
    return lambda report, result: getattr(report, attribute).extend(result)


def _record_outbox(report: SweepReport, result: tuple[list[int], list[int]]) -> None:
    applied, failed = result
    report.decisions_applied.extend(applied)
    report.decisions_failed.extend(failed)


def _record_emails(report: SweepReport, sent: int) -> None:
    report.emails_sent += sent


SWEEP_STEPS: tuple[SweepStep, ...] = (
    SweepStep(open_overdue_reviews, _add_to("reviews_opened")),
    SweepStep(open_step_reviews, _add_to("reviews_opened")),
    SweepStep(open_look_again_reviews, _add_to("reviews_opened")),
    SweepStep(send_reminders, _add_to("reminders_sent")),
    SweepStep(apply_outbox, _record_outbox),
    SweepStep(deliver_emails, _record_emails),
    # Imports no workflow run took (or finished): not an escalation, but the same sweep.
    SweepStep(import_jobs.sweep_import_jobs, _add_to("imports_run")),
)
