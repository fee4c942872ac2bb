"""The one port between Engage and a workflow orchestrator (Prefect, in ``workflows/``).

Engage never imports the orchestrator. A plugin (``engage.plugins``) installs an object with
this shape in the app at start; the escalation engine asks it to carry out a recorded
decision, the imports page to run a large file in the background, the decision page asks
it for the flow run's address, ``/healthz`` and ``engage doctor`` ask whether it is up,
``engage demo`` asks it to run locally, and a write that makes escalation work due before
the next sweep asks it for a sweep (``engage.escalations.wakeups``). Without one, nothing is
lost: decisions wait for the sweep's outbox (``engage sweep``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Protocol

from flask import Flask, current_app

EXTENSION = "engage.orchestrator"
NOT_CONFIGURED = "not configured"


class LocalRuntime(Protocol):
    """An orchestrator started next to ``engage demo``."""

    api_url: str

    def stop(self) -> None: ...


class Orchestrator(Protocol):
    def request_apply(self, decision_id: int) -> str | None:
        """Start carrying out a committed decision; its run's id, or None when the
        orchestrator is not configured or not reachable (the sweep applies it then)."""

    def request_sweep(self, at: datetime) -> str | None:
        """A sweep at ``at``: a write made work due before the next sweep the orchestrator
        holds. Its run's id, or None when nobody took it (the next sweep then finds it)."""

    def request_import(self, job_id: int) -> str | None:
        """Start a committed import job (``engage.companies.jobs``) in the background; its
        run's id, or None when the orchestrator cannot take it (the job then runs inline)."""

    def run_url(self, run_id: str | None) -> str | None:
        """The orchestrator's page of a run, for people who may look at it."""

    def status(self, *, cached: bool = True) -> str:
        """``ok``, ``not configured``, or why the orchestrator did not answer."""

    def checks(self) -> Iterable[tuple[str, str, str]]:
        """``engage doctor``'s findings about the orchestrator: (status, check, detail)."""

    def start_local(self, home: Path, database_url: str,
                    echo: Callable[[str], None]) -> LocalRuntime:
        """A local orchestrator and worker for ``engage demo``, on ``database_url``."""


def install(app: Flask, orchestrator: Orchestrator) -> None:
    app.extensions[EXTENSION] = orchestrator


def installed() -> Orchestrator | None:
    """The current app's orchestrator, or None when no plugin installed one."""
    return current_app.extensions.get(EXTENSION)


def request_apply(decision_id: int) -> str | None:
    found = installed()
    return found.request_apply(decision_id) if found else None


def request_sweep(at: datetime) -> str | None:
    found = installed()
    return found.request_sweep(at) if found else None


def request_import(job_id: int) -> str | None:
    found = installed()
    return found.request_import(job_id) if found else None


def run_url(run_id: str | None) -> str | None:
    found = installed()
    return found.run_url(run_id) if found and run_id else None


def status(*, cached: bool = True) -> str:
    found = installed()
    return found.status(cached=cached) if found else NOT_CONFIGURED
