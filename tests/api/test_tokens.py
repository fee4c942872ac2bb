"""API tokens: made by admins (CLI or settings page), stored as a hash, refused once revoked;
read tokens read, write tokens write as a member; every refusal is problem+json."""

from __future__ import annotations

import hashlib
import re

import sqlalchemy as sa
from engage.audit.models import AuditEvent
from engage.organisations.models import ApiToken
from engage.tenancy import as_organisation

from tests.api.conftest import ApiClient
from tests.conftest import login_as
from tests.oidc_support import csrf_token

TOKEN = re.compile(r"eng_[A-Za-z0-9_-]{43}")


def _stored(db_session, org_id):
    with as_organisation(org_id):
        return db_session.scalars(sa.select(ApiToken).order_by(ApiToken.id)).all()


def test_cli_creates_a_token_once_lists_and_revokes_it(app, client, db_session, api_world):
    runner = app.test_cli_runner()
    slug = api_world.a.slug
    result = runner.invoke(args=["token", "create", "--org", slug, "--name", "nightly export",
                                 "--scope", "write", "--user", api_world.a_member.email])
    assert result.exit_code == 0, result.output
    secret = TOKEN.search(result.output).group(0)
    token = _stored(db_session, api_world.a.id)[-1]
    assert token.name == "nightly export" and token.scope == "write"
    assert token.created_by_id == api_world.a_member.id
    # Only the hash is kept; the printed token works.
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in token.token_hash
    assert ApiClient(client, secret).get("/organisations/me").get_json()["id"] == api_world.a.id

    listed = runner.invoke(args=["token", "list", "--org", slug])
    assert "nightly export" in listed.output and secret not in listed.output

    revoked = runner.invoke(args=["token", "revoke", "--org", slug, str(token.id)])
    assert revoked.exit_code == 0, revoked.output
    refused = ApiClient(client, secret).get("/organisations/me")
    assert refused.status_code == 401
    assert refused.mimetype == "application/problem+json"
    assert "revoked" in refused.get_json()["detail"]


def test_cli_defaults_to_the_first_admin_and_explains_bad_input(app, db_session, api_world):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["token", "create", "--org", api_world.b.slug, "--name", "read"])
    assert made.exit_code == 0 and api_world.b_admin.email in made.output
    assert _stored(db_session, api_world.b.id)[-1].scope == "read"
    for args, message in (
        (["--org", "nope", "--name", "x"], "no organisation"),
        (["--org", api_world.a.slug, "--name", " "], "name"),
        (["--org", api_world.a.slug, "--name", "x", "--user", api_world.b_member.email],
         "not a member"),
    ):
        result = runner.invoke(args=["token", "create", *args])
        assert result.exit_code != 0 and message in result.output, result.output
    other = runner.invoke(args=["token", "revoke", "--org", api_world.b.slug,
                                str(_stored(db_session, api_world.a.id)[0].id)])
    assert other.exit_code != 0 and "has no API token" in other.output


def test_an_admin_creates_and_revokes_tokens_on_the_settings_page(client, db_session, api_world):
    login_as(client, api_world.a_admin, api_world.a)
    page = client.get("/organisation/tokens")
    assert page.status_code == 200 and "a write" in page.get_data(as_text=True)
    made = client.post("/organisation/tokens", data={
        "name": "dashboard", "scope": "read", "csrf_token": csrf_token(client)})
    assert made.status_code == 201
    assert made.headers["Cache-Control"] == "no-store"
    secret = TOKEN.search(made.get_data(as_text=True)).group(0)
    token = _stored(db_session, api_world.a.id)[-1]
    assert token.name == "dashboard" and token.created_by_id == api_world.a_admin.id
    assert secret not in client.get("/organisation/tokens").get_data(as_text=True)
    api = ApiClient(client.application.test_client(), secret)
    assert api.get("/organisations/me").get_json()["role"] == "viewer"

    empty = client.post("/organisation/tokens", data={"name": "", "scope": "read",
                                                      "csrf_token": csrf_token(client)})
    assert empty.status_code == 400 and 'role="alert"' in empty.get_data(as_text=True)

    revoked = client.post(f"/organisation/tokens/{token.id}/revoke",
                          data={"csrf_token": csrf_token(client)})
    assert revoked.status_code == 303
    assert api.get("/organisations/me").status_code == 401
    with as_organisation(api_world.a.id):
        events = db_session.scalars(sa.select(AuditEvent).where(
            AuditEvent.object_type == "api_token")).all()
    created = [e for e in events if e.action == "api_token.create"
               and e.after["name"] == "dashboard"]
    assert len(created) == 1 and created[0].after["token_hash"] == "[redacted]"
    assert created[0].actor_id == api_world.a_admin.id
    assert any(e.action == "api_token.update" and e.after.get("revoked_at") for e in events)


