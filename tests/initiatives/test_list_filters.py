"""/initiatives: titles sorted and searched as people read them, filters (theme, status, my
role, overdue engagement), sortable columns, the count and the query string kept; overdue
counts only the engagements the organisation sees."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta, timezone
from urllib.parse import quote

import pytest

from engage.initiatives.models import InitiativeStatus, MemberStatus
from engage.organisations.models import OrgRole
from engage.tenancy import system_scope
from tests import factories as f
from tests.conftest import login_ids

NOW = datetime.combine(f.TODAY, time(12), tzinfo=timezone.utc)


@pytest.fixture
def world(db_session, frozen_clock):
    frozen_clock(NOW)
    with system_scope("test", db_session):
        org, other = f.organisation(), f.organisation()
        user = f.user(org, role=OrgRole.ADMIN)
        items = {
            "eau": f.initiative(org, title="Éau potable", theme="water"),
            "cobalt": f.initiative(org, title="cobalt sourcing", theme="Cobalt"),
            "living": f.initiative(org, title="Living wage", theme="apparel",
                                   status=InitiativeStatus.RECRUITING),
            "closed": f.initiative(org, title="Archived coal", theme="coal",
                                   status=InitiativeStatus.CLOSED),
        }
        # The other organisation's initiative, which ours applied to (so sees, but not its
        # engagements), with an engagement that is overdue; one of ours is overdue too.
        theirs = f.initiative(other, title="Zinc", theme="mining")
        f.member(theirs, org, status=MemberStatus.PENDING)
        items["theirs"] = theirs
        hidden = f.engagement(f.company(), other, initiative_=theirs, title="Their dialogue")
        f.milestone(hidden, due_on=f.TODAY - timedelta(days=2))
        ours = f.engagement(f.company(), org, initiative_=items["cobalt"])
        f.milestone(ours, due_on=f.TODAY - timedelta(days=2))
        ids = {k: i.id for k, i in items.items()}
        ids.update(user=user.id, org=org.id, slug=org.slug)
        db_session.commit()
    return ids


def _get(client, world, query: str = ""):
    login_ids(client, world["user"], world["org"], world["slug"])
    response = client.get("/initiatives" + query)
    return response, response.get_data(as_text=True)


def _names(world, html: str) -> list[str]:
    by_id = {v: k for k, v in world.items() if k not in ("user", "org", "slug")}
    return [by_id[int(i)] for i in re.findall(r'<tr data-initiative="(\d+)"', html)]


def _total(html: str) -> int:
    return int(re.search(r'data-total="(\d+)"', html).group(1))


def test_open_first_then_titles_as_people_read_them(client, world):
    response, html = _get(client, world)
    assert response.status_code == 200
    # cobalt (lower case) before Éau before Living: neither case nor accent decides.
    assert _names(world, html) == ["cobalt", "eau", "living", "theirs", "closed"]
    assert _total(html) == 5


def test_sorting_both_ways(client, world):
    _r, html = _get(client, world, "?sort=title")
    assert _names(world, html) == ["closed", "cobalt", "eau", "living", "theirs"]
    _r, html = _get(client, world, "?sort=-title")
    assert _names(world, html) == ["theirs", "living", "eau", "cobalt", "closed"]
    assert 'aria-sort="descending"' in html
    _r, html = _get(client, world, "?sort=theme")
    assert _names(world, html)[0] == "living"  # apparel


@pytest.mark.parametrize("q, expected", [("eau", ["eau"]), ("ÉAU", ["eau"]),
                                         ("COBALT", ["cobalt"]), ("nothing", [])])
def test_search_ignores_case_and_accents(client, world, q, expected):
    _r, html = _get(client, world, "?q=" + quote(q))
    assert _names(world, html) == expected and _total(html) == len(expected)


def test_filters_and_the_overdue_flag(client, world):
    cases = {"?theme=water": ["eau"], "?status=recruiting": ["living"],
             "?mine=pending": ["theirs"], "?overdue=1": ["cobalt"],
             "?overdue=1&status=active&q=cob": ["cobalt"], "?overdue=1&theme=mining": []}
    for query, expected in cases.items():
        _r, html = _get(client, world, query)
        assert _names(world, html) == expected, query
        assert _total(html) == len(expected), query
    _r, html = _get(client, world)
    flagged = re.findall(r'<tr data-initiative="(\d+)" class="is-overdue"', html)
    assert flagged == [str(world["cobalt"])]  # not Zinc: its engagement is not ours to see
    assert "Their dialogue" not in html


def test_the_url_carries_the_filters_and_bad_values_are_ignored(client, world):
    _r, html = _get(client, world, "?theme=water&sort=-title")
    link = re.search(r'<a href="([^"]+)" data-sort="theme">', html).group(1)
    assert "theme=water" in link and "sort=theme" in link
    for query in ("?theme=nope", "?status=burning", "?mine=owner", "?sort=aum", "?overdue=x"):
        response, html = _get(client, world, query)
        assert response.status_code == 200, query
        assert "ignored" in html or "usual order" in html, query
        assert _total(html) == 5, query
