"""Reads of companies that the pages and the API share: the searchable list and which of
them a person follows."""

from __future__ import annotations

import sqlalchemy as sa

from engage.common.search import matches
from engage.companies.models import Company, CompanyFollow
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
