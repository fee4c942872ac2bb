"""The lists' text search: literal, case-insensitive, over several columns."""

from __future__ import annotations

import sqlalchemy as sa
from engage.common.search import matches
from engage.companies.models import Company
from engage.tenancy import system_scope

from tests import factories as f


def test_matches_is_literal_and_ignores_case(db_session):
    with system_scope("test", db_session):
        f.company(name="Percent 100% Ltd")
        f.company(name="Plain Holdings")
        db_session.flush()

        def names(text):
            return db_session.scalars(sa.select(Company.name).where(
                matches(text, Company.name, Company.isin)).order_by(Company.name)).all()

        assert names("100%") == ["Percent 100% Ltd"]
        assert names("%") == ["Percent 100% Ltd"]  # not a wildcard
        assert names("PLAIN") == ["Plain Holdings"]
        assert matches("   ", Company.name) is None
