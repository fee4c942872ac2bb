"""Reads of companies that the pages and the API share: the searchable list and which of
them a person follows."""

from __future__ import annotations

import sqlalchemy as sa

from engage.common.search import matches
from engage.companies.models import Company, CompanyFollow, Holding
from engage.extensions import db


def search(query: str) -> sa.Select:
    """Companies whose name, ISIN or LEI contains ``query`` (any case), by name."""
    stmt = sa.select(Company).order_by(Company.name, Company.id)
    found = matches(query, Company.name, Company.isin, Company.lei)
    return stmt if found is None else stmt.where(found)


def is_following(company_id: int, user_id: int) -> bool:
    return db.session.scalar(sa.select(sa.exists().where(
        CompanyFollow.company_id == company_id, CompanyFollow.user_id == user_id))) or False


def followed_ids(user_id: int, company_ids: list[int]) -> set[int]:
    if not company_ids:
        return set()
    return set(db.session.scalars(sa.select(CompanyFollow.company_id).where(
        CompanyFollow.user_id == user_id, CompanyFollow.company_id.in_(company_ids))))


def holders_among(company_id: int, organisation_ids: list[int]) -> list[int]:
    """Which of ``organisation_ids`` hold the company: their latest recorded holding in it
    is worth more than nothing. Who holds, never how much.

    Holdings are private to each organisation, so this reads the table itself (the ORM's
    tenancy filter would show the caller's own holding only): call it in a system scope, or
    inside ``database_system_scope`` on PostgreSQL, for an escalation rule that must reach
    every holder."""
    if not organisation_ids:
        return []
    holding = Holding.__table__
    latest = (sa.select(holding.c.organisation_id, sa.func.max(holding.c.valued_on).label("on"))
              .where(holding.c.company_id == company_id,
                     holding.c.organisation_id.in_(list(organisation_ids)))
              .group_by(holding.c.organisation_id).subquery())
    return list(db.session.scalars(
        sa.select(holding.c.organisation_id)
        .join(latest, sa.and_(latest.c.organisation_id == holding.c.organisation_id,
                              latest.c.on == holding.c.valued_on))
        .where(holding.c.company_id == company_id, holding.c.value_eur > 0)
        .order_by(holding.c.organisation_id)))
