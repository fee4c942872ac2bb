"""The escalation engine's flows: thin, named, typed; the rules, and the order of the sweep's
steps, are in engage.escalations.service."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from prefect import flow

from engage import clock
from engage.escalations import service
from workflows.app import service_task
from workflows.names import APPLY_FLOW, SWEEP_DEPLOYMENT, SWEEP_FLOW, sweep_key

# One task per step of the sweep, in the service's order.
SWEEP_TASKS = tuple((step, service_task(step.run)) for step in service.SWEEP_STEPS)
apply_decision_task = service_task(service.apply_and_deliver, name=APPLY_FLOW)
next_sweep_task = service_task(service.next_sweep_at)


def _now(now: datetime | None) -> datetime:
    if now is None:
        return clock.now()
    return now if now.tzinfo else now.replace(tzinfo=timezone.utc)


@flow(name=SWEEP_FLOW)
def escalation_sweep(now: datetime | None = None) -> dict:
    """Open due reviews, send due reminders, apply the decision outbox and e-mail
    notifications; then, run from its deployment, schedule the next sweep for when work
    can next fall due."""
    from prefect.runtime import deployment

    scheduled = deployment.id is not None and now is None
    if scheduled:
        _wait_for_scheduled_start()
    report = service.SweepReport(now=_now(now))
    for step, run in SWEEP_TASKS:
        step.record(report, run(report.now))
    summary = report.summary()
    if scheduled:
        summary["next_sweep_at"] = schedule_sweep(next_sweep_task(clock.now())).isoformat()
    return summary


@flow(name=APPLY_FLOW)
def apply_decision(decision_id: int, now: datetime | None = None) -> str | None:
    """Carry out one recorded escalation decision; applying it twice has one effect. Run
    from its deployment, it schedules the sweep for when work can next fall due (a step's
    waiting time starts now)."""
    from prefect.runtime import deployment, flow_run

    status = apply_decision_task(decision_id, _now(now),
                                 flow_run_id=str(flow_run.id) if flow_run.id else None)
    if deployment.id is not None and now is None:
        schedule_sweep(next_sweep_task(clock.now()))
    return status


def _wait_for_scheduled_start() -> None:
    """A worker fetches runs some seconds before their time (its prefetch) and starts them
    at once: wait for the moment this run was scheduled for, or a sweep meant for midnight
    would sweep the day before."""
    from prefect.runtime import flow_run

    start = flow_run.scheduled_start_time
    if start is not None:
        ahead = (start - datetime.now(timezone.utc)).total_seconds()
        if 0 < ahead <= 60:
            time.sleep(ahead)


def schedule_sweep(at: datetime) -> datetime:
    """A run of the sweep's deployment at ``at`` (a moment on the app's clock, which
    ``ENGAGE_CLOCK_SHIFT_SECONDS`` may shift from Prefect's), keyed by that moment on the
    system's clock: asked twice for one moment, Prefect keeps one run."""
    from prefect.deployments import run_deployment

    moment = clock.on_system_clock(at)
    run_deployment(SWEEP_DEPLOYMENT, parameters={}, timeout=0, as_subflow=False,
                   scheduled_time=moment, idempotency_key=sweep_key(moment))
    return at
