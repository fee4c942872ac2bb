"""Platform totals for the home page: one aggregate query, whatever the data size, kept for
``ENGAGE_TOTALS_CACHE_SECONDS`` per process (counting whole tables on every home page costs
≈75 ms at 100,000 engagements; the banner does not need to be to the second)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import current_app

from engage.companies.models import Company
from engage.engagements.models import Engagement, EngagementStatus, Milestone
from engage.extensions import db
from engage.initiatives.models import Initiative
from engage.organisations.models import Organisation, User
from engage.tenancy import system_scope


@dataclass(frozen=True)
class PlatformTotals:
    organisations: int
    users: int
    initiatives: int
    companies: int
    excluded_companies: int
    engagements: int
    active_engagements: int
    overdue_milestones: int


_cache: dict[tuple[str, date], tuple[float, PlatformTotals]] = {}
_cache_lock = threading.Lock()


def platform_totals(today: date) -> PlatformTotals:
    """The totals, counted at most once per ``ENGAGE_TOTALS_CACHE_SECONDS`` per process."""
    ttl = current_app.config["ENGAGE_TOTALS_CACHE_SECONDS"]
    key = (db.engine.url.render_as_string(hide_password=True), today)
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
    if ttl > 0 and hit and now - hit[0] < ttl:
        return hit[1]
    totals = count_totals(today)
    if ttl > 0:
        with _cache_lock:
            if len(_cache) > 16:  # yesterday's keys, other databases in tests
                _cache.clear()
            _cache[key] = (now, totals)
    return totals


def count_totals(today: date) -> PlatformTotals:
    """Counts across all organisations, in one query: aggregates only, no organisation's
    content."""
    with system_scope("platform totals on the home page"):
        counts = db.session.execute(
            sa.select(
                sa.select(sa.func.count(Organisation.id)).scalar_subquery(),
                sa.select(sa.func.count(User.id)).scalar_subquery(),
                sa.select(sa.func.count(Initiative.id)).scalar_subquery(),
                sa.select(sa.func.count(Company.id)).scalar_subquery(),
                sa.select(sa.func.count(Company.id))
                .where(Company.exclusion_category.is_not(None))
                .scalar_subquery(),
                sa.select(sa.func.count(Engagement.id)).scalar_subquery(),
                sa.select(sa.func.count(Engagement.id))
                .where(Engagement.status == EngagementStatus.ACTIVE)
                .scalar_subquery(),
                sa.select(sa.func.count(Milestone.id))
                .where(Milestone.overdue(today))
                .scalar_subquery(),
            )
        ).one()
    return PlatformTotals(*counts)
