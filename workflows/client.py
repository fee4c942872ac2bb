"""The Prefect side of Engage's orchestrator port (``engage.orchestrator``): asking Prefect to
apply a decision, linking a flow run in Prefect's UI, asking whether Prefect is up, the
doctor's checks of the deployments, and the local server of ``engage demo``.

The web app holds one :class:`PrefectOrchestrator` (installed by ``workflows.plugin``). It
imports no flow: it addresses the deployments by name, and imports Prefect only when a
decision is sent (``import prefect`` takes seconds; most web processes never need it).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app

from engage import clock
from engage.doctor import FAIL, OK
from workflows.names import (
    APPLY_DEPLOYMENT,
    DEPLOYMENTS,
    IMPORT_DEPLOYMENT,
    SWEEP_DEPLOYMENT,
    SWEEP_FLOW,
    sweep_key,
)

log = logging.getLogger(__name__)

HEALTH_TIMEOUT_SECONDS = 2.0
# A proxy probes /healthz every few seconds on every web process; Prefect is asked at most
# this often per process, so the probe stays as cheap as the database round trip.
HEALTH_CACHE_SECONDS = 10.0

_health_lock = threading.Lock()
_health_cache: dict[str, tuple[float, str]] = {}


def prefect_api_url() -> str | None:
    """The app's PREFECT_API_URL (``engage demo`` sets it after start), else the process's."""
    return current_app.config.get("PREFECT_API_URL") or os.environ.get("PREFECT_API_URL") or None


class PrefectOrchestrator:
    """Implements ``engage.orchestrator.Orchestrator`` against PREFECT_API_URL."""

    def __init__(self) -> None:
        self._settings: dict[tuple[str, int], object] = {}

    # --- decisions ---------------------------------------------------------------------

    def request_apply(self, decision_id: int) -> str | None:
        """Start ``apply-decision`` for a committed decision (a worker's watch runs it at
        once when the run's id is on the decision, ``workflows.warm``); the flow run's id,
        or None when Prefect is not configured or not reachable (the sweep then applies it)."""
        return self._start(APPLY_DEPLOYMENT, {"decision_id": decision_id},
                           f"decision-{decision_id}")

    def request_import(self, job_id: int) -> str | None:
        """Start ``run-import`` for a committed import job; the flow run's id, or None when
        Prefect is not configured or not reachable (the page then runs the job itself)."""
        return self._start(IMPORT_DEPLOYMENT, {"job_id": job_id}, f"import-{job_id}")

    def request_sweep(self, at: datetime) -> str | None:
        """A sweep run at ``at`` (on the app's clock), keyed by that moment so that many
        writes asking for one moment start one run; its id, or None when Prefect is not
        configured or not reachable (the worker sweeps when it starts, and at least every
        ENGAGE_SWEEP_INTERVAL_SECONDS)."""
        moment = clock.on_system_clock(at)
        return self._start(SWEEP_DEPLOYMENT, {}, sweep_key(moment), scheduled_time=moment)

    def _start(self, deployment: str, parameters: dict, key: str,
               scheduled_time: datetime | None = None) -> str | None:
        api_url = prefect_api_url()
        if not api_url:
            log.info("PREFECT_API_URL unset: %s waits for the sweep or runs inline", key)
            return None
        try:
            from prefect.deployments import run_deployment

            # Few retries (Prefect backs off 2 s, 4 s, ...): a web request must not hang on
            # an absent Prefect; the caller has a way without it.
            retries = current_app.config.get("ENGAGE_PREFECT_RETRIES", 1)
            with self._prefect_settings(api_url, retries):
                flow_run = run_deployment(deployment, parameters=parameters, timeout=0,
                                          idempotency_key=key, as_subflow=False,
                                          scheduled_time=scheduled_time)
        except Exception as exc:  # any failure: the caller's fallback takes over
            log.warning("could not start %s for %s: %s", deployment, key, exc)
            return None
        return str(flow_run.id)

    def _prefect_settings(self, api_url: str, retries: int):
        """Prefect's settings with this app's API URL and retries. Built once per process:
        ``temporary_settings`` builds them afresh on every call (≈0.35 s of pydantic-settings
        reading the environment and profiles), which a lead deciding a review would wait for."""
        import prefect.context
        from prefect.settings import PREFECT_API_URL, PREFECT_CLIENT_MAX_RETRIES

        context = prefect.context.get_settings_context()
        settings = self._settings.get((api_url, retries))
        if settings is None:
            settings = self._settings[(api_url, retries)] = context.settings.copy_with_update(
                updates={PREFECT_API_URL: api_url, PREFECT_CLIENT_MAX_RETRIES: retries})
        return prefect.context.SettingsContext(profile=context.profile, settings=settings)

    def run_url(self, run_id: str | None, api_url: str | None = None) -> str | None:
        return flow_run_url(run_id, api_url)

    # --- health ------------------------------------------------------------------------

    def status(self, *, cached: bool = True) -> str:
        """``ok``, ``not configured``, or why Prefect's ``/health`` did not answer true."""
        api_url = prefect_api_url()
        if not api_url:
            return "not configured"
        now = time.monotonic()
        if cached:
            with _health_lock:
                hit = _health_cache.get(api_url)
            if hit and now - hit[0] < HEALTH_CACHE_SECONDS:
                return hit[1]
        status = prefect_status(api_url)
        with _health_lock:
            _health_cache[api_url] = (now, status)
        return status

    def checks(self) -> Iterator[tuple[str, str, str]]:
        """Prefect answers, the deployments exist, and a worker polls their pool."""
        api_url = prefect_api_url()
        if not api_url:
            return
        status = self.status(cached=False)
        if status != "ok":
            yield FAIL, "prefect", status
            return
        yield OK, "prefect", f"{api_url} answers"
        try:
            yield from _deployments(api_url)
        except Exception as exc:  # an old server, a proxy in the way: say so, do not crash
            yield FAIL, "prefect", (f"cannot read the deployments: {type(exc).__name__}: "
                                    f"{str(exc).splitlines()[0] if str(exc) else ''}")

    # --- engage demo -------------------------------------------------------------------

    def start_local(self, home: Path, database_url: str, echo: Callable[[str], None]):
        """Prefect's local server (SQLite under ``home``) and an Engage worker, so the demo's
        overdue milestones open reviews within a minute, and later deadlines when they pass."""
        from workflows.runtime import LocalPrefect

        for leftover in home.glob("prefect.db*"):  # every demo starts from scratch
            leftover.unlink()
        echo("Starting Prefect's local server ...")
        local = LocalPrefect.start(home, database_url)
        current_app.config["PREFECT_API_URL"] = local.api_url
        interval = current_app.config["ENGAGE_SWEEP_INTERVAL_SECONDS"]
        echo(f"Prefect UI: {local.api_url.removesuffix('/api')}  ({SWEEP_FLOW} when work "
             f"falls due, at least every {interval} s; logs in {home})")
        return local


def flow_run_url(flow_run_id: str | None, api_url: str | None = None) -> str | None:
    """The Prefect UI page of a flow run (the UI is served next to the API)."""
    api_url = api_url or prefect_api_url()
    if not flow_run_id or not api_url:
        return None
    base = api_url.rstrip("/")
    if base.endswith("/api"):
        base = base[: -len("/api")]
    return f"{base}/runs/flow-run/{flow_run_id}"


def prefect_status(api_url: str) -> str:
    """Asks Prefect's ``/health`` over plain HTTP (no Prefect import for a probe)."""
    url = f"{api_url.rstrip('/')}/health"
    try:
        with urllib.request.urlopen(url, timeout=HEALTH_TIMEOUT_SECONDS) as response:
            healthy = json.loads(response.read() or b"null") is True
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code} from {url}"
    except (OSError, ValueError) as exc:
        return f"unreachable ({type(exc).__name__}) at {url}"
    return "ok" if healthy else f"unhealthy answer from {url}"


def _deployments(api_url: str) -> Iterator[tuple[str, str, str]]:
    """The flows a worker registers, and whether a worker polls their pool."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound
    from prefect.settings import PREFECT_API_URL, temporary_settings

    recent = clock.now() - timedelta(minutes=2)
    with temporary_settings({PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
        for name in DEPLOYMENTS:
            try:
                deployment = client.read_deployment_by_name(name)
            except ObjectNotFound:
                yield FAIL, "prefect", (f"deployment {name} is missing: start a worker "
                                        "(`engage worker --pool NAME`)")
                continue
            pool = deployment.work_pool_name
            if not pool:  # served by an `engage worker` process without a pool
                yield OK, "prefect", f"deployment {name} (served by a worker process)"
                continue
            alive = [w for w in client.read_workers_for_work_pool(pool)
                     if w.last_heartbeat_time and w.last_heartbeat_time >= recent]
            yield (OK if alive else FAIL, "prefect",
                   f"deployment {name} on pool {pool}: {len(alive)} worker(s) polling")
