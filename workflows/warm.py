"""Carrying out a decision in a process that is already running: the worker's watch.

A worker started per flow run (Prefect's process worker, ``serve()``) starts a new Python
process that imports Prefect and the app, seconds of CPU, after polling for the run every
few seconds; on a loaded machine that took 15–25 s. So the ``apply-decision`` runs are not
left to that poll: every ``engage worker`` watches, in a thread of its own process, for
decisions the web app has handed to Prefect (pending, with the flow run's id on the row),
and runs their flow runs there, at once.

The watch asks Engage's database, not Prefect: one indexed read every
``ENGAGE_WARM_POLL_SECONDS`` (1 s), about 0.8 s of the worker's CPU over five idle
minutes, where a standing Prefect task-worker subscription kept Prefect's server checking
its queue a hundred times a second (6 s more of the server's CPU over the same five
minutes; docs/performance.md, "The watch instead of the bell"). It asks Prefect only when there is a run to
take, and once a minute (``SWEEP_SECONDS``) for any waiting ``apply-decision`` run whose
decision it did not see (its id not written to the row; a decision the sweep's outbox
applied first): such a run then ends at once, finding its decision done.

The runs are the watch's alone: ``serve()`` does not serve the ``apply-decision``
deployment (it is registered beside the served ones), and a pool worker does not poll its
work queue (:data:`workflows.names.APPLY_QUEUE`), so no process worker races the watch to a
run and starts it in a new process. Each run is claimed as a worker claims it (proposing
*Pending*; Prefect accepts one proposal), so when the workers of several hosts see one run
it still runs once; and the decision itself is claimed in the database
(``service.apply_decision``). When no worker runs at all, or Prefect was unreachable when
the decision was recorded, the sweep's outbox applies the decision.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

from workflows.names import APPLY_DEPLOYMENT_NAME, APPLY_FLOW

# At most this many waiting runs per look; more wait for the next look.
BATCH = 20
# How often the watch asks Prefect for every waiting apply-decision run, whatever the
# database says.
SWEEP_SECONDS = 60.0


def _logger() -> logging.Logger:
    """Prefect's logger (its console handler, the worker's log): these lines are the
    worker's own, outside any flow run."""
    from prefect.logging import get_logger

    return get_logger("engage.warm")


def start_apply_runs(run_ids: Iterable[str] | None = None) -> list[str]:
    """Run waiting ``apply-decision`` flow runs in this process: those of ``run_ids``, or
    (None) every waiting one, oldest first. The ids of those this process claimed."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterName,
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterId,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.responses import SetStateStatus
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.flow_engine import run_flow
    from prefect.states import Pending

    from workflows.escalation import apply_decision

    logger = _logger()
    wanted = FlowRunFilter(state=FlowRunFilterState(
        type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])))
    if run_ids is not None:
        ids = list(run_ids)
        if not ids:
            return []
        wanted.id = FlowRunFilterId(any_=ids)
    ran: list[str] = []
    with get_client(sync_client=True) as client:
        waiting = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=[APPLY_FLOW])),
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[APPLY_DEPLOYMENT_NAME])),
            flow_run_filter=wanted, sort=FlowRunSort.EXPECTED_START_TIME_ASC, limit=BATCH)
        for flow_run in waiting:
            claim = client.set_flow_run_state(flow_run.id, Pending())
            if claim.status != SetStateStatus.ACCEPT:
                logger.info("%s (%s) is another worker's: %s", flow_run.name, flow_run.id,
                            claim.details)
                continue
            logger.info("running %s (%s) in the worker's process", flow_run.name, flow_run.id)
            run_flow(apply_decision, flow_run=flow_run, parameters=flow_run.parameters,
                     return_type="state")
            ran.append(str(flow_run.id))
    return ran


class Watch:
    """The watch's state: which runs it has already tried (a run is tried once; a decision
    whose run failed before claiming it is the outbox's), and when it last asked Prefect
    for every waiting run."""

    def __init__(self, app, sweep_seconds: float = SWEEP_SECONDS) -> None:
        self.app = app
        self.sweep_seconds = sweep_seconds
        self.tried: set[str] = set()
        self.swept_at: float | None = None

    def look(self) -> list[str]:
        """One look: the database's handed-over decisions, then Prefect if there is a run
        to take or the minute is up. The ids of the runs this process ran."""
        from engage.escalations.service import handed_over_runs

        with self.app.app_context():
            handed = handed_over_runs(BATCH)
        new = [run_id for run_id in handed if run_id not in self.tried]
        self.tried = set(handed)  # kept to the rows still pending: it does not grow
        now = time.monotonic()
        if self.swept_at is None or now - self.swept_at >= self.sweep_seconds:
            self.swept_at = now
            return start_apply_runs()
        return start_apply_runs(new) if new else []


def watch(app, poll_seconds: float, stop: threading.Event) -> None:
    """Look every ``poll_seconds`` until ``stop`` is set; a look that fails (the database or
    Prefect unreachable for a moment) is logged and the next one tries again."""
    state = Watch(app)
    logger = _logger()
    logger.info("watching for decisions to carry out, every %s s", poll_seconds)
    while not stop.is_set():
        try:
            state.look()
        except Exception:
            logger.exception("the watch for decisions failed; it looks again in %s s",
                             poll_seconds)
        stop.wait(poll_seconds)


def start_watch(app, poll_seconds: float) -> threading.Event:
    """The watch in a daemon thread: the worker's process ends on SIGTERM as it always has
    (a decision being carried out is taken over by the sweep when its claim goes stale).
    Set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=watch, args=(app, poll_seconds, stop), daemon=True,
                     name="engage-warm-watch").start()
    return stop
