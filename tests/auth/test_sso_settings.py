"""An admin configures the organisation's SSO in the web UI; an operator with the CLI."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from engage import tenancy
from engage.auth.models import SsoConfig, SsoDomain
from engage.organisations.models import Organisation, OrgRole
from tests import factories as f
from tests.auth.conftest import audit_events
from tests.conftest import login_as
from tests.oidc_support import csrf_token


@pytest.fixture
def admin(client, db_session):
    with tenancy.system_scope("test", db_session):
        org = f.organisation("settings-org")
        other = f.organisation("other-org")
        user = f.user(org, OrgRole.ADMIN)
        ids = org.id, other.id, user.id
        db_session.commit()
        org = db_session.get(Organisation, ids[0])
    login_as(client, type("U", (), {"id": ids[2]}), org)
    return {"org_id": ids[0], "other_id": ids[1], "user_id": ids[2], "token": csrf_token(client)}


def _config(db_session, org_id):
    with tenancy.system_scope("test", db_session):
        config = db_session.scalar(sa.select(SsoConfig).where(SsoConfig.organisation_id == org_id))
        domains = db_session.scalars(
            sa.select(SsoDomain.domain).where(SsoDomain.organisation_id == org_id)).all()
        return config, sorted(domains)


FORM = {
    "issuer": "https://login.settings-org.example/realms/engage/",
    "client_id": "engage-web",
    "client_secret": "s3cr3t-typed-in",
    "domains": "settings-org.example\nSubsidiary.example",
    "default_role": "viewer",
    "role_claim": "groups",
    "role_map": "admin=engage-admins\nmember=analysts",
    "enabled": "1",
}


def test_admin_saves_sso_settings(client, db_session, admin):
    page = client.get("/organisation/sso")
    assert page.status_code == 200
    assert "/auth/settings-org/callback" in page.get_data(as_text=True)
    response = client.post("/organisation/sso", data={**FORM, "csrf_token": admin["token"]})
    assert response.status_code == 303
    config, domains = _config(db_session, admin["org_id"])
    assert config.issuer == "https://login.settings-org.example/realms/engage"
    assert config.default_role is OrgRole.VIEWER
    assert config.role_map == {"admin": ["engage-admins"], "member": ["analysts"]}
    assert domains == ["settings-org.example", "subsidiary.example"]
    assert config.client_secret_env is None
    assert "s3cr3t" not in config.client_secret_encrypted  # encrypted at rest
    from engage.auth.service import client_secret

    with client.application.app_context():
        assert client_secret(config) == "s3cr3t-typed-in"
    # Audited, with the secret redacted.
    created = audit_events(db_session, "sso_config.create")[-1]
    assert created.after["client_secret_encrypted"] == "[redacted]"
    assert created.actor_id == admin["user_id"]
    assert audit_events(db_session, "sso.configured")[-1].after["secret_source"] == "encrypted"
    assert "s3cr3t" not in str([e.after for e in audit_events(db_session, "sso_config.create")])

    # Saved again with the secret left blank: the stored one is kept.
    before = config.client_secret_encrypted
    client.post("/organisation/sso", data={**FORM, "client_secret": "", "csrf_token": admin["token"]})
    assert _config(db_session, admin["org_id"])[0].client_secret_encrypted == before


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"issuer": "http://login.example.org"}, "issuer", "must use https"),
        ({"issuer": "not a url"}, "issuer", "absolute URL"),
        ({"client_id": ""}, "client_id", "is required"),
        ({"domains": "not_a_domain"}, "domains", "is not a domain name"),
        ({"role_map": "owner=x"}, "role_map", "is not a role"),
        ({"role_map": "admin"}, "role_map", "ROLE=CLAIM-VALUE"),
        ({"role_claim": ""}, "role_claim", "name the claim"),
        ({"default_role": "owner"}, "default_role", "choose admin"),
    ],
)
def test_bad_settings_are_explained_and_nothing_is_saved(client, db_session, admin, changes, field, message):
    response = client.post("/organisation/sso", data={**FORM, **changes, "csrf_token": admin["token"]})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "were not saved" in html and message in html
    assert _config(db_session, admin["org_id"]) == (None, [])
    assert audit_events(db_session, "sso.configured") == []


def test_a_domain_belongs_to_one_organisation(client, db_session, admin):
    from engage.auth import service as sso
    from engage.db import utcnow

    with tenancy.as_organisation(admin["other_id"], db_session):
        sso.configure(db_session, db_session.get(Organisation, admin["other_id"]),
                      sso.SsoSettings(issuer="https://other.example", client_id="o",
                                      client_secret_env="ENGAGE_SSO_SECRET_OTHER_ORG", domains=["subsidiary.example"]),
                      actor_id=None, now=utcnow())
        db_session.commit()
    response = client.post("/organisation/sso", data={**FORM, "csrf_token": admin["token"]})
    assert response.status_code == 400
    assert "subsidiary.example is already used by" in response.get_data(as_text=True)


# --- the CLI ------------------------------------------------------------------------------

def _engage(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_org_cli_creates_configures_and_lists(app, db_session):
    created = _engage(app, "org", "create", "--slug", "kempen", "--name", "Kempen Pensioen", "--kind", "pension_fund")
    assert created.exit_code == 0, created.output
    configured = _engage(app, "org", "sso", "kempen", "--issuer", "https://kempen.okta.example",
                         "--client-id", "0oa1engage", "--client-secret-env", "ENGAGE_SSO_SECRET_KEMPEN",
                         "--domain", "kempen.example", "--domain", "kempen-am.example",
                         "--role-claim", "groups", "--role-map", "admin=Engage Admins")
    assert configured.exit_code == 0, configured.output
    assert "/auth/kempen/callback" in configured.output
    listed = _engage(app, "org", "list")
    assert re.search(r"kempen\s+0 people\s+pension_fund\s+Kempen Pensioen\s+—\s+https://kempen.okta.example",
                     listed.output), listed.output
    with tenancy.system_scope("test", db_session):
        org_id = db_session.scalar(sa.select(Organisation.id).where(Organisation.slug == "kempen"))
    config, domains = _config(db_session, org_id)
    assert config.client_secret_env == "ENGAGE_SSO_SECRET_KEMPEN" and config.client_secret_encrypted is None
    assert domains == ["kempen-am.example", "kempen.example"]
    assert config.role_map == {"admin": ["Engage Admins"]}


@pytest.mark.parametrize(
    "args, message",
    [
        (["org", "create", "--slug", "Bad Slug", "--name", "X"], "not a valid slug"),
        (["org", "create", "--slug", "dup", "--name", ""], "needs a name"),
        (["org", "sso", "nobody", "--issuer", "https://x.example", "--client-id", "c"], "no organisation"),
        (["org", "sso", "dup", "--issuer", "ftp://x", "--client-id", "c"], "--issuer: must be an absolute URL"),
        (["org", "sso", "dup", "--issuer", "https://x.example", "--client-id", "c",
          "--role-map", "admin"], "ROLE=CLAIM-VALUE"),
        (["org", "sso", "dup", "--issuer", "https://x.example", "--client-id", "c",
          "--client-secret-env", "ENGAGE_SECRET_KEY"], "must be ENGAGE_SSO_SECRET_DUP"),
    ],
)
def test_org_cli_rejects_bad_input_with_exit_code_2(app, db_session, args, message):
    with tenancy.system_scope("test", db_session):
        f.organisation("dup")
        db_session.commit()
    result = _engage(app, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_org_cli_refuses_a_duplicate_slug(app, db_session):
    assert _engage(app, "org", "create", "--slug", "twice", "--name", "One").exit_code == 0
    again = _engage(app, "org", "create", "--slug", "twice", "--name", "Two")
    assert again.exit_code == 2 and "already exists" in again.output
