"""``engage sweep`` (one sweep at a given moment) and ``engage worker`` (serves the flows),
added to the ``engage`` command by ``workflows.plugin``."""

from __future__ import annotations

import os
from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from engage import clock


def parse_now(value: str | None) -> datetime:
    """An ISO moment; without a zone it is read in ENGAGE_TIMEZONE. Default: now."""
    if not value:
        return clock.now()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not an ISO date-time, e.g. 2027-03-01T09:00") from exc
    return clock.aware(moment)


@click.command("sweep")
@click.option("--now", "now_text", metavar="ISO-DATETIME",
              help="The moment to sweep at, e.g. 2027-03-01T09:00 (default: now).")
@with_appcontext
def sweep_command(now_text: str | None) -> None:
    """Run one escalation sweep now (or at --now) and print what it did."""
    from engage.escalations import service

    click.echo(service.sweep(parse_now(now_text)).describe())


@click.command("worker")
@click.option("--pool", default=None, metavar="NAME",
              help="Work on this Prefect process work pool (many hosts can share it) "
                   "instead of serving the deployments from this process.")
@with_appcontext
def worker_command(pool: str | None) -> None:
    """Serve the escalation flows (scheduled sweep, apply-decision) against PREFECT_API_URL."""
    api_url = current_app.config.get("PREFECT_API_URL") or os.environ.get("PREFECT_API_URL")
    if not api_url:
        raise click.UsageError("set PREFECT_API_URL to the Prefect server's API, "
                               "e.g. http://127.0.0.1:4200/api")
    os.environ["PREFECT_API_URL"] = api_url
    if current_app.config.get("ENGAGE_LOG_FORMAT") == "json":
        # Prefect configures logging when it is imported (below, and in every flow run's
        # process, which inherits this environment): its console lines in JSON too.
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_FORMATTER", "json")
    # How often the process workers ask Prefect for runs: only the sweep (scheduled, fetched
    # ahead of its time) and background imports are theirs; decisions are the watch's
    # (workflows.warm). Prefect's default of 10 s: each question costs its server ~20 ms,
    # which at every 3 s was a third of an idle install's CPU.
    os.environ.setdefault("PREFECT_WORKER_QUERY_SECONDS", "10")
    os.environ.setdefault("PREFECT_RUNNER_POLL_FREQUENCY", "10")
    # The watch (workflows.warm) runs outside any flow run: its own lines stay in the
    # worker's log (the apply-decision runs it starts log to Prefect as usual).
    os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
    from workflows.deployments import run_pool_worker, serve_deployments

    interval = current_app.config["ENGAGE_SWEEP_INTERVAL_SECONDS"]
    poll = current_app.config["ENGAGE_WARM_POLL_SECONDS"]
    click.echo(f"Engage worker: sweep when work falls due, at least every {interval} s; "
               f"decisions carried out within {poll:g} s of being handed over; "
               f"Prefect API {api_url}")
    if pool:
        run_pool_worker(pool, interval, poll)
    else:
        serve_deployments(interval, poll_seconds=poll)
