"""The escalation engine's flows: thin, named, typed; the rules, and the order of the sweep's
steps, are in engage.escalations.service."""

from __future__ import annotations

from datetime import datetime, timezone

from prefect import flow

from engage import clock
from engage.escalations import service
from workflows.app import service_task
from workflows.names import APPLY_FLOW, SWEEP_FLOW

# One task per step of the sweep, in the service's order.
SWEEP_TASKS = tuple((step, service_task(step.run)) for step in service.SWEEP_STEPS)
apply_decision_task = service_task(service.apply_and_deliver, name=APPLY_FLOW)


def _now(now: datetime | None) -> datetime:
    if now is None:
        return clock.now()
    return now if now.tzinfo else now.replace(tzinfo=timezone.utc)


@flow(name=SWEEP_FLOW)
def escalation_sweep(now: datetime | None = None) -> dict:
    """Open due reviews, send due reminders, apply the decision outbox and e-mail notifications."""
    report = service.SweepReport(now=_now(now))
    for step, run in SWEEP_TASKS:
        step.record(report, run(report.now))
    return report.summary()


@flow(name=APPLY_FLOW)
def apply_decision(decision_id: int, now: datetime | None = None) -> str | None:
    """Carry out one recorded escalation decision; applying it twice has one effect."""
    from prefect.runtime import flow_run

    return apply_decision_task(decision_id, _now(now),
                               flow_run_id=str(flow_run.id) if flow_run.id else None)
