"""The Flask app whose context the flows' tasks run in, and the one way to make a task.

A worker's flow runs build the app from the environment (``DATABASE_URL`` …), once per
process; tests hand theirs in with :func:`use_app`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import Flask
from prefect import Task, task
from prefect.cache_policies import NO_CACHE

P = ParamSpec("P")
R = TypeVar("R")

_app: Flask | None = None


def use_app(app: Flask | None) -> None:
    global _app
    _app = app


def app() -> Flask:
    global _app
    if _app is None:
        from engage import create_app

        _app = create_app()
        # A flow run schedules the next sweep itself when it ends (workflows.escalation).
        _app.config["ENGAGE_SWEEP_WAKEUPS"] = False
    return _app


def service_task(fn: Callable[P, R], *, name: str | None = None) -> Task[P, R]:
    """A Prefect task that calls the service function ``fn`` inside the app's context. Named
    after it (``open_overdue_reviews`` → ``open-overdue-reviews``), described by its
    docstring, and never cached: every run must ask the database, which decides."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with app().app_context():
            return fn(*args, **kwargs)

    return task(run, name=name or fn.__name__.replace("_", "-"), cache_policy=NO_CACHE)
