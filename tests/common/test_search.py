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


def test_fold_ignores_case_accents_and_compatibility_forms():
    from engage.common.search import fold

    assert fold("ATLANTIA") == "atlantia" and fold("Altria") == "altria"
    assert fold("Électricité") == "electricite"
    assert fold("Ærø") == "aero" and fold("Straße") == "strasse" and fold("ﬁne") == "fine"
    assert sorted(["ATLANTIA", "Électricité", "Altria", "Engie", "Ærø"], key=fold) == [
        "Ærø", "Altria", "ATLANTIA", "Électricité", "Engie"]
    assert fold(None) == "" and len(fold("ﷺ" * 400)) == 400


def test_the_folded_key_follows_the_name_on_insert_and_update(db_session):
    from engage.common.search import matches_folded

    with system_scope("test", db_session):
        company = f.company(name="Électricité 100% Verte")
        db_session.flush()
        assert company.name_key == "electricite 100% verte"
        company.name = "ÆRØ Wind"
        db_session.flush()
        db_session.expire(company)
        assert company.name_key == "aero wind"

        def names(text):
            return db_session.scalars(sa.select(Company.name).where(
                matches_folded(text, Company.name_key, plain=(Company.isin,)))).all()

        assert names("aero") == ["ÆRØ Wind"] and names("ærø w") == ["ÆRØ Wind"]
        assert names("%") == [] and names("a_ro") == []  # wildcards are literal
        assert matches_folded("  ", Company.name_key) is None
