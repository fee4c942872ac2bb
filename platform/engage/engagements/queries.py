"""Reads of engagements that the pages, the API and the home page share: the list, and the
order in which engagements are listed everywhere (active first, then most severe to people:
scale x scope x irremediability, not the portfolio's exposure).

All of them run in the caller's tenancy scope, so each lists what the organisation may see.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from engage.common.search import matches
from engage.engagements.models import Engagement, EngagementStatus, Milestone

# The order of every engagement list; callers add their own tie-breakers before the id.
MOST_SEVERE_FIRST = (Engagement.status != EngagementStatus.ACTIVE, Engagement.severity.desc())
FILTERS = ("status", "level", "company_id", "initiative_id")


def next_due_on() -> sa.ScalarSelect:
    """The engagement's nearest deadline not met yet (None when there is none)."""
    return (
        sa.select(sa.func.min(Milestone.due_on))
        .where(Milestone.engagement_id == Engagement.id, Milestone.pending)
        .correlate(Engagement)
        .scalar_subquery()
    )


def engagement_list(*columns: Any, q: str | None = None, **filters: Any) -> sa.Select:
    """The engagements the organisation sees (with ``columns`` beside each), most severe
    first; ``filters`` (status, level, company_id, initiative_id) that are not None narrow
    it, ``q`` searches title and issue."""
    stmt = sa.select(Engagement, *columns).order_by(*MOST_SEVERE_FIRST, Engagement.id)
    for key in FILTERS:
        if filters.get(key) is not None:
            stmt = stmt.where(getattr(Engagement, key) == filters[key])
    found = matches(q, Engagement.title, Engagement.issue)
    if found is not None:
        stmt = stmt.where(found)
    return stmt
