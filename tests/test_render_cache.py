"""The render cache (engage.render_cache): fragments are served again, never to another
organisation, user, role or language, never after a write that changes them, and the
per-session parts (CSRF tokens, flash messages, the notification count) stay live."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import g

from engage import render_cache
from engage.companies.models import Company
from engage.engagements.models import (
    EngagementParticipant,
    LetterStatus,
    ParticipantRole,
)
from engage.escalations import service as engine
from engage.notifications.models import Notification, NotificationKind
from engage.organisations.models import OrgRole
from engage.render_cache import cache_of, writes_cached_data
from engage.tenancy import system_scope
from tests import factories as f
from tests.conftest import login_as, login_ids
from tests.engagements.conftest import HX, act_as, post
from tests.escalations.conftest import NOW, TODAY, build_world
from tests.home.conftest import build_dash


@pytest.fixture
def world(db_session):
    built = build_world(db_session)
    db_session.commit()
    return built


@pytest.fixture
def dash(db_session):
    return build_dash(db_session)


def _generation(db_session) -> int:
    return render_cache.generation(db_session)


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _served_twice(client, app, url: str) -> str:
    """The page drawn, then served from the cache (asserted): the second answer."""
    cache = cache_of(app)
    _page(client, url)
    hits = cache.hits
    html = _page(client, url)
    assert cache.hits > hits, f"{url} was not served from the cache"
    return html


# --- what counts as a write -------------------------------------------------------------------

@pytest.mark.parametrize("statement, writes", [
    ("SELECT engagement.id FROM engagement", False),
    ("  select 1", False),
    ("SAVEPOINT sa_savepoint_1", False),
    ("RELEASE SAVEPOINT sa_savepoint_1", False),
    ("INSERT INTO dialogue_entry (engagement_id) VALUES (%(e)s)", True),
    ('UPDATE "milestone" SET met_on=%(m)s WHERE milestone.id = %(id)s', True),
    ("DELETE FROM engagement_participant WHERE id = ?", True),
    ("WITH moved AS (UPDATE company SET name = 'x' RETURNING id) SELECT * FROM moved", True),
    ("UPDATE company SET name = data.name FROM unnest(%(a)s) AS data(name)", True),
    ("TRUNCATE engagement", True),
    ("INSERT INTO audit_event (action) VALUES (?)", False),
    ("UPDATE user_session SET seen_at = ? WHERE id = ?", False),
    ("INSERT INTO sign_in_failure (email) VALUES (?)", False),
    ("UPDATE api_token SET last_used_at = ? WHERE id = ?", False),
    ("UPDATE render_generation SET value = value + 1 WHERE id = 1", False),
])
def test_which_statements_change_what_fragments_show(statement, writes):
    assert writes_cached_data(statement) is writes


def test_a_write_raises_the_generation_at_commit_and_reading_pages_does_not(
        client, app, db_session, dash):
    before = _generation(db_session)
    login_as(client, dash.a_user, dash.a)  # a session row and its audit: no fragment's data
    _page(client, "/")
    _page(client, f"/engagements/{dash.severe.id}")
    _page(client, "/")
    assert _generation(db_session) == before
    with system_scope("test"):
        db_session.get(Company, dash.severe.company_id).name = "Renamed Ltd"
        db_session.flush()
        assert _generation(db_session) == before  # not before the commit
        db_session.commit()
    assert _generation(db_session) == before + 1


# --- isolation --------------------------------------------------------------------------------

def test_two_organisations_never_see_each_others_dashboard(client, app, dash):
    login_as(client, dash.a_user, dash.a)
    a_page = _served_twice(client, app, "/")
    login_as(client, dash.c_user, dash.c)
    c_page = _served_twice(client, app, "/")
    assert f"Engagements of {dash.a.name}" in a_page and "Mild0" in a_page
    assert f"Engagements of {dash.c.name}" in c_page and "Elsewhere0" in c_page
    assert "Mild0" not in c_page and "Elsewhere0" not in a_page
    assert len(cache_of(app)) == 2
    login_as(client, dash.a_user, dash.a)
    assert "Mild0" in _page(client, "/") and "Elsewhere0" not in _page(client, "/")


def test_two_organisations_never_see_each_others_engagement_page(client, app, dash):
    """B supports A's engagement: both see its page, each with its own role and forms."""
    url = f"/engagements/{dash.severe.id}"
    login_as(client, dash.a_user, dash.a)
    a_page = _served_twice(client, app, url)
    login_as(client, dash.b_user, dash.b)
    b_page = _served_twice(client, app, url)
    assert "B private 0" not in a_page and "B private 0" in b_page  # B's private dialogue
    assert a_page != b_page


