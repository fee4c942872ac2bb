"""Carrying out a decision in a process that is already running: the worker's task worker.

A worker started per flow run (Prefect's process worker, ``serve()``) starts a new Python
process that imports Prefect and the app, seconds of CPU, after polling for the run every
few seconds; on a loaded machine that took 15–25 s. So the web app, once it has created the
decision's ``apply-decision`` flow run (``run_deployment``, as before: parameters, idempotency
key and the page's link are Prefect's), also hands :func:`start_apply_runs` to Prefect as a
background task (``.delay()``). Prefect's server pushes it over the websocket that every
``engage worker`` holds open (``prefect.task_worker``), and the worker runs the waiting
``apply-decision`` runs in its own process, at once.

Each run is claimed as a worker claims it (proposing *Pending*; Prefect accepts one
proposal), so when two workers hear the bell the run still runs once; and the decision
itself is claimed in the database (``service.apply_decision``). A process worker polling
at that moment may claim the run first (it then runs in a new process, as before); if no
worker hears the bell (none listens, Prefect's server restarted and lost its in-memory
queue), the process workers' poll starts it; and without Prefect the sweep's outbox applies
the decision. (Scheduling the run ahead to keep the process workers off it does not work:
Prefect holds back a run started before its time, and moving it back to now races a claim.)

The task takes no parameters on purpose: a background task's parameters are kept in
Prefect's result storage (a local directory by default), which web and workers on other
hosts would have to share; the flow run's parameters live in Prefect's database.
"""

from __future__ import annotations

from prefect import task

from workflows.names import APPLY_DEPLOYMENT_NAME, APPLY_FLOW, START_APPLY_TASK

# At most this many waiting runs per bell; more wait for the next bell, a worker's poll,
# or the sweep.
BATCH = 20


def _never_cached(*_) -> None:
    """No cache key: every bell reads Prefect afresh, and nothing is written to result
    storage (a task worker would otherwise cache a task by its inputs, and this one has
    none)."""
    return None


# Retried when Prefect's API fails it (a busy server answering 503); a decision that fails
# is retried by the outbox (``ENGAGE_APPLY_MAX_ATTEMPTS``), not here: its run ends Completed
# with the decision marked failed.
@task(name=START_APPLY_TASK, cache_key_fn=_never_cached, retries=2, retry_delay_seconds=2)
def start_apply_runs() -> list[str]:
    """Run the ``apply-decision`` flow runs that wait in Prefect, in this process; the ids of
    those this process claimed."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterName,
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.flow_engine import run_flow
    from prefect.logging import get_run_logger
    from prefect.client.schemas.responses import SetStateStatus
    from prefect.states import Pending

    from workflows.escalation import apply_decision

    ran: list[str] = []
    with get_client(sync_client=True) as client:
        waiting = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=[APPLY_FLOW])),
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[APPLY_DEPLOYMENT_NAME])),
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(
                type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))),
            sort=FlowRunSort.EXPECTED_START_TIME_ASC, limit=BATCH)
        logger = get_run_logger()
        logger.info("%d apply-decision run(s) waiting", len(waiting))
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
