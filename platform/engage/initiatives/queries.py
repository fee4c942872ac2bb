"""What the initiative pages read: the filtered list, one initiative's members, engagements
and ladder, and the "strength of numbers" totals. A fixed number of queries per page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased, selectinload

from engage.common.listing import Filter, Order
from engage.common.search import fold, matches_folded

from engage.companies.models import Company
from engage.db import Base
from engage.engagements import progress
from engage.engagements.models import Engagement, EngagementStatus, Milestone
from engage.engagements.queries import engagement_list
from engage.escalations.models import EscalationLadder
from engage.extensions import db
from engage.initiatives.models import (
    Initiative,
    InitiativeMember,
    InitiativeStatus,
    MemberRole,
    MemberStatus,
)
from engage.organisations.models import Organisation

# "My role" filter: the coordinator, an admitted role, a pending application, or none.
MY_ROLE_FILTERS = ("coordinator", "lead", "co_lead", "supporter", "observer", "pending", "none")


def list_filters(themes: list[str]) -> tuple[Filter, ...]:
    """The themes offered are those of the initiatives the organisation sees."""
    return (
        Filter("q", _l("Search"), kind="text"),
        Filter("theme", _l("Theme"), choices=themes),
        Filter("status", _l("Status"), choices=[s.value for s in InitiativeStatus]),
        Filter("mine", _l("My role"), choices=MY_ROLE_FILTERS),
        Filter("overdue", _l("Overdue"), kind="flag"),
    )


_CLOSED_LAST = Initiative.status == InitiativeStatus.CLOSED
LIST_ORDERS = {
    "usual": Order(_l("Open first, by title"), lambda: (_CLOSED_LAST, Initiative.title_key),
                   reversible=False),
    "title": Order(_l("Initiative"), lambda: (Initiative.title_key,)),
    "theme": Order(_l("Theme"), lambda: (sa.func.lower(Initiative.theme), Initiative.title_key)),
    "status": Order(_l("Status"), lambda: (Initiative.status, Initiative.title_key)),
    "coordinator": Order(_l("Coordinator"), lambda: (sa.func.lower(Organisation.name),
                                                     Initiative.title_key)),
}


def overdue_engagements(today: date) -> sa.ScalarSelect:
    """How many of the initiative's engagements that the organisation sees are overdue:
    active, with a milestone still pending past its date."""
    return (
        sa.select(sa.func.count(Engagement.id))
        .where(Engagement.initiative_id == Initiative.id,
               Engagement.status == EngagementStatus.ACTIVE,
               sa.exists().where(Milestone.engagement_id == Engagement.id, Milestone.pending,
                                 Milestone.due_on < today))
        .correlate(Initiative)
        .scalar_subquery()
    )


@dataclass(frozen=True)
class Strength:
    """Admitted members; the assets those who stated theirs committed (None when nobody
    stated any: not a total of nothing), and how many stated."""
    members: int = 0
    aum_eur: Decimal | None = None
    stated: int = 0


def strength(initiative_ids: list[int]) -> dict[int, Strength]:
    """Admitted members and their committed AUM per initiative. Aggregates are shown to
    everyone who can see the initiative (the strength of numbers is what recruits); the
    members' own declarations stay behind the organisation filter. Core on the table, so
    the count is the same for a prospective member as for a member."""
    if not initiative_ids:
        return {}
    m = Base.metadata.tables["initiative_member"]
    rows = db.session.execute(
        sa.select(m.c.initiative_id, sa.func.count(), sa.func.sum(m.c.aum_committed_eur),
                  sa.func.count(m.c.aum_committed_eur))
        .where(m.c.initiative_id.in_(initiative_ids), m.c.status == MemberStatus.ADMITTED.value)
        .group_by(m.c.initiative_id)
    ).all()
    return {r[0]: Strength(r[1], None if r[2] is None else Decimal(r[2]), r[3]) for r in rows}


def list_page(org_id: int, listing: Any, today: date, *, offset: int, limit: int):
    """(rows, total): rows are (initiative, coordinator name, my role, my status, overdue
    engagements), filtered and ordered as ``listing`` says."""
    mine = aliased(InitiativeMember)
    stmt = (
        sa.select(Initiative, Organisation.name.label("coordinator_name"),
                  mine.role.label("my_role"), mine.status.label("my_status"),
                  overdue_engagements(today).label("overdue"))
        .join(Organisation, Organisation.id == Initiative.coordinator_organisation_id)
        .outerjoin(mine, (mine.initiative_id == Initiative.id) & (mine.organisation_id == org_id))
    )
    found = matches_folded(listing.q, Initiative.title_key)
    if found is not None:
        stmt = stmt.where(found)
    if listing.theme:
        stmt = stmt.where(Initiative.theme == listing.theme)
    if listing.status:
        stmt = stmt.where(Initiative.status == InitiativeStatus(listing.status))
    if listing.mine == "coordinator":
        stmt = stmt.where(Initiative.coordinator_organisation_id == org_id)
    elif listing.mine == "pending":
        stmt = stmt.where(mine.status == MemberStatus.PENDING)
    elif listing.mine == "none":
        stmt = stmt.where(sa.or_(mine.id.is_(None),
                                 mine.status.in_([MemberStatus.DECLINED, MemberStatus.LEFT,
                                                 MemberStatus.REMOVED])),
                          Initiative.coordinator_organisation_id != org_id)
    elif listing.mine:
        stmt = stmt.where(mine.role == MemberRole(listing.mine), mine.status == MemberStatus.ADMITTED)
    if listing.overdue:
        stmt = stmt.where(Initiative.id.in_(
            sa.select(Engagement.initiative_id)
            .where(Engagement.status == EngagementStatus.ACTIVE,
                   sa.exists().where(Milestone.engagement_id == Engagement.id,
                                     Milestone.pending, Milestone.due_on < today))))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(
        stmt.with_only_columns(Initiative.id).subquery()))
    rows = db.session.execute(
        stmt.order_by(*listing.order_by(LIST_ORDERS, Initiative.id)).limit(limit).offset(offset)
    ).all()
    return rows, total


def themes() -> list[str]:
    return sorted(db.session.scalars(sa.select(Initiative.theme).distinct()), key=fold)


def members(initiative_id: int):
    """(member, organisation name) that this organisation may see, lead first."""
    order = sa.case({MemberRole.LEAD: 0, MemberRole.CO_LEAD: 1, MemberRole.SUPPORTER: 2,
                     MemberRole.OBSERVER: 3}, value=InitiativeMember.role)
    status_order = sa.case({MemberStatus.PENDING: 0, MemberStatus.ADMITTED: 1}, value=InitiativeMember.status, else_=2)
    return db.session.execute(
        sa.select(InitiativeMember, Organisation.name)
        .join(Organisation, Organisation.id == InitiativeMember.organisation_id)
        .where(InitiativeMember.initiative_id == initiative_id)
        .order_by(status_order, order, Organisation.name)
    ).all()


def member_row(member_id: int):
    return db.session.execute(
        sa.select(InitiativeMember, Organisation.name)
        .join(Organisation, Organisation.id == InitiativeMember.organisation_id)
        .where(InitiativeMember.id == member_id)
    ).one()


def engagements(initiative_id: int, today: date, limit: int = 200):
    """(engagement, company name, stage, milestones overdue, reviews open) visible to this
    organisation (the stage as engagements.progress defines it), in the order of every
    engagement list (active first, most severe for people first)."""
    return db.session.execute(
        engagement_list(Company.name, *progress.columns(today), initiative_id=initiative_id)
        .join(Company, Company.id == Engagement.company_id)
        .limit(limit)
    ).all()


def ladder(initiative_id: int) -> EscalationLadder | None:
    return db.session.scalar(
        sa.select(EscalationLadder).where(EscalationLadder.initiative_id == initiative_id)
        .options(selectinload(EscalationLadder.steps))
    )
