"""The deployments a worker serves: the scheduled sweep, the on-demand apply-decision and the
on-demand background import; and beside them, in the same process, the watch that runs
apply-decision at once (``workflows.warm``)."""

from __future__ import annotations

from datetime import timedelta

from prefect.deployments.runner import EntrypointType, RunnerDeployment

from workflows.escalation import apply_decision, escalation_sweep
from workflows.imports import run_import
from workflows.names import (
    APPLY_DEPLOYMENT_NAME,
    APPLY_QUEUE,
    DEFAULT_QUEUE,
    IMPORT_DEPLOYMENT_NAME,
    SWEEP_DEPLOYMENT_NAME,
)


def deployments(sweep_interval_seconds: int = 3600) -> list[RunnerDeployment]:
    """The interval is the sweep's safety net: each sweep schedules the next one for when
    work can next fall due (``service.next_sweep_at``), so an idle install does not start a
    process every minute to find nothing."""
    # Module entrypoints: a flow run's process imports the installed package, whatever
    # directory the worker was started from.
    return [
        escalation_sweep.to_deployment(
            name=SWEEP_DEPLOYMENT_NAME, interval=timedelta(seconds=sweep_interval_seconds),
            entrypoint_type=EntrypointType.MODULE_PATH,
            description="Opens escalation reviews when deadlines pass, then schedules itself "
                        "for when work next falls due; idempotent.",
        ),
        apply_decision.to_deployment(
            name=APPLY_DEPLOYMENT_NAME, entrypoint_type=EntrypointType.MODULE_PATH,
            description="Carries out one recorded escalation decision; idempotent.",
        ),
        run_import.to_deployment(
            name=IMPORT_DEPLOYMENT_NAME, entrypoint_type=EntrypointType.MODULE_PATH,
            description="Imports one uploaded file in the background, all lines or none.",
        ),
    ]


def serve_deployments(sweep_interval_seconds: int = 3600, limit: int | None = None,
                      poll_seconds: float = 1.0) -> None:
    """Serve the deployments until stopped, with the watch beside them. apply-decision is
    registered, not served: its runs are the watch's (``workflows.warm``).
    pause_on_shutdown=False: a restarted worker must not delete the sweep's scheduled runs."""
    from prefect import aserve

    built = deployments(sweep_interval_seconds)
    served = [d for d in built if d.name != APPLY_DEPLOYMENT_NAME]
    for registered in built:
        if registered.name == APPLY_DEPLOYMENT_NAME:
            registered.apply()
    sweep_now(served[0].apply())
    stop = _start_watch(poll_seconds)
    try:
        _run(aserve(*served, pause_on_shutdown=False, limit=limit, print_starting_message=False))
    finally:
        stop.set()


def _start_watch(poll_seconds: float):
    """The app, built now rather than when the first decision waits for it, and the watch
    over it in a thread of this process."""
    from workflows.app import app
    from workflows.warm import start_watch

    return start_watch(app(), poll_seconds)


def _run(coroutine) -> None:
    """``asyncio.run``, ended quietly by Ctrl-C or SIGTERM (Prefect's runner raises
    TerminationSignal)."""
    import asyncio

    from prefect.exceptions import TerminationSignal

    try:
        asyncio.run(coroutine)
    except (KeyboardInterrupt, TerminationSignal):
        pass


def sweep_now(deployment_id) -> None:
    """A first sweep when a worker starts, rather than at the schedule's next slot: after
    downtime the backlog is handled at once (and a fresh demo opens its reviews)."""
    from prefect.deployments import run_deployment

    run_deployment(deployment_id, timeout=0, as_subflow=False)


async def register_on_pool(pool: str, built: list[RunnerDeployment]) -> list:
    """Create the process work pool ``pool`` if it is missing and register the deployments
    (``deployments()``, built outside the event loop: ``to_deployment`` is sync only there)
    on it, apply-decision on its own work queue (:data:`APPLY_QUEUE`, which the pool's
    process workers do not poll: its runs are the watch's). Idempotent: every worker does
    it at start, deploy/prefect_deployments.py too. Returns the deployments' ids, in order."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists

    async with get_client() as client:
        try:
            await client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
        except ObjectAlreadyExists:
            pass
    for deployment in built:
        if deployment.name == APPLY_DEPLOYMENT_NAME:
            deployment.work_queue_name = APPLY_QUEUE
    return [await d.aapply(work_pool_name=pool) for d in built]


def run_pool_worker(pool: str, sweep_interval_seconds: int = 3600,
                    poll_seconds: float = 1.0) -> None:
    """Register the deployments on the process work pool ``pool`` and work on its default
    queue (the sweep, imports), with the watch beside for apply-decision; start this on as
    many hosts as needed: they share the pool's queue, and each run is claimed once."""
    from prefect.deployments import arun_deployment
    from prefect.workers.process import ProcessWorker

    built = deployments(sweep_interval_seconds)

    async def main() -> None:
        ids = await register_on_pool(pool, built)
        await arun_deployment(ids[0], timeout=0, as_subflow=False)
        async with ProcessWorker(work_pool_name=pool, work_queues=[DEFAULT_QUEUE]) as worker:
            await worker.start()

    stop = _start_watch(poll_seconds)
    try:
        _run(main())
    finally:
        stop.set()
