"""Roles and permissions: declared on views, 403 with a reason, 404 across organisations."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from engage import tenancy
from engage.auth.models import SsoConfig
from engage.organisations.models import Organisation, OrgMembership, OrgRole
from tests import factories as f
from tests.auth.conftest import audit_events
from tests.conftest import login_as
from tests.oidc_support import csrf_token


@pytest.fixture
def people(db_session):
    with tenancy.system_scope("test", db_session):
        a, b = f.organisation("roles-a"), f.organisation("roles-b")
        users = {
            "admin_a": f.user(a, OrgRole.ADMIN), "member_a": f.user(a, OrgRole.MEMBER),
            "viewer_a": f.user(a, OrgRole.VIEWER), "admin_b": f.user(b, OrgRole.ADMIN),
        }
        ids = {k: (u.id, u.email) for k, u in users.items()}
        org_ids = a.id, b.id
        db_session.commit()
        a, b = (db_session.get(Organisation, i) for i in org_ids)
        return {"a": a, "b": b, **ids}


def _as(client, db_session, people, who):
    org = people["a"] if who.endswith("_a") else people["b"]
    user_id, _ = people[who]

    class U:  # login_as needs ids only
        id = user_id

    login_as(client, U, org)
    return csrf_token(client)


def _role(db_session, user_id):
    with tenancy.system_scope("test", db_session):
        return db_session.scalar(sa.select(OrgMembership.role).where(OrgMembership.user_id == user_id))


def test_admin_changes_a_role_and_it_is_audited(client, db_session, people):
    token = _as(client, db_session, people, "admin_a")
    member_id = people["member_a"][0]
    response = client.post(f"/organisation/users/{member_id}/role", data={"role": "viewer", "csrf_token": token})
    assert response.status_code == 303
    assert _role(db_session, member_id) is OrgRole.VIEWER
    changes = [e for e in audit_events(db_session, "org_membership.update")]
    assert changes[-1].after == {"role": "viewer"} and changes[-1].actor_id == people["admin_a"][0]


def test_the_people_page_offers_no_one_to_deactivate_themselves(client, db_session, people):
    """The service refuses it (tests/security/test_sessions.py); the page does not offer it:
    the admin's own row says "you" where the others' rows have Deactivate."""
    _as(client, db_session, people, "admin_a")
    html = client.get("/organisation/users").get_data(as_text=True)
    rows = dict(re.findall(r'<tr data-user="([^"]+)">(.*?)</tr>', html, re.S))
    own, member = rows[people["admin_a"][1]], rows[people["member_a"][1]]
    assert "/active" not in own and ">you<" in own
    assert f'/organisation/users/{people["member_a"][0]}/active' in member and ">you<" not in member


def test_viewer_cannot_change_anything(client, db_session, people):
    token = _as(client, db_session, people, "viewer_a")
    assert client.get("/organisation/users").status_code == 200  # reading is fine
    for url, data in [
        (f"/organisation/users/{people['member_a'][0]}/role", {"role": "admin"}),
        ("/organisation/sso", {"issuer": "https://login.example.org", "client_id": "x"}),
    ]:
        response = client.post(url, data={**data, "csrf_token": token})
        assert response.status_code == 403, url
        assert "Your role is viewer" in response.get_data(as_text=True)
    assert _role(db_session, people["member_a"][0]) is OrgRole.MEMBER


def test_member_cannot_change_settings(client, db_session, people):
    token = _as(client, db_session, people, "member_a")
    assert client.get("/organisation/sso").status_code == 403
    response = client.post(f"/organisation/users/{people['viewer_a'][0]}/role",
                           data={"role": "admin", "csrf_token": token})
    assert response.status_code == 403
    assert "Only an administrator" in response.get_data(as_text=True)


def test_other_organisations_people_are_404(client, db_session, people):
    token = _as(client, db_session, people, "admin_b")
    response = client.post(f"/organisation/users/{people['member_a'][0]}/role",
                           data={"role": "viewer", "csrf_token": token})
    assert response.status_code == 404
    # The same answer as for a user who does not exist at all.
    assert client.post("/organisation/users/999999/role",
                       data={"role": "viewer", "csrf_token": token}).status_code == 404
    html = client.get("/organisation/users").get_data(as_text=True)
    assert people["member_a"][1] not in html and people["admin_b"][1] in html
    assert _role(db_session, people["member_a"][0]) is OrgRole.MEMBER


def test_last_admin_cannot_be_demoted(client, db_session, people):
    token = _as(client, db_session, people, "admin_a")
    response = client.post(f"/organisation/users/{people['admin_a'][0]}/role",
                           data={"role": "member", "csrf_token": token}, follow_redirects=True)
    assert "last administrator" in response.get_data(as_text=True)
    assert _role(db_session, people["admin_a"][0]) is OrgRole.ADMIN


def test_bad_role_is_a_clear_message(client, db_session, people):
    token = _as(client, db_session, people, "admin_a")
    response = client.post(f"/organisation/users/{people['member_a'][0]}/role",
                           data={"role": "owner", "csrf_token": token})
    assert response.status_code == 400  # the page again, saying why
    assert "“owner” is not one of the options" in response.get_data(as_text=True)


def test_forms_without_csrf_token_are_refused(client, db_session, people):
    _as(client, db_session, people, "admin_a")
    response = client.post(f"/organisation/users/{people['member_a'][0]}/role", data={"role": "viewer"})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert _role(db_session, people["member_a"][0]) is OrgRole.MEMBER


def test_every_page_but_the_public_ones_needs_sign_in(app, db_session):
    """Walks the URL map: a view nobody marked public cannot be reached signed out."""
    public = {"/login", "/login/<slug>", "/auth/<slug>/callback", "/logged-out", "/healthz",
              "/static/<path:filename>", "/api/v1/openapi.json", "/api/v1/docs",
              "/calendar/<token>.ics"}  # authenticated by its token (tests/reports)
    client = app.test_client()
    checked = 0
    for rule in app.url_map.iter_rules():
        url = re.sub(r"<(?:int|id):\w+>", "1", rule.rule).replace("<slug>", "x")
        if rule.rule in public:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url, method=method)
            assert response.status_code in (302, 400, 401), (method, url, response.status_code)
            if response.status_code == 302:
                assert response.headers["Location"].startswith("/login")
            checked += 1
    assert checked >= 5


def test_session_cookie_is_secure_httponly_and_lax_in_production(monkeypatch):
    from engage import create_app

    monkeypatch.setenv("ENGAGE_ENV", "production")
    monkeypatch.setenv("ENGAGE_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("ENGAGE_SESSION_MINUTES", "30")
    monkeypatch.setenv("ENGAGE_BASE_URL", "https://engage.example")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 1800
    response = app.test_client().get("/login", base_url="https://engage.example")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_sso_config_is_private_to_its_organisation(db_session, people):
    from engage.auth import service as sso
    from engage.db import utcnow

    with tenancy.as_organisation(people["a"].id, db_session):
        sso.configure(db_session, people["a"], sso.SsoSettings(
            issuer="https://login.roles-a.example", client_id="a", client_secret="x"),
            actor_id=None, now=utcnow())
        db_session.commit()
    with tenancy.as_organisation(people["b"].id, db_session):
        assert db_session.scalars(sa.select(SsoConfig)).all() == []


def test_htmx_requests_send_the_csrf_token_in_a_header(client, db_session, people):
    token = _as(client, db_session, people, "member_a")
    page = client.get("/").get_data(as_text=True)
    assert f'hx-headers=\'{{"X-CSRFToken": "{token}"}}\'' in page  # every htmx request sends it
    headers = {"HX-Request": "true"}
    assert client.post("/notifications/read", headers=headers).status_code == 400
    accepted = client.post("/notifications/read", headers={**headers, "X-CSRFToken": token})
    assert accepted.status_code == 303
