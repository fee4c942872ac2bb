"""The home page: each section with data and empty, what each organisation sees, and a
query count that does not grow with the data."""

from __future__ import annotations

import re

from engage.organisations.models import OrgRole
from engage.tenancy import system_scope
from tests import factories as f
from tests.conftest import login_as, login_ids
from tests.home.conftest import add_engagement_world


def _home(client, user, org, **params) -> str:
    login_as(client, user, org)
    response = client.get("/", query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _section(html: str, name: str) -> str:
    match = re.search(rf'<section [^>]*data-section="{name}">(.*?)</section>', html, re.DOTALL)
    assert match, f"no {name} section"
    return match.group(1)


def test_my_engagements_most_severe_first_with_stage_and_next_deadline(client, dash):
    html = _section(_home(client, dash.a_user, dash.a), "engagements")
    ids = [int(i) for i in re.findall(r'data-engagement="(\d+)"', html)]
    # Active ones by severity to people (100 before 8), the closed one last; C's is not ours.
    assert ids == [dash.severe.id, dash.mild.id, dash.closed.id]
    severe_row = html[html.index(f'data-engagement="{dash.severe.id}"'):]
    # Its open milestones are at 2, 0 (overdue, under review) and 0: the lowest open one.
    first = severe_row.split("</tr>")[0]
    assert 'data-stage="0"' in first and "Not started" in first
    assert 'data-overdue="2"' in first and "2 milestones overdue" in first
    assert 'data-open-reviews="1"' in first and "1 review open" in first
    closed_row = html[html.index(f'data-engagement="{dash.closed.id}"'):].split("</tr>")[0]
    assert 'data-outcome="closed_success"' in closed_row and "Closed: success" in closed_row
    assert "data-stage" not in closed_row and "overdue" not in closed_row


def test_my_engagements_paginate(client, dash, db_session, app):
    app.config["ENGAGE_PAGE_SIZE"] = 2
    try:
        first = _section(_home(client, dash.a_user, dash.a), "engagements")
        second = _section(_home(client, dash.a_user, dash.a, page=2), "engagements")
    finally:
        app.config["ENGAGE_PAGE_SIZE"] = 25
    assert len(re.findall(r"data-engagement=", first)) == 2 and 'rel="next"' in first
    assert re.findall(r'data-engagement="(\d+)"', second) == [str(dash.closed.id)]


def test_reviews_waiting_are_the_ones_my_organisation_decides(client, dash, db_session):
    html = _section(_home(client, dash.a_user, dash.a), "todo")
    reviews = re.findall(r'data-todo="review" data-todo-id="(\d+)"', html)
    assert len(reviews) == 1  # the open one; the decided one is not
    assert "Audit0" in html and "C milestone" not in html
    assert f'href="/reviews/{reviews[0]}"' in html and 'href="/reviews"' in html
    # B supports the engagement: it sees the review on the engagement page, not here.
    html_b = _section(_home(client, dash.b_user, dash.b), "todo")
    assert 'data-todo="review"' not in html_b
    # A viewer of A follows the reviews but is not told they wait for *their* decision.
    with system_scope("test", db_session):
        viewer_id = f.user(db_session.get(type(dash.a), dash.a.id), role=OrgRole.VIEWER).id
        db_session.commit()
    login_ids(client, viewer_id, dash.a.id, dash.a.slug)
    page = client.get("/").get_data(as_text=True)
    assert 'data-section="todo"' not in page and "your decision" not in page
    html_v = _section(page, "reviews")
    assert "Reviews waiting for your organisation’s decision" in page
    assert len(re.findall(r"data-review=", html_v)) == 1 and f'href="/reviews/{reviews[0]}"' in html_v


def test_deadlines_in_the_next_30_days(client, dash):
    html = _section(_home(client, dash.a_user, dash.a), "deadlines")
    kinds = re.findall(r'data-deadline="(\w+)"', html)
    # Milestone in 5 days, AGM in 10, the task in 7, the letter step's wait ends in 10.
    assert sorted(kinds) == ["agm", "milestone", "step_wait", "task"]
    assert "Roadmap0" in html and "Request a meeting" in html
    assert "Letter to the board" in html
    # The mild engagement's milestone is 40 days away; C's company AGM is not ours.
    assert kinds[0] == "milestone"
    assert html.count("Annual general meeting") == 1


def test_recent_activity_is_the_coalition_s_newest_first(client, dash):
    html = _section(_home(client, dash.a_user, dash.a), "activity")
    kinds = re.findall(r'data-activity="(\w+)"', html)
    assert sorted(kinds) == ["decision", "dialogue", "letter", "signature"]
    assert "logged a meeting" in html and "co-signed" in html
    times = re.findall(r'<time datetime="([^"]+)"', html)
    assert times == sorted(times, reverse=True)


def test_charts_are_accessible_inline_svg_with_a_table(client, dash):
    html = _section(_home(client, dash.a_user, dash.a), "charts")
    assert html.count('<svg role="img"') == 3
    for chart in ("chart-stages", "chart-steps", "chart-outcomes"):
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in html
        assert f'<title id="{chart}-title">' in html
    assert "<table" in html and "Show the numbers" in html
    stages = html[html.index('data-chart="chart-stages"'):html.index('data-chart="chart-steps"')]
    # Two active engagements: one at stage 0 (its lowest open milestone), one at stage 1.
    rows = dict(re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td>', stages))
    assert rows == {"Not started": "1", "Concern raised": "1", "Concern acknowledged": "0",
                    "Credible plan": "0", "Plan implemented, outcome verified": "0"}
    steps = html[html.index('data-chart="chart-steps"'):html.index('data-chart="chart-outcomes"')]
    assert re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td>', steps) == [
        ("Letter to the board", "1")]
    outcomes = html[html.index('data-chart="chart-outcomes"'):]
    rows = re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td><td>(\d+)</td>', outcomes)
    assert len(rows) == 8 and sum(int(s) for _, s, _ in rows) == 1


def test_every_section_says_what_to_do_when_empty(client, db_session):
    with system_scope("test", db_session):
        org = f.organisation("dash-empty")
        user = f.user(org)
        db_session.commit()
        login_as(client, user, org)
    html = client.get("/").get_data(as_text=True)
    assert "takes part in no engagement yet" in html and 'href="/engagements"' in html
    assert "Nothing waits for your organisation" in html
    assert "Nothing falls due in the next 30 days" in html
    assert "No coalition activity yet" in html
    assert "No active engagement yet" in html
    assert "No escalation step carried out yet" in html
    assert "No engagement closed yet" in html
    assert "<svg" not in html
    assert 'data-count="organisations"' in html  # the platform totals stay, small


def test_another_organisation_sees_none_of_a_s_private_entries_or_reviews(client, dash):
    html_a = _home(client, dash.a_user, dash.a)
    assert "B private" not in html_a  # B's private dialogue: not even counted
    assert "C meeting" not in html_a and "Elsewhere" not in html_a
    html_b = _home(client, dash.b_user, dash.b)
    mine = _section(html_b, "engagements")
    assert re.findall(r'data-engagement="(\d+)"', mine) == [str(dash.severe.id)]
    assert "Supporter" in mine
    assert "Mild" not in html_b and "Elsewhere" not in html_b and "C meeting" not in html_b
    # A private entry is not coalition activity, even for its author.
    assert "B private" not in html_b
    html_c = _home(client, dash.c_user, dash.c)
    assert "Severe" not in html_c and "Roadmap" not in html_c and "coalition meeting" not in html_c
    assert "C milestone" in _section(html_c, "todo")


def test_query_count_does_not_grow_with_data(client, dash, db_session, count_queries):
    login_as(client, dash.a_user, dash.a)
    db_session.commit()  # both requests then start a transaction (PostgreSQL: set_config)
    with count_queries() as small:
        assert client.get("/").status_code == 200
    with system_scope("test", db_session):
        add_engagement_world(db_session, dash.a, dash.b, dash.c, n=8, tag="more")
        db_session.commit()
    with count_queries() as large:
        html = client.get("/").get_data(as_text=True)
    # The nearest ten of what waits for A: 9 reviews, 9 letters to co-sign and 9 tasks.
    assert html.count("data-todo=") == 10 and "10 of 27 shown" in html
    assert small.count == large.count, large.statements


def test_platform_totals_are_kept_for_the_configured_time(app, db_session, count_queries):
    from datetime import date

    from engage.home import service
    from tests import factories

    app.config["ENGAGE_TOTALS_CACHE_SECONDS"] = 300
    service._cache.clear()
    try:
        with app.test_request_context():
            first = service.platform_totals(date.today())
        with system_scope("test"):  # a write, outside the page's (read-only) request
            factories.organisation()
            db_session.flush()
        with app.test_request_context():
            with count_queries() as q:
                kept = service.platform_totals(date.today())
            app.config["ENGAGE_TOTALS_CACHE_SECONDS"] = 0
            fresh = service.platform_totals(date.today())
    finally:
        app.config["ENGAGE_TOTALS_CACHE_SECONDS"] = 0
        service._cache.clear()
    assert q.count == 0 and kept == first
    assert fresh.organisations == first.organisations + 1


def test_a_viewer_is_not_told_the_reviews_wait_for_their_decision(client, dash, db_session):
    from engage.organisations.models import OrgRole

    with system_scope("test", db_session):
        viewer = f.user(dash.a, role=OrgRole.VIEWER)
        db_session.commit()
        viewer_id = viewer.id
    login_ids(client, viewer_id, dash.a.id, dash.a.slug)
    html = _section(client.get("/").get_data(as_text=True), "reviews")
    assert "waiting for your decision" not in html
    assert "your organisation’s decision" in html and "data-review=" in html
    assert 'data-todo="review"' in _section(_home(client, dash.a_user, dash.a), "todo")
