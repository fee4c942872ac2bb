"""Engage's Prefect plugin (the ``engage.plugins`` entry point in pyproject.toml): installs
the orchestrator in every app Engage builds, and adds ``engage worker`` and ``engage sweep``
to the ``engage`` command. Loading it imports neither Prefect nor the flows."""

from __future__ import annotations

from engage import orchestrator
from workflows.client import PrefectOrchestrator


def init_app(app) -> None:
    """Every app gets the orchestrator; it asks PREFECT_API_URL at each call (``engage demo``
    sets it after the app is built), and declines while it is unset."""
    orchestrator.install(app, PrefectOrchestrator())


def init_cli(group) -> None:
    from workflows.cli import sweep_command, worker_command

    group.add_command(sweep_command)
    group.add_command(worker_command)
