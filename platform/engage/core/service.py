"""Platform totals for the home page: one aggregate query, whatever the data size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

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


def platform_totals(today: date) -> PlatformTotals:
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
