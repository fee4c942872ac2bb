"""Reads of engagements that the pages, the API and the home page share: the list, and the
order in which engagements are listed everywhere (active first, then most severe to people:
scale x scope x irremediability, not the portfolio's exposure).

All of them run in the caller's tenancy scope, so each lists what the organisation may see.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from engage.common.listing import Filter, Order
from engage.common.search import matches, matches_folded
from engage.companies.models import Company
from engage.engagements.models import (
    Engagement,
    EngagementParticipant,
    EngagementStatus,
    Milestone,
    ParticipantRole,
)
from engage.db import Base
from engage.escalations.models import StepKind

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


# --- the engagements page: filters and orders (engage.common.listing) -------------------------

LIST_FILTERS = (
    Filter("q", _l("Search"), kind="text"),
    Filter("initiative", _l("Initiative"), kind="id"),
    Filter("status", _l("Status"), choices=[s.value for s in EngagementStatus]),
    Filter("step", _l("Escalation step"), choices=[k.value for k in StepKind]),
    Filter("overdue", _l("Overdue"), kind="flag"),
    Filter("role", _l("My role"), choices=[r.value for r in ParticipantRole]),
    Filter("severity", _l("Severity at least"), kind="number", low=1, high=125),
)
LIST_ORDERS = {
    "priority": Order(_l("Priority"), lambda: MOST_SEVERE_FIRST, reversible=False),
    "company": Order(_l("Company"), lambda: (Company.name_key,)),
    "title": Order(_l("Engagement"), lambda: (Engagement.title_key,)),
    "severity": Order(_l("Severity"), lambda: (Engagement.severity,)),
    "next_due": Order(_l("Next deadline"), lambda: (next_due_on(),)),
    "status": Order(_l("Status"), lambda: (Engagement.status,)),
}


def steps_of_kind(kind: str) -> sa.Select:
    """The ids of the ladder steps of ``kind``, read from the table: the filter narrows the
    engagements the organisation sees by their current step, which their pages show, so the
    ladders' own visibility rule (a union over every visible ladder, 20 ms at 100,000
    engagements) adds nothing here."""
    step = Base.metadata.tables["ladder_step"]
    return sa.select(step.c.id).where(step.c.kind == StepKind(kind).value)


def listed_where(listing: Any, organisation_id: int, today: date) -> list[sa.ColumnElement]:
    """The WHERE clauses of the filters in ``listing``, over Engagement joined to Company.
    Each is an indexed column or an EXISTS on an indexed foreign key, never a per-row
    computation over the whole list."""
    where: list[sa.ColumnElement] = []
    found = matches_folded(listing.q, Engagement.title_key, Company.name_key,
                           plain=(Engagement.issue,))
    if found is not None:
        where.append(found)
    if listing.initiative is not None:
        where.append(Engagement.initiative_id == listing.initiative)
    if listing.status:
        where.append(Engagement.status == EngagementStatus(listing.status))
    if listing.step:
        where.append(Engagement.current_step_id.in_(steps_of_kind(listing.step)))
    if listing.overdue:
        # Closed engagements are never overdue (engagements.progress).
        where.append(Engagement.status == EngagementStatus.ACTIVE)
        where.append(sa.exists().where(Milestone.engagement_id == Engagement.id,
                                       Milestone.pending, Milestone.due_on < today))
    if listing.role:
        where.append(sa.exists().where(
            EngagementParticipant.engagement_id == Engagement.id,
            EngagementParticipant.organisation_id == organisation_id,
            EngagementParticipant.role == ParticipantRole(listing.role)))
    if listing.severity is not None:
        where.append(Engagement.severity >= listing.severity)
    return where
