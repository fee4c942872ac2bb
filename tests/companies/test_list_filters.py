"""/companies: names sorted and searched as people read them (Altria before ATLANTIA,
Électricité before Engie), filters by sector, country, exclusion list, ESG rating and
overdue engagement, sortable columns, the count, the query string kept; another
organisation's engagement never marks a company overdue."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from urllib.parse import quote

import pytest

from engage.companies.models import EsgRating, ExclusionCategory
from engage.organisations.models import OrgRole
from engage.tenancy import system_scope
from tests import factories as f
from tests.conftest import login_ids

NOW = datetime.combine(f.TODAY, time(12), tzinfo=timezone.utc)
RATED = date(2026, 1, 5)


@pytest.fixture
def world(db_session, frozen_clock):
    frozen_clock(NOW)
    with system_scope("test", db_session):
        org, other = f.organisation(), f.organisation()
        user = f.user(org, role=OrgRole.ADMIN)
        companies = {
            "atlantia": f.company("ATLANTIA", country="IT", sector="Infrastructure",
                                  esg_rating=EsgRating.BBB, rated_on=RATED, isin="IT0003506190"),
            "altria": f.company("Altria", country="US", sector="Tobacco",
                                esg_rating=EsgRating.CCC, rated_on=RATED,
                                exclusion_category=ExclusionCategory.TOBACCO),
            "edf": f.company("Électricité de France", country="FR", sector="Utilities",
                             esg_rating=EsgRating.A, rated_on=RATED),
            "aero": f.company("Ærø Shipping", country="DK", sector="Shipping",
                              esg_rating=EsgRating.AAA, rated_on=RATED),
            "engie": f.company("Engie", country="FR", sector="Utilities"),
        }
        mine = f.engagement(companies["altria"], org)
        f.milestone(mine, due_on=f.TODAY - timedelta(days=3))
        # Another organisation's own engagement, overdue: nothing of it shows to ``org``.
        theirs = f.engagement(companies["engie"], other, title="Their private dialogue")
        f.milestone(theirs, due_on=f.TODAY - timedelta(days=3))
        ids = {k: c.id for k, c in companies.items()}
        ids.update(user=user.id, org=org.id, slug=org.slug)
        db_session.commit()
    return ids


def _get(client, world, query: str = ""):
    login_ids(client, world["user"], world["org"], world["slug"])
    response = client.get("/companies" + query)
    return response, response.get_data(as_text=True)


def _names(world, html: str) -> list[str]:
    by_id = {v: k for k, v in world.items() if k not in ("user", "org", "slug")}
    return [by_id[int(i)] for i in re.findall(r'<tr data-company="(\d+)"', html)]


def _total(html: str) -> int:
    return int(re.search(r'data-total="(\d+)"', html).group(1))


def test_names_sort_as_people_read_them_both_ways(client, world):
    response, html = _get(client, world)
    assert response.status_code == 200
    assert _names(world, html) == ["aero", "altria", "atlantia", "edf", "engie"]
    _r, html = _get(client, world, "?sort=-name")
    assert _names(world, html) == ["engie", "edf", "atlantia", "altria", "aero"]
    assert 'aria-sort="descending"' in html


def test_other_columns_sort_both_ways(client, world):
    _r, html = _get(client, world, "?sort=rating")
    assert _names(world, html) == ["aero", "edf", "atlantia", "altria", "engie"]  # AAA … CCC, none
    _r, html = _get(client, world, "?sort=-rating")
    assert _names(world, html) == ["engie", "altria", "atlantia", "edf", "aero"]
    _r, html = _get(client, world, "?sort=country")
    assert _names(world, html) == ["aero", "edf", "engie", "atlantia", "altria"]  # DK FR FR IT US
    _r, html = _get(client, world, "?sort=-sector")
    assert _names(world, html)[:2] == ["engie", "edf"]  # Utilities, then by name descending
    _r, html = _get(client, world, "?sort=exclusion")
    assert _names(world, html)[0] == "altria"


@pytest.mark.parametrize("q, expected", [
    ("electricite", ["edf"]), ("ÉLECTRICITÉ", ["edf"]), ("AERO", ["aero"]), ("ærø", ["aero"]),
    ("atlantia", ["atlantia"]), ("it00035", ["atlantia"]), ("e", ["aero", "edf", "engie"]),
])
def test_search_ignores_case_and_accents(client, world, q, expected):
    _r, html = _get(client, world, "?q=" + quote(q))
    assert _names(world, html) == expected
    assert _total(html) == len(expected)


def test_each_filter_and_the_count(client, world):
    cases = {
        "?sector=Utilities": ["edf", "engie"],
        "?country=FR": ["edf", "engie"],
        "?country=FR&rating=A": ["edf"],
        "?exclusion=excluded": ["altria"],
        "?exclusion=tobacco": ["altria"],
        "?exclusion=thermal_coal": [],
        "?exclusion=not_excluded": ["aero", "atlantia", "edf", "engie"],
        "?rating=AAA": ["aero"],
        "?overdue=1": ["altria"],
    }
    for query, expected in cases.items():
        _r, html = _get(client, world, query)
        assert _names(world, html) == expected, query
        assert _total(html) == len(expected), query


def test_overdue_is_flagged_from_visible_engagements_only(client, world):
    _r, html = _get(client, world)
    flagged = re.findall(r'<tr data-company="(\d+)" class="is-overdue"', html)
    assert flagged == [str(world["altria"])]
    assert "Their private dialogue" not in html


def test_the_url_carries_the_filters(client, world):
    _r, html = _get(client, world, "?country=FR&sort=-name")
    assert '<option value="FR" selected>' in html
    link = re.search(r'<a href="([^"]+)" data-sort="name">', html).group(1).replace("&amp;", "&")
    assert "country=FR" in link and "sort=" not in link  # back to the usual order
    rating = re.search(r'<a href="([^"]+)" data-sort="rating">', html).group(1)
    assert "country=FR" in rating and "sort=rating" in rating


@pytest.mark.parametrize("query, message", [
    ("?sector=Nope", "is not a choice of"),
    ("?country=XX", "is not a choice of"),
    ("?rating=AAAA", "is not a choice of"),
    ("?exclusion=maybe", "is not a choice of"),
    ("?sort=isin", "cannot be sorted by"),
    ("?overdue=2", "is not a choice of"),
])
def test_bad_values_are_ignored_with_a_message(client, world, query, message):
    response, html = _get(client, world, query)
    assert response.status_code == 200
    assert message in html
    assert _total(html) == 5


def test_a_bad_page_is_a_400(client, world):
    response, _html = _get(client, world, "?country=FR&page=-1")
    assert response.status_code == 400
