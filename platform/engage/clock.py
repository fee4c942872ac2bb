"""The one clock: what time it is, and which day that is where the platform runs.

``now()`` is an aware UTC moment; ``local_date(now)`` is its calendar day in ENGAGE_TIMEZONE
(``BABEL_DEFAULT_TIMEZONE``), the zone in which deadlines fall due. Services take ``now``
as a parameter and derive "today" with ``local_date``; pages, commands and flows ask
``clock.now()`` once per request or run. So "due today" on the home page, "not in the
future" in a form and "overdue" in the sweep are the same day, also between local and UTC
midnight. Call it as ``clock.now()`` (not ``from engage.clock import now``): tests freeze it
by replacing this module's ``now``.

``ENGAGE_CLOCK_SHIFT_SECONDS`` runs the platform as if it were that many seconds later (or
earlier, when negative), in every process started with it: for demonstrations and the idle
benchmark, which lets a local midnight pass while it watches. Unset, it is 0.
"""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_ZONE = "Europe/Amsterdam"
SHIFT = timedelta(seconds=float(os.environ.get("ENGAGE_CLOCK_SHIFT_SECONDS") or 0))


def now() -> datetime:
    """The current moment, aware, in UTC."""
    return datetime.now(timezone.utc) + SHIFT


def on_system_clock(moment: datetime) -> datetime:
    """The same moment as the system's clock (and the orchestrator's) reads it."""
    return moment - SHIFT


def zone() -> ZoneInfo:
    """ENGAGE_TIMEZONE: the app's setting, or the environment's outside an app."""
    name = (current_app.config.get("BABEL_DEFAULT_TIMEZONE") if has_app_context()
            else os.environ.get("ENGAGE_TIMEZONE", DEFAULT_ZONE))
    return ZoneInfo(name or "UTC")


def local_date(now: datetime) -> date:
    """The calendar day at ``now`` where the platform runs: a deadline passes at local
    midnight."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    return now.astimezone(zone()).date()


def next_midnight(now: datetime) -> datetime:
    """The moment (UTC) the local date after ``now``'s begins: when date deadlines pass."""
    day = local_date(now) + timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=zone()).astimezone(timezone.utc)


def today() -> date:
    """The local date now: for pages and commands that have no ``now`` of their own."""
    return local_date(now())


def aware(moment: datetime) -> datetime:
    """A moment given without a zone is read in ENGAGE_TIMEZONE."""
    return moment if moment.tzinfo else moment.replace(tzinfo=zone())
