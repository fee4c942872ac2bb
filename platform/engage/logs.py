"""Structured logs: one JSON object per line on standard error, and one line per request.

``ENGAGE_LOG_FORMAT=json`` (the default when ``ENGAGE_ENV=production``) or ``text``; unset
in development, nothing is installed and Python's defaults apply (warnings and errors on
stderr, as the demo and the test suite expect). The request line carries the request id
(the proxy's ``X-Request-ID``, else a new one, sent back in the response), so the proxy's,
the app's and the workers' lines about one request can be joined.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
import uuid

import sqlalchemy as sa
from flask import Flask, g, request
from pythonjsonlogger.json import JsonFormatter

log = logging.getLogger("engage.request")

FORMATS = ("json", "text")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


class _EngageHandler(logging.StreamHandler):
    """Ours, so a second app in the same process replaces it instead of adding another."""


def log_format(env: str) -> str | None:
    value = os.environ.get("ENGAGE_LOG_FORMAT", "").strip().lower()
    if not value:
        return "json" if env == "production" else None
    if value not in FORMATS:
        from engage.config import ConfigError

        raise ConfigError(f"ENGAGE_LOG_FORMAT must be one of {', '.join(FORMATS)}, not {value!r}")
    return value


def log_level() -> str:
    value = os.environ.get("ENGAGE_LOG_LEVEL", "info").strip().upper()
    if value not in LEVELS:
        from engage.config import ConfigError

        raise ConfigError(f"ENGAGE_LOG_LEVEL must be one of {', '.join(LEVELS).lower()}, "
                          f"not {value.lower()!r}")
    return value


def configure(fmt: str | None, level: str = "INFO") -> None:
    """Send every logger's records to stderr in ``fmt`` (the workers call this too)."""
    if fmt is None:
        return
    root = logging.getLogger()
    if any(not isinstance(h, _EngageHandler) for h in root.handlers):
        # Someone else prints the records already: Prefect in a flow run's process (its
        # format follows PREFECT_LOGGING_HANDLERS_CONSOLE_FORMATTER, which `engage worker`
        # sets to json), or a test runner. A second handler would print each line twice.
        return
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = _EngageHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter(
            "%(levelname)s %(name)s %(message)s", timestamp="time",
            rename_fields={"levelname": "level", "name": "logger"},
        ))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level.upper())


def init_app(app: Flask) -> None:
    configure(app.config.get("ENGAGE_LOG_FORMAT"), app.config.get("ENGAGE_LOG_LEVEL", "INFO"))
    app.before_request(_start)
    app.after_request(_finish)


def _start() -> None:
    g.request_started = time.perf_counter()
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex


def _finish(response):
    started = g.get("request_started")
    if started is None:  # a request that failed before our first hook ran
        return response
    response.headers["X-Request-ID"] = g.request_id
    from engage.security import current_principal

    principal = current_principal._get_current_object()
    log.info("%s %s %s", request.method, request.path, response.status_code, extra={
        "request_id": g.request_id,
        "method": request.method,
        "path": request.path,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        "user_id": _id(principal.user) if principal else None,
        "organisation_id": _id(principal.organisation) if principal else None,
        "remote_addr": request.remote_addr,
    })
    return response


def _id(obj) -> int | None:
    """The primary key without a query: after the unit of work's commit the object is
    expired, and reading ``obj.id`` would load it again."""
    identity = sa.inspect(obj).identity
    return identity[0] if identity else None
