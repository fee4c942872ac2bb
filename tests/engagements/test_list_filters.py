"""/engagements: search, filters, sortable columns, the count and the overdue flag, all in
the query string; names ordered and found as people read them (Altria before ATLANTIA,
Électricité among the E's), on SQLite and PostgreSQL alike; another organisation's private
engagement never shows, whatever the filter."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta, timezone

import pytest

from engage.engagements.models import EngagementParticipant, EngagementStatus, ParticipantRole
from engage.escalations.models import StepKind
from engage.organisations.models import OrgRole
from engage.tenancy import system_scope
from tests import factories as f
from tests.conftest import login_ids

NOW = datetime.combine(f.TODAY, time(12), tzinfo=timezone.utc)


@pytest.fixture
def world(db_session, frozen_clock):
    frozen_clock(NOW)
    with system_scope("test", db_session):
        org, partner, other = f.organisation(), f.organisation(), f.organisation()
        user = f.user(org, role=OrgRole.ADMIN)
        first, second = f.initiative(org, title="Living wage"), f.initiative(org, title="Cobalt")
        hidden_initiative = f.initiative(other, title="Hidden coalition")
        ladder = f.ladder(second, kinds=(StepKind.LETTER_TO_BOARD, StepKind.PUBLIC_STATEMENT))
        past, soon = f.TODAY - timedelta(days=3), f.TODAY + timedelta(days=30)

        altria = f.engagement(f.company("Altria"), org, initiative_=first, title="Tobacco farms")
        f.milestone(altria, due_on=past)
        atlantia = f.engagement(f.company("ATLANTIA"), org, initiative_=first,
                                title="Road safety", severity_scale=5, severity_scope=5,
                                severity_irremediability=5)
        f.milestone(atlantia, due_on=soon)
        edf = f.engagement(f.company("Électricité de France"), org, title="Éoliennes",
                           status=EngagementStatus.CLOSED_SUCCESS,
                           closed_on=f.TODAY - timedelta(days=2))
        f.milestone(edf, due_on=past)  # closed: never overdue
        aero = f.engagement(f.company("Ærø Shipping"), partner, initiative_=second,
                            title="Crew welfare", current_step_id=ladder.steps[0].id)
        db_session.add(EngagementParticipant(engagement_id=aero.id, organisation_id=org.id,
                                             role=ParticipantRole.SUPPORTER))
        f.milestone(aero, due_on=past)
        # Another organisation's own engagement: overdue, in its own initiative.
        secret = f.engagement(f.company("Zeta Mining"), other, initiative_=hidden_initiative,
                              title="Zeta secret")
        f.milestone(secret, due_on=past)
        ids = {"user": user.id, "org": org.id, "slug": org.slug, "first": first.id,
               "second": second.id, "hidden_initiative": hidden_initiative.id,
               "altria": altria.id, "atlantia": atlantia.id, "edf": edf.id, "aero": aero.id,
               "secret": secret.id}
        db_session.commit()
    return ids


def _get(client, world, query: str = "", **headers):
    login_ids(client, world["user"], world["org"], world["slug"])
    response = client.get("/engagements" + query, headers=headers)
    return response, response.get_data(as_text=True)


def _rows(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-engagement="(\d+)"', html)]


def _names(world, html: str) -> list[str]:
    by_id = {v: k for k, v in world.items() if isinstance(v, int)}
    return [by_id[i] for i in _rows(html)]


def _total(html: str) -> int:
    return int(re.search(r'data-total="(\d+)"', html).group(1))


def test_the_usual_order_is_active_first_most_severe_first(client, world):
    response, html = _get(client, world)
    assert response.status_code == 200
    assert _names(world, html) == ["atlantia", "altria", "aero", "edf"]
    assert _total(html) == 4


def test_company_names_sort_as_people_read_them_both_ways(client, world):
    _r, html = _get(client, world, "?sort=company")
    # ae(rø), altria, atlantia, electricite: case and accents do not decide the order.
    assert _names(world, html) == ["aero", "altria", "atlantia", "edf"]
    assert 'aria-sort="ascending"' in html
    _r, html = _get(client, world, "?sort=-company")
    assert _names(world, html) == ["edf", "atlantia", "altria", "aero"]
    assert 'aria-sort="descending"' in html


def test_titles_sort_without_regard_to_accents(client, world):
    _r, html = _get(client, world, "?sort=title")
    # Crew, Éoliennes, Road, Tobacco: É sorts with E.
    assert _names(world, html) == ["aero", "edf", "atlantia", "altria"]


def test_severity_and_deadline_sort_both_ways(client, world):
    _r, html = _get(client, world, "?sort=-severity")
    assert _names(world, html)[0] == "atlantia"
    _r, html = _get(client, world, "?sort=severity")
    assert _names(world, html)[-1] == "atlantia"
    _r, html = _get(client, world, "?sort=next_due&status=active")
    assert _names(world, html) == ["altria", "aero", "atlantia"]
    _r, html = _get(client, world, "?sort=-next_due&status=active")
    assert _names(world, html) == ["atlantia", "aero", "altria"]


@pytest.mark.parametrize("q, expected", [
    ("electricite", ["edf"]), ("ÉLECTRICITÉ", ["edf"]), ("aero", ["aero"]), ("ÆRØ", ["aero"]),
    ("eoliennes", ["edf"]), ("atlantia", ["atlantia"]), ("living wage", ["atlantia", "altria", "aero", "edf"]),
    ("zeta", []), ("100%", []),
])
def test_search_ignores_case_and_accents(client, world, q, expected):
    from urllib.parse import quote

    _r, html = _get(client, world, "?q=" + quote(q))
    assert _names(world, html) == expected
    assert _total(html) == len(expected)


def test_each_filter(client, world):
    cases = {
        f"?initiative={world['first']}": ["atlantia", "altria"],
        "?status=closed_success": ["edf"],
        "?status=active": ["atlantia", "altria", "aero"],
        "?step=letter_to_board": ["aero"],
        "?step=public_statement": [],
        "?role=supporter": ["aero"],
        "?role=lead": ["atlantia", "altria", "edf"],
        "?severity=100": ["atlantia"],
        "?overdue=1": ["altria", "aero"],
        f"?overdue=1&initiative={world['first']}": ["altria"],
    }
    for query, expected in cases.items():
        _r, html = _get(client, world, query)
        assert _names(world, html) == expected, query
        assert _total(html) == len(expected), query


def test_overdue_is_flagged_on_its_row_and_never_on_a_closed_one(client, world):
    _r, html = _get(client, world)
    flagged = [int(i) for i in re.findall(r'<tr data-engagement="(\d+)" class="is-overdue"', html)]
    assert sorted(flagged) == sorted([world["altria"], world["aero"]])


def test_one_overdue_engagement_of_an_initiative_and_its_count(client, world):
    _r, html = _get(client, world, f"?overdue=1&initiative={world['first']}")
    assert _rows(html) == [world["altria"]]
    assert "1 engagement" in html and "data-total=\"1\"" in html


def test_the_url_carries_the_filters_everywhere(client, world):
    _r, html = _get(client, world, f"?overdue=1&initiative={world['first']}&sort=-company")
    # The form shows them chosen …
    assert re.search(rf'<option value="{world["first"]}" selected>', html)
    assert re.search(r'id="f-overdue" name="overdue" type="checkbox" value="1" checked', html)
    assert '<input type="hidden" name="sort" value="-company">' in html
    # … and the column headers keep them (reversing the order shown).
    link = re.search(r'<a href="([^"]+)" data-sort="company">', html).group(1)
    assert f"initiative={world['first']}" in link and "overdue=1" in link
    assert "sort=company" in link.replace("&amp;", "&")
    other = re.search(r'<a href="([^"]+)" data-sort="title">', html).group(1)
    assert "sort=title" in other and "overdue=1" in other


def test_the_pager_keeps_the_filters(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "ENGAGE_PAGE_SIZE", 1)
    _r, html = _get(client, world, "?overdue=1&sort=company")
    assert _names(world, html) == ["aero"]
    nxt = re.search(r'<a href="([^"]+)" rel="next">', html).group(1).replace("&amp;", "&")
    assert "overdue=1" in nxt and "sort=company" in nxt and "page=2" in nxt
    _r, html = _get(client, world, "?" + nxt.split("?", 1)[1])
    assert _names(world, html) == ["altria"]


@pytest.mark.parametrize("query, message", [
    ("?status=bogus", "is not a choice of"),
    ("?initiative=abc", "must be a whole number"),
    ("?initiative=99999999999999999999", "must be a whole number"),
    ("?severity=0", "must be a whole number"),
    ("?role=owner", "is not a choice of"),
    ("?step=%27%3B--", "is not a choice of"),
    ("?overdue=yes%00", None),
    ("?sort=password", "cannot be sorted by"),
    ("?sort=-", "cannot be sorted by"),
    ("?sort=-priority", "cannot be sorted by"),
])
def test_bad_values_are_ignored_with_a_message_never_a_500(client, world, query, message):
    response, html = _get(client, world, query)
    if message is None:
        assert response.status_code == 400  # a NUL is refused outright
        return
    assert response.status_code == 200
    assert message in html
    assert _total(html) == 4  # the filter is ignored, not applied


def test_a_bad_page_is_a_400(client, world):
    response, _html = _get(client, world, "?overdue=1&page=x")
    assert response.status_code == 400


def test_filters_never_reveal_another_organisations_engagement(client, world):
    for query in ("?q=zeta", "?q=secret", f"?initiative={world['hidden_initiative']}",
                  "?overdue=1", "?sort=-company", "?status=active&sort=title"):
        _r, html = _get(client, world, query)
        assert world["secret"] not in _rows(html), query
        assert "Zeta" not in html, query
    _r, html = _get(client, world, f"?initiative={world['hidden_initiative']}")
    assert _total(html) == 0
    assert "Hidden coalition" not in html


def test_htmx_gets_the_list_alone_and_history_gets_the_page(client, world):
    response, html = _get(client, world, "?overdue=1", **{"HX-Request": "true"})
    assert html.lstrip().startswith("{#") is False and "<html" not in html
    assert 'id="engagement-list"' in html and _names(world, html) == ["altria", "aero"]
    assert "HX-Request" in response.headers.get("Vary", "")
    _r, html = _get(client, world, "?overdue=1", **{"HX-Request": "true",
                                                     "HX-History-Restore-Request": "true"})
    assert "<html" in html


def test_a_form_with_empty_fields_lands_on_the_tidy_url(client, world):
    response, _html = _get(client, world, f"?q=&initiative={world['first']}&status=&overdue=1")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/engagements?initiative={world['first']}&overdue=1")
    response, _html = _get(client, world, "?q=&overdue=1", **{"HX-Request": "true"})
    assert response.status_code == 200
    assert response.headers["HX-Push-Url"] == "/engagements?overdue=1"
    # An ignored value stays in the URL, so its message shows.
    response, html = _get(client, world, "?q=&status=bogus")
    assert response.status_code == 200 and "is not a choice of" in html


def test_the_same_list_asked_for_again_replaces_its_history_entry(client, world):
    """A ticked box applies the filter at once; pressing "Filter" after it asks for the same
    list. A second history entry with the same URL would make Back seem to do nothing."""
    shown = "http://localhost/engagements?overdue=1"
    response, _html = _get(client, world, "?q=&overdue=1",
                           **{"HX-Request": "true", "HX-Current-URL": shown})
    assert response.headers["HX-Replace-Url"] == "/engagements?overdue=1"
    assert "HX-Push-Url" not in response.headers
    response, _html = _get(client, world, "?overdue=1&sort=company",
                           **{"HX-Request": "true", "HX-Current-URL": shown})
    assert response.headers["HX-Push-Url"] == "/engagements?overdue=1&sort=company"
    assert "HX-Replace-Url" not in response.headers
