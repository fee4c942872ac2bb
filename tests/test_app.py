"""The home page and the health check."""

from __future__ import annotations

import re

import pytest

from engage.initiatives.models import InitiativeStatus
from engage.tenancy import system_scope
from tests import factories as f
from tests.conftest import login_as


@pytest.fixture
def client(client, db_session):
    """Signed in as a member of an organisation of its own."""
    with system_scope("test", db_session):
        org = f.organisation("home-viewer")
        user = f.user(org)
        db_session.commit()
        login_as(client, user, org)
    return client


def _count(html: str, name: str) -> int:
    match = re.search(rf'data-count="{name}">(\d+)<', html)
    assert match, f"no {name} count on the page"
    return int(match.group(1))


def _add_initiative_with_engagements(db_session, n: int) -> None:
    with system_scope("test", db_session):
        coordinator = f.organisation()
        for _ in range(n):
            init = f.initiative(coordinator, status=InitiativeStatus.ACTIVE)
            supporter = f.organisation()
            f.member(init, supporter)
            e = f.engagement(f.company(), coordinator, initiative_=init, supporters=(supporter,))
            f.milestone(e)
        db_session.commit()


def test_home_shows_platform_counts(client, db_session):
    _add_initiative_with_engagements(db_session, 2)
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _count(html, "initiatives") == 2
    assert _count(html, "engagements") == 2
    assert _count(html, "overdue") == 2
    assert _count(html, "organisations") == 4  # three made here, one signed in


def test_home_empty_state_says_what_to_do(client, db_session):
    html = client.get("/").get_data(as_text=True)
    assert "takes part in no engagement yet" in html  # the dashboard's sections: tests/core
    assert _count(html, "engagements") == 0


def test_home_needs_sign_in(app, db_session):
    response = app.test_client().get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_home_query_count_does_not_grow_with_data(client, db_session, count_queries):
    _add_initiative_with_engagements(db_session, 1)
    with count_queries() as small:
        assert client.get("/").status_code == 200
    _add_initiative_with_engagements(db_session, 12)
    with count_queries() as large:
        assert client.get("/").status_code == 200
    assert small.count == large.count
    # The signed-in user, the unread count, then one query per dashboard section (see
    # engage.home.dashboard); PostgreSQL adds the scope hand-overs (set_config).
    assert large.count <= 12, large.statements

