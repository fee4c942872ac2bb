"""The Flask app whose context the flows' tasks run in.

A worker's flow runs build it from the environment (``DATABASE_URL`` …), once per process;
tests hand theirs in with :func:`use_app`.
"""

from __future__ import annotations

from flask import Flask

_app: Flask | None = None


def use_app(app: Flask | None) -> None:
    global _app
    _app = app


def app() -> Flask:
    global _app
    if _app is None:
        from engage import create_app

        _app = create_app()
    return _app
