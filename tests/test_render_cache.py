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