def test_a_viewer_and_a_member_of_one_organisation_get_their_own_dashboard(
        client, app, db_session, dash):
    with system_scope("test", db_session):
        viewer_id = f.user(db_session.get(type(dash.a), dash.a.id), role=OrgRole.VIEWER).id
        db_session.commit()
    login_as(client, dash.a_user, dash.a)
    member_page = _served_twice(client, app, "/")
    login_ids(client, viewer_id, dash.a.id, dash.a.slug)
    viewer_page = _served_twice(client, app, "/")
    assert 'data-section="todo"' in member_page and 'data-section="todo"' not in viewer_page
    assert 'data-section="reviews"' in viewer_page


def test_two_languages_in_one_organisation(client, app, db_session, dash):
    with system_scope("test", db_session):
        dutch = f.user(db_session.get(type(dash.a), dash.a.id))
        dutch.locale = "nl"
        db_session.commit()
        dutch_id = dutch.id
    login_as(client, dash.a_user, dash.a)
    english = _served_twice(client, app, "/")
    login_ids(client, dutch_id, dash.a.id, dash.a.slug)
    dutch_page = _served_twice(client, app, "/")
    assert "My engagements" in english and "Mijn engagements" not in english
    assert "Mijn engagements" in dutch_page and "My engagements" not in dutch_page


def test_each_session_gets_its_own_csrf_token_in_a_cached_page(client, app, db_session, world):
    url = f"/engagements/{world.engagement.id}"

    def tokens(html: str) -> tuple[str, set[str]]:
        meta = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
        return meta, set(re.findall(r'name="csrf_token" value="([^"]+)"', html))

    login_as(client, world.lead_user, world.lead)
    first = _page(client, url)
    meta_1, forms_1 = tokens(first)
    # The test's app context outlives its requests, and Flask-WTF keeps the token it made
    # on ``g``: forget it, as a new request's context would in a server.
    g.pop("csrf_token", None)
    other = app.test_client()
    login_as(other, world.lead_user, world.lead)  # the same person, another session
    second = _served_twice(other, app, url)
    meta_2, forms_2 = tokens(second)
    assert len(forms_1) == 1 and forms_1 == {meta_1}  # every form of the page: the page's token
    assert forms_2 == {meta_2} and meta_2 != meta_1
    assert "engage-csrf-" not in first + second
    # The cached page's token is the session's own: a form posted with it is accepted.
    logged = post(other, f"/engagements/{world.engagement.id}/dialogue", meta_2, htmx=True,
                  kind="meeting", occurred_on=(TODAY - timedelta(days=1)).isoformat(),
                  participants="Board", summary="Token from a cached page",
                  outcome="", visibility="coalition")
    assert logged.status_code == 200, logged.get_data(as_text=True)[:3000]


def test_the_notification_count_is_not_cached(client, app, db_session, world):
    url = f"/engagements/{world.engagement.id}"
    login_as(client, world.lead_user, world.lead)
    assert "data-unread" not in _served_twice(client, app, url)
    with system_scope("test"):
        db_session.add(Notification(user_id=world.lead_user.id, organisation_id=world.lead.id,
                                    kind=NotificationKind.REVIEW_OPENED,
                                    subject="A review opened", link=url,
                                    dedupe_key="render-cache-test"))
        db_session.commit()
    assert 'data-unread="1"' in _page(client, url)


