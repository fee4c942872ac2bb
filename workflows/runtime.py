"""Running Prefect's local server and an Engage worker next to the web app (``engage demo``,
and the flow tests)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path


class PrefectStartError(RuntimeError):
    """Prefect's server did not come up."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def prefect_env(home: Path, api_url: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_RUNNER_POLL_FREQUENCY": env.get("PREFECT_RUNNER_POLL_FREQUENCY", "10"),
    })
    env.pop("PREFECT_SERVER_EPHEMERAL_ENABLED", None)
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


# Prefect's server loops that Engage does not need, off, and those it does, less eager: an
# idle server then costs about half the CPU (docs/performance.md, "Idle cost"). Kept: the
# scheduler (the sweep's safety-net interval), late runs, the foreman (worker status),
# cancellation, the event persister and the task run recorder (the UI's runs and tasks).
# deploy/compose.yaml and deploy/systemd/prefect-server.service set the same.
IDLE_SERVER_SETTINGS = {
    "PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_ENABLED": "false",  # no flow run pauses
    "PREFECT_SERVER_SERVICES_REPOSSESSOR_ENABLED": "false",  # no concurrency-limit leases
    "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",  # no automations
    "PREFECT_SERVER_SERVICES_LATE_RUNS_LOOP_SECONDS": "30",
    "PREFECT_SERVER_SERVICES_FOREMAN_LOOP_SECONDS": "60",
    "PREFECT_SERVER_SERVICES_CANCELLATION_CLEANUP_LOOP_SECONDS": "60",
    "PREFECT_SERVER_SERVICES_CLEANUP_RECONCILER_LOOP_SECONDS": "60",
    "PREFECT_SERVER_SERVICES_SCHEDULER_RECENT_DEPLOYMENTS_LOOP_SECONDS": "60",
}


def server_env(home: Path, api_url: str) -> dict[str, str]:
    """The server's environment: its UI is served on the same (free) port as its API, and
    is told where that API is (else the UI asks 127.0.0.1:4200, and its pages fail); its
    loops tuned for an install that is mostly idle (the environment may override them)."""
    return {**IDLE_SERVER_SETTINGS, **prefect_env(home), "PREFECT_UI_API_URL": api_url}


def _prefect_executable() -> list[str]:
    sibling = Path(sys.executable).with_name("prefect")
    if sibling.exists():
        return [str(sibling)]
    found = shutil.which("prefect")
    return [found] if found else [sys.executable, "-m", "prefect"]


def start_prefect_server(home: Path, host: str = "127.0.0.1", port: int | None = None,
                         timeout: float = 90.0) -> tuple[subprocess.Popen, str]:
    """``prefect server start`` on a free port with its SQLite database under ``home``;
    returns the process and the API URL once ``/api/health`` answers."""
    home.mkdir(parents=True, exist_ok=True)
    port = port or free_port(host)
    api_url = f"http://{host}:{port}/api"
    log = open(home / "server.log", "ab")
    proc = subprocess.Popen(
        [*_prefect_executable(), "server", "start", "--host", host, "--port", str(port)],
        env=server_env(home, api_url), stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise PrefectStartError(f"prefect server exited ({proc.returncode}); see {home / 'server.log'}")
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
                if response.status == 200:
                    return proc, api_url
        except OSError:
            time.sleep(0.5)
    stop([proc])
    raise PrefectStartError(f"prefect server did not answer within {timeout:.0f} s; see {home / 'server.log'}")


def start_worker(home: Path, api_url: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """``engage worker`` in a process of its own, logging to ``home/worker.log``."""
    log = open(home / "worker.log", "ab")
    engage = Path(sys.executable).with_name("engage")
    command = ([str(engage)] if engage.exists()
               else [sys.executable, "-c", "from engage.cli import main; main()"])
    return subprocess.Popen(
        [*command, "worker"], env={**prefect_env(home, api_url), **(env or {})},
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )


def stop(processes: list[subprocess.Popen], timeout: float = 15.0) -> None:
    """Stop each process group (the worker's flow runs too): SIGTERM, then SIGKILL."""
    for proc in processes:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    for proc in processes:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()


@dataclass
class LocalPrefect:
    """Prefect's local server and one ``engage worker``, started together, stopped together
    (``engage.orchestrator.LocalRuntime``)."""

    api_url: str
    processes: list[subprocess.Popen]

    @classmethod
    def start(cls, home: Path, database_url: str) -> LocalPrefect:
        server, api_url = start_prefect_server(home)
        try:
            worker = start_worker(home, api_url, env={"DATABASE_URL": database_url})
        except BaseException:
            stop([server])
            raise
        return cls(api_url, [worker, server])

    def stop(self) -> None:
        stop(self.processes)