def test_only_admins_manage_tokens_and_never_another_organisations(client, api_world, db_session):
    login_as(client, api_world.a_member, api_world.a)
    assert client.get("/organisation/tokens").status_code == 403
    assert "/organisation/tokens" not in client.get("/organisation/users").get_data(as_text=True)
    login_as(client, api_world.b_admin, api_world.b)
    a_token = _stored(db_session, api_world.a.id)[0]
    response = client.post(f"/organisation/tokens/{a_token.id}/revoke",
                           data={"csrf_token": csrf_token(client)})
    assert response.status_code == 404
    assert _stored(db_session, api_world.a.id)[0].revoked_at is None


def test_bad_authorization_headers_are_401_problems(client, api_world):
    for header in ("Basic dXNlcjpwYXNz", "Bearer", "Bearer not-a-token",
                   "Bearer eng_" + "x" * 43, "Token " + api_world.tokens["a_read"]):
        response = client.get("/api/v1/engagements", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.mimetype == "application/problem+json"
        body = response.get_json()
        assert body["status"] == 401 and body["title"] and body["detail"]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    anonymous = client.get("/api/v1/engagements")
    assert anonymous.status_code == 401 and anonymous.mimetype == "application/problem+json"


def test_a_read_token_reads_but_cannot_write(as_token, api_world):
    api = as_token("a_read")
    assert api.get(f"/engagements/{api_world.engagement.id}").status_code == 200
    response = api.post(f"/engagements/{api_world.engagement.id}/dialogue",
                        json={"kind": "call", "occurred_on": "2026-11-01", "summary": "x"})
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert "read-only" in response.get_json()["detail"]


def test_a_token_acts_for_its_creator_and_the_audit_trail_names_the_token(
        as_token, api_world, db_session):
    api = as_token("a_write")
    me = api.get("/organisations/me").get_json()
    assert me["user"]["id"] == api_world.a_member.id and me["role"] == "member"
    assert me["token"]["name"] == "a write"
    created = api.post(f"/engagements/{api_world.engagement.id}/milestones",
                       json={"title": "Audit of suppliers published", "due_on": "2027-06-30"})
    assert created.status_code == 201, created.get_data(as_text=True)
    with as_organisation(api_world.a.id):
        event = next(e for e in db_session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "milestone.create")) if e.after["id"] == created.get_json()["id"])
    assert event.actor_id == api_world.a_member.id
    assert "via token:" in event.context and "(a write)" in event.context


def test_last_used_is_noted_at_most_once_a_minute(as_token, api_world, db_session):
    def last_used():
        with as_organisation(api_world.a.id):
            return db_session.scalar(sa.select(ApiToken.last_used_at)
                                     .where(ApiToken.name == "a read"))

    assert last_used() is None
    as_token("a_read").get("/organisations/me")
    first = last_used()
    assert first is not None
    as_token("a_read").get("/organisations/me")
    assert last_used() == first


def test_a_token_of_a_deactivated_user_stops_working(as_token, api_world, db_session):
    from engage.tenancy import system_scope

    with system_scope("test"):
        db_session.merge(api_world.a_member).is_active = False
        db_session.flush()
    response = as_token("a_write").get("/organisations/me")
    assert response.status_code == 401 and "no longer" in response.get_json()["detail"]