def test_the_notification_count_is_read_with_the_principal(client, app, db_session, world,
                                                           count_queries):
    """One statement reads the principal and counts the user's unread notifications (of
    the signed-in organisation only); on PostgreSQL as a plain role, row-level security
    applies to that count, so the organisation is handed over before it."""
    url = f"/engagements/{world.engagement.id}"
    with system_scope("test"):
        for org_id, key in ((world.lead.id, "mine"), (world.supporter.id, "elsewhere")):
            db_session.add(Notification(user_id=world.lead_user.id, organisation_id=org_id,
                                        kind=NotificationKind.REVIEW_OPENED, subject="Open",
                                        link=url, dedupe_key=f"count-{key}"))
        db_session.commit()
    login_as(client, world.lead_user, world.lead)
    _page(client, url)
    with count_queries() as q:
        page = _page(client, url)
    assert 'data-unread="1"' in page
    assert not [s for s in q.statements if "FROM notification" in s
                and "user_account" not in s], q.statements
    if db_session.bind.dialect.name != "postgresql":
        return
    conn = db_session.connection()
    conn.exec_driver_sql("CREATE ROLE engage_count_probe NOLOGIN")
    conn.exec_driver_sql("GRANT USAGE ON SCHEMA public TO engage_count_probe")
    conn.exec_driver_sql("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public "
                         "TO engage_count_probe")
    conn.exec_driver_sql("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO engage_count_probe")
    conn.exec_driver_sql("SET LOCAL ROLE engage_count_probe")
    # The requests share the test's transaction: forget the organisation an earlier one
    # handed over, so only this request's order counts.
    conn.exec_driver_sql("SELECT set_config('engage.org_id', '', true)")
    assert 'data-unread="1"' in _page(client, url)


def test_the_switch_turns_the_cache_off(client, app, dash):
    app.config["ENGAGE_RENDER_CACHE"] = False
    try:
        login_as(client, dash.a_user, dash.a)
        hits = cache_of(app).hits
        for _ in range(2):
            assert "Mild0" in _page(client, "/")
            _page(client, f"/engagements/{dash.severe.id}")
        assert len(cache_of(app)) == 0 and cache_of(app).hits == hits
    finally:
        app.config["ENGAGE_RENDER_CACHE"] = True


# --- no stale page after a write ----------------------------------------------------------------

def _warm(client, app, *urls: str) -> None:
    for url in urls:
        _served_twice(client, app, url)


def test_a_dialogue_entry_shows_at_once(client, app, db_session, world):
    url = f"/engagements/{world.engagement.id}"
    token = act_as(client, world.lead_user, world.lead)
    _warm(client, app, "/", url)
    logged = post(client, f"{url}/dialogue", token, kind="meeting",
                  occurred_on=(TODAY - timedelta(days=1)).isoformat(), participants="Board",
                  summary="Roadmap promised for March", outcome="", visibility="coalition")
    assert logged.status_code == 303
    page = _page(client, url)
    assert "Roadmap promised for March" in page
    # The flash message is the session's, drawn around the cached content: once.
    assert 'class="flash' in page and 'class="flash' not in _page(client, url)
    assert 'data-activity="dialogue"' in _page(client, "/")
    # And to the other participant, whose page was cached before too.
    other = app.test_client()
    login_as(other, world.supporter_user, world.supporter)
    assert "Roadmap promised for March" in _page(other, url)


def test_a_milestone_edited_and_met_shows_at_once(client, app, db_session, world):
    url = f"/engagements/{world.engagement.id}"
    mid = world.milestone.id
    token = act_as(client, world.lead_user, world.lead)
    _warm(client, app, url)
    saved = post(client, f"/engagements/milestones/{mid}", token, title="Wage map published",
                 due_on=world.milestone.due_on.isoformat(), stage="3",
                 met_on=TODAY.isoformat(), evidence="On the website", outcome_for_people="")
    assert saved.status_code == 303
    page = _page(client, url)
    assert "Wage map published" in page and 'data-stage="3"' in page


def test_a_review_opened_by_the_sweep_and_its_decision_show_at_once(
        client, app, db_session, world):
    url = f"/engagements/{world.engagement.id}"
    token = act_as(client, world.lead_user, world.lead)
    _warm(client, app, "/", url)
    assert 'data-todo="review"' not in _page(client, "/")
    engine.open_overdue_reviews(NOW)
    home = _page(client, "/")
    assert 'data-todo="review"' in home
    review_id = int(re.search(r'data-review="(\d+)"', _page(client, url)).group(1))
    _warm(client, app, "/", url)
    decided = client.post(f"/reviews/{review_id}/decision", data={
        "kind": "escalate", "ladder_step_id": str(world.steps[1].id),
        "reason": "No roadmap after the meeting",
        "skip_reason": "A letter was sent outside the platform already", "csrf_token": token})
    assert decided.status_code == 303
    assert 'data-todo="review"' not in _page(client, "/")
    assert "No roadmap after the meeting" in _page(client, url)


