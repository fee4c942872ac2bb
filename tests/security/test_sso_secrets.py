"""Hole 1: a tenant admin named a server environment variable as "client secret env" and
received its value (the session key, the database URL, another organisation's secret) as
the client secret at a token endpoint of their own.

The rule now: a tenant never makes the server send a value the tenant did not give it. The
web form has no variable field (whatever is posted under that name is ignored); the only
variable an organisation's secret may come from is ``ENGAGE_SSO_SECRET_<SLUG>``, set by the
operator with ``engage org sso``; a stored reference to any other variable is refused at
every sign-in, and dropped when an admin saves the settings again.
"""

from __future__ import annotations

import base64

import pytest

from engage import tenancy
from engage.auth import service as sso
from tests.oidc_support import sign_in
from tests.security.conftest import sso_row, write_sso_row

CANARY = "canary-value-that-must-never-leave-the-server"

# Server variables an attacker would ask for, and disguises of them.
HOSTILE_NAMES = [
    "ENGAGE_SECRET_KEY",
    "DATABASE_URL",
    "ENGAGE_ENCRYPTION_KEY",
    "ENGAGE_SMTP_PASSWORD",
    "ENGAGE_SSO_SECRET_VICTIM",  # another organisation's secret
    "ENGAGE_SSO_SECRET_TENANT",  # even its own: the form never names a variable
    "ENGAGE_REDIS_URL",
    "PREFECT_API_KEY",
    "AWS_SECRET_ACCESS_KEY",
    "PGPASSWORD",
    "HOME",
    "PATH",
    "engage_secret_key",
    "ENGAGE_SSO_SECRET_",
    "ENGAGE_SSO_SECRET_TENANT_X",
    "ENGAGE_SSO_SECRET_TENANT_",
]


def _sent_anywhere(provider, value: str) -> bool:
    encoded = base64.b64encode(value.encode()).decode()
    for _path, authorization, body in provider.received:
        if value in authorization or value.encode() in body:
            return True
        if authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization[6:]).decode(errors="replace")
            if value in decoded:
                return True
        if encoded in authorization:
            return True
    return False


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_the_web_form_cannot_make_the_server_send_a_variable(
    client, db_session, admin, attacker_provider, monkeypatch, name
):
    monkeypatch.setenv(name, CANARY)
    response = client.post("/organisation/sso", data={
        "csrf_token": admin.token, "issuer": attacker_provider.issuer, "client_id": "evil",
        "client_secret": "", "client_secret_env": name, "enabled": "1",
        "domains": "tenant.example",
    })
    assert response.status_code == 303
    config = sso_row(db_session, admin.org_id)
    assert config.client_secret_env is None and config.client_secret_encrypted is None
    # The whole sign-in through the attacker's provider: the value is never sent.
    client.post("/logout", data={"csrf_token": admin.token})
    attacker_provider.add_user("someone", email="someone@tenant.example")
    sign_in(client, "tenant", "someone")
    assert any(path == "/oauth2/token" for path, _, _ in attacker_provider.received)
    assert not _sent_anywhere(attacker_provider, CANARY)


@pytest.mark.parametrize("name", HOSTILE_NAMES[:-3] + ["ENGAGE_SSO_SECRET_VICTIM"])
def test_a_stored_reference_to_another_variable_is_refused_at_every_sign_in(
    client, db_session, attacker_provider, monkeypatch, name
):
    """Rows an earlier version let the web form write: refused before any token request,
    whoever wrote them."""
    monkeypatch.setenv(name, CANARY)
    write_sso_row(db_session, "legacy", issuer=attacker_provider.issuer, client_secret_env=name)
    response = client.get("/login/legacy")
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert "not set up correctly" in html and CANARY not in html
    assert not any(path == "/oauth2/token" for path, _, _ in attacker_provider.received)
    assert not _sent_anywhere(attacker_provider, CANARY)


def test_the_operators_variable_of_that_organisation_is_sent_to_its_provider(
    client, db_session, attacker_provider, monkeypatch
):
    """The one reference that works, so the refusals above are refusals of the rule, not
    of the mechanism."""
    monkeypatch.setenv("ENGAGE_SSO_SECRET_OPERATED", "the-operators-secret")
    write_sso_row(db_session, "operated", issuer=attacker_provider.issuer,
                  client_secret_env="ENGAGE_SSO_SECRET_OPERATED")
    attacker_provider.add_user("op-1", email="op@operated.example")
    assert sign_in(client, "operated", "op-1").status_code == 302
    assert _sent_anywhere(attacker_provider, "the-operators-secret")


