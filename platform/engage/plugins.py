"""Packages that extend Engage without Engage importing them: the ``engage.plugins``
entry-point group.

An entry point names a module or object with ``init_app(app)`` (called at the end of
``create_app``) and/or ``init_cli(group)`` (called when the ``engage`` command group is
built). ``workflows/`` is one: it installs the Prefect orchestrator and adds ``engage worker``
and ``engage sweep`` (pyproject.toml). The dependency points from the plugin to Engage only,
so Engage runs without it (the sweep's outbox then applies decisions).
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points
from typing import Any

GROUP = "engage.plugins"


@cache
def installed() -> tuple[Any, ...]:
    """The loaded plugins, in entry-point name order (loaded once per process)."""
    return tuple(ep.load() for ep in sorted(entry_points(group=GROUP), key=lambda ep: ep.name))


def init_app(app) -> None:
    for plugin in installed():
        if hasattr(plugin, "init_app"):
            plugin.init_app(app)


def init_cli(group) -> None:
    for plugin in installed():
        if hasattr(plugin, "init_cli"):
            plugin.init_cli(group)
