"""The render cache (engage.render_cache) for the lists, the initiative and company pages and
the API reads: kept apart per organisation, role, token scope and language, and never stale
after a write (the dashboard, the engagement page and the mechanism: test_render_cache.py)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from engage.companies.models import Company
from engage.organisations.models import OrgRole
from engage.render_cache import cache_of
from engage.tenancy import system_scope
from tests import factories as f
from tests.conftest import login_ids
from tests.engagements.conftest import HX
from tests.escalations.conftest import TODAY
from tests.test_render_cache import _page, _served_twice

# --- the lists, the initiative and company pages, the API reads ---------------------------------
#
# Organisations A and C each lead an engagement alone on one shared company (A has a second
# one there), each with an overdue milestone under review; A coordinates two initiatives,
# one that C has joined; A has a viewer and a Dutch-speaking member besides its member.

LISTS = ("/engagements", "/initiatives", "/companies", "/reviews")
API_READS = ("/api/v1/engagements", "/api/v1/engagements/{a_alone}/milestones")


@pytest.fixture
def shared(db_session):
    from engage.initiatives.models import InitiativeStatus
    from tests.api.conftest import _token

    with system_scope("test shared world", db_session):
        a, c = f.organisation("pages-a"), f.organisation("pages-c")
        a_user, c_user = f.user(a), f.user(c)
        a_viewer, a_dutch = f.user(a, role=OrgRole.VIEWER), f.user(a)
        a_dutch.locale = "nl"
        company = f.company("Shared Works plc")
        joined = f.initiative(a, status=InitiativeStatus.ACTIVE, title="Joined Initiative")
        f.member(joined, c)
        f.initiative(a, status=InitiativeStatus.ACTIVE, title="A Only Initiative")
        f.initiative(c, status=InitiativeStatus.ACTIVE, title="C Only Initiative")
        engagements = {}
        for org, title in ((a, "A Alone Engagement"), (a, "A Second Engagement"),
                           (c, "C Alone Engagement")):
            e = engagements[title] = f.engagement(company, org, title=title)
            f.review(e, f.milestone(e, due_on=TODAY - timedelta(days=3), title=f"{title} audit"))
        db_session.commit()
        ids = {"a": a.id, "c": c.id, "a_slug": a.slug, "c_slug": c.slug,
               "a_user": a_user.id, "c_user": c_user.id, "a_viewer": a_viewer.id,
               "a_dutch": a_dutch.id, "company": company.id, "joined": joined.id,
               "a_alone": engagements["A Alone Engagement"].id,
               "c_alone": engagements["C Alone Engagement"].id}
    with system_scope("test tokens", db_session):
        a_org, c_org = (db_session.get(type(a), ids[k]) for k in ("a", "c"))
        users = {k: db_session.get(type(a_user), ids[k]) for k in ("a_user", "c_user")}
        ids["tokens"] = {"a_read": _token(db_session, a_org, users["a_user"], "read", "a read"),
                         "a_write": _token(db_session, a_org, users["a_user"], "write", "a write"),
                         "c_read": _token(db_session, c_org, users["c_user"], "read", "c read")}
        db_session.commit()
    return ids


def _url(url: str, ids: dict) -> str:
    return url.format(**ids)


def _as(client, ids: dict, who: str) -> None:
    org = "c" if who.startswith("c") else "a"
    login_ids(client, ids[who], ids[org], ids[f"{org}_slug"])


def _api(client, url: str, token: str, status: int = 200) -> str:
    response = client.get(url, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def _api_twice(client, app, url: str, token: str) -> str:
    cache = cache_of(app)
    _api(client, url, token)
    hits = cache.hits
    body = _api(client, url, token)
    assert cache.hits == hits + 1, f"{url} was not served from the cache"
    return body


def _pages_kept(app) -> int:
    """Entries of pages, lists and API answers (not of a list's filter choices)."""
    return sum(1 for key in cache_of(app)._entries
               if key[0] not in ("companies:filters", "initiatives:themes"))


# What each page shows to A alone and to C alone.
ORG_MARKERS = {
    "/engagements": ("A Alone Engagement", "C Alone Engagement"),
    "/reviews": ("A Alone Engagement audit", "C Alone Engagement audit"),
    "/initiatives": ("A Only Initiative", "C Only Initiative"),
    "/companies": ("2 active", "1 active"),
    "/initiatives/{joined}": ("Edit initiative", None),  # A coordinates it, C has joined
    "/companies/{company}": ("A Alone Engagement", "C Alone Engagement"),
}


@pytest.mark.parametrize("url", list(ORG_MARKERS))
def test_two_organisations_never_see_each_others_list_or_page(client, app, shared, url):
    a_mark, c_mark = ORG_MARKERS[url]
    url = _url(url, shared)
    _as(client, shared, "a_user")
    a_page = _served_twice(client, app, url)
    _as(client, shared, "c_user")
    c_page = _served_twice(client, app, url)
    assert a_mark in a_page and a_mark not in c_page
    if c_mark:
        assert c_mark in c_page and c_mark not in a_page
    _as(client, shared, "a_user")
    assert a_mark in _page(client, url)


def test_two_organisations_never_get_each_others_api_answers(client, app, shared):
    tokens = shared["tokens"]
    a_list = _api_twice(client, app, "/api/v1/engagements", tokens["a_read"])
    c_list = _api_twice(client, app, "/api/v1/engagements", tokens["c_read"])
    assert "A Alone Engagement" in a_list and "C Alone Engagement" not in a_list
    assert "C Alone Engagement" in c_list and "A Alone Engagement" not in c_list
    milestones = _url(API_READS[1], shared)
    assert "A Alone Engagement audit" in _api_twice(client, app, milestones, tokens["a_read"])
    # C cannot see A's engagement: a 404, whatever A's answer in the cache.
    _api(client, milestones, tokens["c_read"], status=404)


# What a member sees and a viewer does not (None: the same content, kept apart all the same).
ROLE_MARKERS = {
    "/engagements": "New engagement", "/initiatives": "New initiative", "/companies": None,
    "/reviews": None, "/initiatives/{joined}": "Edit initiative",
    "/companies/{company}": "hx-post",  # the follow button
}


@pytest.mark.parametrize("url", list(ROLE_MARKERS))
def test_a_viewer_and_a_member_get_their_own_list_or_page(client, app, shared, url):
    marker = ROLE_MARKERS[url]
    url = _url(url, shared)
    _as(client, shared, "a_user")
    member_page = _served_twice(client, app, url)
    entries = _pages_kept(app)
    _as(client, shared, "a_viewer")
    viewer_page = _served_twice(client, app, url)
    assert _pages_kept(app) == entries + 1
    if marker:
        assert marker in member_page and marker not in viewer_page


def test_a_read_token_and_a_write_token_get_their_own_api_answers(client, app, shared):
    for url in API_READS:
        url = _url(url, shared)
        _api_twice(client, app, url, shared["tokens"]["a_read"])
        entries = _pages_kept(app)
        _api_twice(client, app, url, shared["tokens"]["a_write"])
        assert _pages_kept(app) == entries + 1


@pytest.mark.parametrize("url", list(ORG_MARKERS))
def test_two_languages_get_their_own_list_or_page(client, app, shared, url):
    template, url = url, _url(url, shared)
    _as(client, shared, "a_user")
    english = _served_twice(client, app, url)
    _as(client, shared, "a_dutch")
    dutch = _served_twice(client, app, url)
    # In the cached content, not only in the layout around it.
    marker = {"/initiatives/{joined}": "Initiatief bewerken",
              "/companies/{company}": "<dt>Land</dt>"}.get(template, ">Filteren<")
    assert marker in dutch and marker not in english


def test_a_list_s_rows_for_htmx_and_its_page_are_kept_apart(client, app, shared):
    _as(client, shared, "a_user")
    page = _served_twice(client, app, "/engagements")
    rows = client.get("/engagements", headers=HX)
    again = client.get("/engagements", headers=HX).get_data(as_text=True)
    assert "<html" in page and "<html" not in again and rows.get_data(as_text=True) == again
    assert "A Alone Engagement" in again
    # A value the list ignores is named on the page, never served to the clean list.
    assert "the filter was ignored" in _page(client, "/engagements?initiative=x")
    assert "the filter was ignored" not in _page(client, "/engagements")


# Writes, each changing what one of the pages shows.

def _rename_engagement(db_session, ids):
    from engage.engagements.models import Engagement

    db_session.execute(sa.update(Engagement).where(Engagement.id == ids["a_alone"])
                       .values(title="Renamed Engagement"))
    return "Renamed Engagement"


def _rename_initiative(db_session, ids):
    from engage.initiatives.models import Initiative

    db_session.get(Initiative, ids["joined"]).title = "Renamed Initiative"
    return "Renamed Initiative"


def _rename_company(db_session, ids):
    db_session.execute(sa.update(Company).where(Company.id == ids["company"])
                       .values(name="Renamed Works plc"))
    return "Renamed Works plc"


def _new_review(db_session, ids):
    from engage.engagements.models import Engagement

    e = db_session.get(Engagement, ids["a_alone"])
    f.review(e, f.milestone(e, due_on=TODAY - timedelta(days=1), title="Fresh audit"))
    return "Fresh audit"


def _new_member(db_session, ids):
    from engage.initiatives.models import Initiative

    newcomer = f.organisation("pages-newcomer")
    f.member(db_session.get(Initiative, ids["joined"]), newcomer)
    return newcomer.name


def _new_engagement(db_session, ids):
    from engage.organisations.models import Organisation

    f.engagement(db_session.get(Company, ids["company"]),
                 db_session.get(Organisation, ids["a"]), title="Third Engagement")
    return "Third Engagement"


def _new_milestone(db_session, ids):
    from engage.engagements.models import Engagement

    f.milestone(db_session.get(Engagement, ids["a_alone"]), title="Brand-new milestone")
    return "Brand-new milestone"


def _new_sector(db_session, ids):
    f.company("Newly Listed plc", sector="Deep-sea mining")
    return '<option value="Deep-sea mining"'


def _new_theme(db_session, ids):
    from engage.organisations.models import Organisation

    f.initiative(db_session.get(Organisation, ids["a"]), title="Themed", theme="cobalt sourcing")
    return '<option value="cobalt sourcing"'


STALE_CASES = [
    ("/companies", _new_sector), ("/initiatives", _new_theme),
    ("/engagements", _rename_engagement), ("/initiatives", _rename_initiative),
    ("/companies", _rename_company), ("/reviews", _new_review),
    ("/initiatives/{joined}", _new_member), ("/companies/{company}", _new_engagement),
    ("/api/v1/engagements", _rename_engagement),
    ("/api/v1/engagements/{a_alone}/milestones", _new_milestone),
]


@pytest.mark.parametrize("url, write", STALE_CASES)
def test_no_list_page_or_api_answer_is_stale_after_a_write(client, app, db_session, shared,
                                                            url, write):
    url = _url(url, shared)
    if url.startswith("/api/"):
        def read() -> str:
            return _api(client, url, shared["tokens"]["a_read"])
        _api_twice(client, app, url, shared["tokens"]["a_read"])
    else:
        _as(client, shared, "a_user")
        _served_twice(client, app, url)

        def read() -> str:
            return _page(client, url)
    before = read()
    with system_scope("test write", db_session):
        shown = write(db_session, shared)
        db_session.commit()
    assert shown not in before and shown in read()


def test_a_milestone_changed_through_the_api_shows_at_once_in_its_list(client, app, shared):
    url = _url(API_READS[1], shared)
    _api_twice(client, app, url, shared["tokens"]["a_write"])
    mid = re.search(r'"id": (\d+)', _api(client, url, shared["tokens"]["a_write"])).group(1)
    changed = client.patch(f"{url}/{mid}", json={"title": "Patched through the API"},
                           headers={"Authorization": f"Bearer {shared['tokens']['a_write']}"})
    assert changed.status_code == 200, changed.get_data(as_text=True)[:500]
    assert "Patched through the API" in _api(client, url, shared["tokens"]["a_write"])
