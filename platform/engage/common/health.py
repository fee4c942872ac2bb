"""What ``/healthz`` and ``engage doctor`` ask of the services Engage depends on."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

import sqlalchemy as sa

from engage.extensions import db

PREFECT_TIMEOUT_SECONDS = 2.0
# A proxy probes every few seconds on every web process; Prefect is asked at most this
# often per process, so the probe stays as cheap as the database round trip.
PREFECT_CACHE_SECONDS = 10.0

_cache_lock = threading.Lock()
_cache: dict[str, tuple[float, str]] = {}


def database_status() -> str:
    """``ok``, or the name of the error that stopped ``SELECT 1``."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        db.session.rollback()
        return type(exc).__name__
    return "ok"


def prefect_status(api_url: str | None, *, cached: bool = True) -> str:
    """``ok``, ``not configured``, or why Prefect's ``/health`` did not answer true."""
    if not api_url:
        return "not configured"
    now = time.monotonic()
    if cached:
        with _cache_lock:
            hit = _cache.get(api_url)
        if hit and now - hit[0] < PREFECT_CACHE_SECONDS:
            return hit[1]
    status = _ask_prefect(api_url)
    with _cache_lock:
        _cache[api_url] = (now, status)
    return status


def _ask_prefect(api_url: str) -> str:
    url = f"{api_url.rstrip('/')}/health"
    try:
        with urllib.request.urlopen(url, timeout=PREFECT_TIMEOUT_SECONDS) as response:
            healthy = json.loads(response.read() or b"null") is True
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code} from {url}"
    except (OSError, ValueError) as exc:
        return f"unreachable ({type(exc).__name__}) at {url}"
    return "ok" if healthy else f"unhealthy answer from {url}"