def test_an_admin_cannot_move_the_operators_secret_to_another_provider(
    client, db_session, admin, attacker_provider, monkeypatch
):
    monkeypatch.setenv("ENGAGE_SSO_SECRET_TENANT", CANARY)
    write_sso_row(db_session, "tenant", issuer="https://login.tenant.example",
                  client_id="engage-tenant", client_secret_env="ENGAGE_SSO_SECRET_TENANT")
    for changes in ({"issuer": attacker_provider.issuer},
                    {"client_id": "another-client"},
                    {"issuer": attacker_provider.issuer, "client_secret_env": ""}):
        form = {"csrf_token": admin.token, "issuer": "https://login.tenant.example",
                "client_id": "engage-tenant", "client_secret": "", "enabled": "1", **changes}
        response = client.post("/organisation/sso", data=form)
        assert response.status_code == 400, changes
        assert "type its client secret" in response.get_data(as_text=True)
        config = sso_row(db_session, admin.org_id)
        assert (config.issuer, config.client_id, config.client_secret_env) == (
            "https://login.tenant.example", "engage-tenant", "ENGAGE_SSO_SECRET_TENANT")
    # Typing a secret of one's own for another provider is the admin's right.
    response = client.post("/organisation/sso", data={
        "csrf_token": admin.token, "issuer": attacker_provider.issuer, "client_id": "mine",
        "client_secret": "typed-by-the-admin", "enabled": "1"})
    assert response.status_code == 303
    config = sso_row(db_session, admin.org_id)
    assert config.client_secret_env is None and config.client_secret_encrypted


@pytest.mark.parametrize("name", ["ENGAGE_SECRET_KEY", "DATABASE_URL", "ENGAGE_SSO_SECRET_VICTIM"])
def test_saving_the_form_drops_a_reference_to_another_variable(
    client, db_session, admin, monkeypatch, name
):
    from tests.auth.conftest import audit_events

    write_sso_row(db_session, "tenant", issuer="https://login.tenant.example",
                  client_id="engage-tenant", client_secret_env=name)
    response = client.post("/organisation/sso", data={
        "csrf_token": admin.token, "issuer": "https://login.tenant.example",
        "client_id": "engage-tenant", "client_secret": "", "enabled": "1"})
    assert response.status_code == 303
    assert sso_row(db_session, admin.org_id).client_secret_env is None
    assert audit_events(db_session, "sso.configured")[-1].after["dropped_secret_env"] == name


@pytest.mark.parametrize("name, ok", [(n, False) for n in HOSTILE_NAMES if n != "ENGAGE_SSO_SECRET_TENANT"]
                         + [("ENGAGE_SSO_SECRET_TENANT", True)])
def test_the_cli_accepts_only_the_organisations_own_variable(app, db_session, name, ok):
    from tests import factories as f

    with tenancy.system_scope("test", db_session):
        f.organisation("tenant")
        db_session.commit()
    result = app.test_cli_runner().invoke(args=[
        "org", "sso", "tenant", "--issuer", "https://login.tenant.example", "--client-id", "c",
        "--client-secret-env", name])
    assert result.exit_code == (0 if ok else 2), result.output
    if not ok:
        assert "must be ENGAGE_SSO_SECRET_TENANT" in result.output


def test_the_variable_name_is_derived_from_the_slug_alone():
    assert sso.secret_env_name("groen-bank") == "ENGAGE_SSO_SECRET_GROEN_BANK"
    assert sso.secret_env_name("a1") == "ENGAGE_SSO_SECRET_A1"


def test_a_typed_secret_does_not_follow_the_settings_to_another_provider(
    client, db_session, admin, attacker_provider
):
    """Whoever typed it (another admin, earlier), the stored secret was given for one
    provider and client: moving either needs the new secret, or an explicit "no secret"."""
    form = {"csrf_token": admin.token, "issuer": "https://login.tenant.example",
            "client_id": "engage-tenant", "client_secret": "typed-for-the-real-provider",
            "enabled": "1"}
    assert client.post("/organisation/sso", data=form).status_code == 303
    stored = sso_row(db_session, admin.org_id).client_secret_encrypted
    for changes in ({"issuer": attacker_provider.issuer}, {"client_id": "other"}):
        response = client.post("/organisation/sso", data={**form, "client_secret": "", **changes})
        assert response.status_code == 400, changes
        assert sso_row(db_session, admin.org_id).client_secret_encrypted == stored
    response = client.post("/organisation/sso", data={
        **form, "client_secret": "", "issuer": attacker_provider.issuer, "public_client": "1"})
    assert response.status_code == 303
    config = sso_row(db_session, admin.org_id)
    assert config.client_secret_encrypted is None and config.client_secret_env is None
