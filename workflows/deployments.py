"""The deployments a worker serves: the scheduled sweep, the on-demand apply-decision and the
on-demand background import; and beside them, in the same process, the task worker that
runs apply-decision at once when the web app rings (``workflows.warm``)."""

from __future__ import annotations

from datetime import timedelta

from prefect.deployments.runner import EntrypointType, RunnerDeployment

from workflows.escalation import apply_decision, escalation_sweep
from workflows.imports import run_import
from workflows.names import APPLY_DEPLOYMENT_NAME, IMPORT_DEPLOYMENT_NAME, SWEEP_DEPLOYMENT_NAME


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


def serve_deployments(sweep_interval_seconds: int = 3600, limit: int | None = None) -> None:
    """Serve the deployments until stopped, and the warm task worker beside them.
    pause_on_shutdown=False: a restarted worker must not delete the sweep's scheduled runs."""
    import asyncio

    from prefect import aserve

    served = deployments(sweep_interval_seconds)
    sweep_now(served[0].apply())

    async def main() -> None:
        await _beside_task_worker(aserve(*served, pause_on_shutdown=False, limit=limit,
                                         print_starting_message=False))

    _run(main())


async def _beside_task_worker(work) -> None:
    """Run ``work`` (a runner, a pool worker) and the task worker of ``workflows.warm``
    together; when either ends, so does the other."""
    import asyncio

    from workflows.app import app
    from workflows.warm import start_apply_runs

    app()  # built now, not when the first decision is waiting for it
    tasks = [asyncio.ensure_future(work),
             asyncio.ensure_future(_task_worker_class()(start_apply_runs).astart())]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for finished in done:
            finished.result()
    finally:
        for pending in tasks:
            pending.cancel()


def _task_worker_class():
    """Prefect's TaskWorker, with SIGTERM left as it was for the worker: Prefect's handler
    asks the event loop to stop by raising an exception in it, which leaves a pool worker
    running. The process ends at once, as a pool worker always has; a decision it was
    carrying out is taken over by the sweep when its claim goes stale."""
    import os
    import signal

    from prefect.task_worker import TaskWorker

    class EngageTaskWorker(TaskWorker):
        def handle_sigterm(self, signum: int, frame: object) -> None:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)

    return EngageTaskWorker


def _run(coroutine) -> None:
    """``asyncio.run``, ended quietly by Ctrl-C or SIGTERM (the task worker's handler
    exits; Prefect's runner raises TerminationSignal)."""
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
    on it. Idempotent: every worker does it at start, deploy/prefect_deployments.py too.
    Returns the deployments' ids, in order."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists

    async with get_client() as client:
        try:
            await client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
        except ObjectAlreadyExists:
            pass
    return [await d.aapply(work_pool_name=pool) for d in built]


def run_pool_worker(pool: str, sweep_interval_seconds: int = 3600) -> None:
    """Register the deployments on the process work pool ``pool`` and work on it, with the
    warm task worker beside; start this on as many hosts as needed, they share the pool's
    queue (and the bell: Prefect gives each ring to one of them)."""
    from prefect.deployments import arun_deployment
    from prefect.workers.process import ProcessWorker

    built = deployments(sweep_interval_seconds)

    async def main() -> None:
        ids = await register_on_pool(pool, built)
        await arun_deployment(ids[0], timeout=0, as_subflow=False)
        async with ProcessWorker(work_pool_name=pool) as worker:
            await _beside_task_worker(worker.start())

    _run(main())
