"""Platform totals for the home page: a handful of aggregate queries, whatever the data size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from engage.companies.models import Company
from engage.engagements.models import Engagement, EngagementStatus, Milestone
from engage.extensions import db
from engage.initiatives.models import Initiative, InitiativeMember, MemberStatus
from engage.organisations.models import Organisation, User
from engage.tenancy import system_scope


@dataclass(frozen=True)
class InitiativeSummary:
    id: int
    title: str
    theme: str
    status: str
    members: int
    engagements: int


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
    initiative_summaries: list[InitiativeSummary]


def platform_totals(today: date) -> PlatformTotals:
    """Counts across all organisations: aggregates only, no organisation's content."""
    with system_scope("platform totals on the home page"):
        s = db.session
        counts = s.execute(
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
        members = (
            sa.select(sa.func.count(InitiativeMember.id))
            .where(
                InitiativeMember.initiative_id == Initiative.id,
                InitiativeMember.status == MemberStatus.ADMITTED,
            )
            .correlate(Initiative)
            .scalar_subquery()
        )
        engagements = (
            sa.select(sa.func.count(Engagement.id))
            .where(Engagement.initiative_id == Initiative.id)
            .correlate(Initiative)
            .scalar_subquery()
        )
        rows = s.execute(
            sa.select(
                Initiative.id, Initiative.title, Initiative.theme, Initiative.status,
                members, engagements,
            ).order_by(Initiative.title)
        ).all()
    return PlatformTotals(
        *counts,
        initiative_summaries=[
            InitiativeSummary(r.id, r.title, r.theme, str(r.status), r[4], r[5]) for r in rows
        ],
    )