def test_a_signature_shows_at_once(client, app, db_session, world):
    url = f"/engagements/{world.engagement.id}"
    with system_scope("test"):
        letter = f.letter(db_session.get(type(world.engagement), world.engagement.id))
        letter.status = LetterStatus.OPEN_FOR_SIGNING
        db_session.commit()
        letter_id = letter.id
    token = act_as(client, world.supporter_user, world.supporter)
    _warm(client, app, url)
    before = _page(client, url)
    assert post(client, f"/engagements/letters/{letter_id}/sign", token).status_code in (200, 303)
    after = _page(client, url)
    signatory = f'data-signatory="{world.supporter.id}"'
    assert signatory not in before and signatory in after


def test_a_participant_added_and_removed_shows_at_once(client, app, db_session, world):
    url = f"/engagements/{world.engagement.id}"
    listed = f'data-participant="{world.outsider.id}"'
    login_as(client, world.lead_user, world.lead)
    _warm(client, app, url)
    assert listed not in _page(client, url)
    with system_scope("test"):
        db_session.add(EngagementParticipant(engagement_id=world.engagement.id,
                                             organisation_id=world.outsider.id,
                                             role=ParticipantRole.SUPPORTER))
        db_session.commit()
    assert listed in _page(client, url)
    _warm(client, app, url)
    with system_scope("test"):
        db_session.execute(sa.delete(EngagementParticipant).where(
            EngagementParticipant.organisation_id == world.outsider.id))
        db_session.commit()
    assert listed not in _page(client, url)


def test_an_initiative_membership_change_shows_at_once(client, app, db_session):
    with system_scope("test"):
        coordinator, newcomer = f.organisation(), f.organisation()
        coordinator_user, newcomer_user = f.user(coordinator), f.user(newcomer)
        init = f.initiative(coordinator)
        eng = f.engagement(f.company(), coordinator, init, title="Cobalt sourcing")
        db_session.commit()
        ids = (init.id, eng.id, newcomer.id, newcomer.slug, newcomer_user.id)
    init_id, eng_id, newcomer_id, newcomer_slug, newcomer_user_id = ids
    login_ids(client, newcomer_user_id, newcomer_id, newcomer_slug)
    assert client.get(f"/engagements/{eng_id}").status_code == 404
    with system_scope("test"):
        f.member(db_session.get(type(init), init_id), db_session.get(type(coordinator), newcomer_id))
        db_session.commit()
    assert "Cobalt sourcing" in _page(client, f"/engagements/{eng_id}")


def test_a_company_renamed_by_a_bulk_update_shows_at_once(client, app, db_session, dash):
    login_as(client, dash.a_user, dash.a)
    _warm(client, app, "/", f"/engagements/{dash.severe.id}")
    with system_scope("test"):
        db_session.execute(sa.update(Company).where(Company.id == dash.severe.company_id)
                           .values(name="Bulk Renamed NV"))
        db_session.commit()
    assert "Bulk Renamed NV" in _page(client, "/")
    assert "Bulk Renamed NV" in _page(client, f"/engagements/{dash.severe.id}")


def test_a_write_through_the_connection_raises_the_generation_too(app, db_session, dash):
    """Core statements on the session's connection (no ORM event) count as writes."""
    before = _generation(db_session)
    with system_scope("test"):
        db_session.connection().execute(
            sa.update(Company.__table__).where(Company.__table__.c.id == dash.severe.company_id)
            .values(name="Core Renamed"))
        db_session.commit()
    assert _generation(db_session) == before + 1


def test_an_uncommitted_write_is_read_fresh_and_not_kept(client, app, db_session, dash):
    """A transaction that has written reads its own rows: it neither uses nor fills the
    cache (in tests the request shares the test's connection, as such a transaction would)."""
    login_as(client, dash.a_user, dash.a)
    _warm(client, app, "/")
    with system_scope("test"):
        db_session.get(Company, dash.severe.company_id).name = "Not Yet Committed"
        db_session.flush()
    entries = len(cache_of(app))
    assert "Not Yet Committed" in _page(client, "/")
    assert len(cache_of(app)) == entries


def test_the_htmx_timeline_is_not_the_cached_page(client, app, db_session, world):
    login_as(client, world.lead_user, world.lead)
    url = f"/engagements/{world.engagement.id}"
    _warm(client, app, url)
    fragment = client.get(f"{url}/timeline", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and "Met the head of sourcing" in fragment


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
