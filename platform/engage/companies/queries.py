"""Reads of companies that the pages and the API share: the searchable list and which of
them a person follows."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from engage.common.listing import Filter, Order
from engage.common.search import matches_folded
from engage.companies.models import Company, CompanyFollow, EsgRating, ExclusionCategory, Holding
from engage.engagements.models import Engagement, EngagementStatus, Milestone
from engage.extensions import db


def search(query: str) -> sa.Select:
    """Companies whose name (case and accents ignored), ISIN or LEI contains ``query``, by
    name as people read it (Altria before ATLANTIA)."""
    stmt = sa.select(Company).order_by(Company.name_key, Company.id)
    found = matches_folded(query, Company.name_key, plain=(Company.isin, Company.lei))
    return stmt if found is None else stmt.where(found)


# --- the companies page: filters and orders (engage.common.listing) ---------------------------

EXCLUSION_CHOICES = ("excluded", "not_excluded", *(c.value for c in ExclusionCategory))
# The rating scale best first (Bijlage 5); alphabetical order would put A before AAA.
_RATING_ORDER = sa.case({r: i for i, r in enumerate(EsgRating)}, value=Company.esg_rating,
                        else_=len(EsgRating))


def list_filters(sectors: list[str], countries: list[str]) -> tuple[Filter, ...]:
    """The sectors and countries offered are those of the register: any other is ignored."""
    return (
        Filter("q", _l("Search"), kind="text"),
        Filter("sector", _l("Sector"), choices=sectors),
        Filter("country", _l("Country"), choices=countries),
        Filter("exclusion", _l("Exclusion list"), choices=EXCLUSION_CHOICES),
        Filter("rating", _l("ESG rating"), choices=[r.value for r in EsgRating]),
        Filter("overdue", _l("Overdue"), kind="flag"),
    )


LIST_ORDERS = {
    "name": Order(_l("Company"), lambda: (Company.name_key,)),
    "country": Order(_l("Country"), lambda: (Company.country, Company.name_key)),
    "sector": Order(_l("Sector"), lambda: (Company.sector, Company.name_key)),
    "rating": Order(_l("ESG rating"), lambda: (_RATING_ORDER, Company.name_key)),
    "exclusion": Order(_l("Exclusion"), lambda: (Company.exclusion_category.is_(None),
                                                 Company.exclusion_category, Company.name_key)),
}


def engagement_counts(company_ids: list[int], today: date) -> dict[int, tuple[int, int]]:
    """For the companies of a page: how many of their engagements that the organisation sees
    are active, and how many of those are overdue (a milestone still pending past its date;
    a closed engagement never is). One statement, the visibility rule applied once."""
    if not company_ids:
        return {}
    late = sa.exists().where(Milestone.engagement_id == Engagement.id, Milestone.pending,
                             Milestone.due_on < today)
    rows = db.session.execute(
        sa.select(Engagement.company_id, sa.func.count(),
                  sa.func.count(sa.case((late, 1))))
        .where(Engagement.company_id.in_(company_ids),
               Engagement.status == EngagementStatus.ACTIVE)
        .group_by(Engagement.company_id)).all()
    return {company_id: (active, overdue) for company_id, active, overdue in rows}


def listed_where(listing: Any, today: date) -> list[sa.ColumnElement]:
    where: list[sa.ColumnElement] = []
    found = matches_folded(listing.q, Company.name_key, plain=(Company.isin, Company.lei))
    if found is not None:
        where.append(found)
    if listing.sector:
        where.append(Company.sector == listing.sector)
    if listing.country:
        where.append(Company.country == listing.country)
    if listing.exclusion == "excluded":
        where.append(Company.exclusion_category.is_not(None))
    elif listing.exclusion == "not_excluded":
        where.append(Company.exclusion_category.is_(None))
    elif listing.exclusion:
        where.append(Company.exclusion_category == ExclusionCategory(listing.exclusion))
    if listing.rating:
        where.append(Company.esg_rating == EsgRating(listing.rating))
    if listing.overdue:
        where.append(Company.id.in_(
            sa.select(Engagement.company_id)
            .where(Engagement.status == EngagementStatus.ACTIVE,
                   sa.exists().where(Milestone.engagement_id == Engagement.id,
                                     Milestone.pending, Milestone.due_on < today))))
    return where


def sectors_and_countries() -> tuple[list[str], list[str]]:
    """The register's sectors and countries, for the filters: one statement."""
    rows = db.session.execute(
        sa.select(sa.literal("s"), Company.sector).where(Company.sector.is_not(None))
        .group_by(Company.sector)
        .union_all(sa.select(sa.literal("c"), Company.country)
                   .where(Company.country.is_not(None)).group_by(Company.country))
    ).all()
    sectors = sorted((v for k, v in rows if k == "s"), key=str.casefold)
    countries = sorted(v for k, v in rows if k == "c")
    return sectors, countries


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
