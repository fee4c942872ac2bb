"""Trusted host: the sign-in's redirect address was built from the ``Host`` header, so a
request for another host sent the provider's code elsewhere. It is built from
``ENGAGE_BASE_URL`` now, and production answers only its trusted host names (400 for
others); ``engage doctor`` warns when production has neither set."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from engage import tenancy
from engage.auth import service as sso
from engage.db import utcnow
from engage.organisations.models import Organisation
from tests import factories as f

BASE = "https://engage.example.org"

HOSTILE_HOSTS = [
    "evil.example",
    "evil.example:443",
    "engage.example.org.evil.example",
    "evilengage.example.org",
    "engage-example.org",
    "sub.engage.example.org",
    "engage.example.org@evil.example",
    "engage.example.org evil.example",
    "engage.example.org:99999",
    "engage.example.org:0",
    "engage.example.org/",
    "engage.example.org\\@evil.example",
    "[::1]",
    "0.0.0.0",
    "10.0.0.1:8000",
    "xn--ngage-bsa.example.org",
    "",
]
TRUSTED_HOSTS = ["engage.example.org", "engage.example.org:443", "engage.example.org:8443",
                 "localhost", "127.0.0.1:8000"]


@pytest.fixture
def production_site(app, production, monkeypatch):
    monkeypatch.setitem(app.config, "ENGAGE_BASE_URL", BASE)
    monkeypatch.setitem(app.config, "ENGAGE_BASE_URL_SET", True)
    monkeypatch.setitem(app.config, "ENGAGE_TRUSTED_HOSTS", ())
    return app


@pytest.mark.parametrize("host", HOSTILE_HOSTS)
def test_production_refuses_an_unknown_host(client, production_site, host):
    for path in ("/login", "/login/anything", "/auth/x/callback?code=1&state=2", "/api/v1/openapi.json"):
        response = client.get(path, headers={"Host": host})
        assert response.status_code == 400, (host, path)
        assert "does not answer to that host" in response.get_data(as_text=True)


@pytest.mark.parametrize("host", TRUSTED_HOSTS)
def test_production_answers_its_own_host_names(client, production_site, host):
    assert client.get("/login", headers={"Host": host}).status_code == 200


def test_the_health_check_answers_any_host(client, production_site):
    assert client.get("/healthz", headers={"Host": "10.0.0.5:8000"}).status_code != 400


def test_a_configured_list_replaces_the_base_urls_host(client, production_site, monkeypatch):
    monkeypatch.setitem(client.application.config, "ENGAGE_TRUSTED_HOSTS",
                        ("engage.example.org", "engage.internal.example"))
    assert client.get("/login", headers={"Host": "engage.internal.example"}).status_code == 200
    assert client.get("/login", headers={"Host": "evil.example"}).status_code == 400


@pytest.fixture
def sso_org(db_session, provider):
    with tenancy.system_scope("test", db_session):
        org = f.organisation("hosted")
        org_id = org.id
        db_session.commit()
    with tenancy.as_organisation(org_id, db_session):
        sso.configure(db_session, db_session.get(Organisation, org_id), sso.SsoSettings(
            issuer=provider.issuer, client_id="engage-hosted", client_secret="s"),
            actor_id=None, now=utcnow())
        db_session.commit()


@pytest.mark.parametrize("host", ["evil.example", "localhost", "attacker.example:8080",
                                  "engage.example.org.evil.example", "127.0.0.1:5000"])
def test_the_redirect_address_comes_from_the_base_url_not_the_host(client, app, sso_org,
                                                                   monkeypatch, host):
    """Development (its loopback provider), with a base URL configured and no host list:
    whatever ``Host`` says, the provider is told to send the code to the base URL."""
    monkeypatch.setitem(app.config, "ENGAGE_BASE_URL", BASE)
    monkeypatch.setitem(app.config, "ENGAGE_BASE_URL_SET", True)
    response = client.get("/login/hosted", headers={"Host": host})
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["redirect_uri"] == [f"{BASE}/auth/hosted/callback"]


def test_doctor_warns_when_production_has_no_base_url_or_trusted_hosts(app, monkeypatch):
    from engage.doctor import WARN, _configuration

    config = {**app.config, "ENGAGE_ENV": "production", "ENGAGE_BASE_URL_SET": False,
              "ENGAGE_TRUSTED_HOSTS": (), "PREFECT_API_URL": "http://x"}
    warnings = [f.detail for f in _configuration(config) if f.status == WARN]
    assert any("ENGAGE_BASE_URL is not set" in w for w in warnings), warnings
    assert any("ENGAGE_TRUSTED_HOSTS is not set" in w for w in warnings), warnings
    config.update(ENGAGE_BASE_URL_SET=True, ENGAGE_BASE_URL=BASE,
                  ENGAGE_TRUSTED_HOSTS=("engage.example.org",))
    warnings = [f.detail for f in _configuration(config) if f.status == WARN]
    assert not any("ENGAGE_BASE_URL" in w or "ENGAGE_TRUSTED_HOSTS" in w for w in warnings)


@pytest.mark.parametrize("base", ["", "not a url", "https://"])
def test_production_without_a_usable_base_url_still_refuses_other_hosts(client, production_site,
                                                                         monkeypatch, base):
    monkeypatch.setitem(client.application.config, "ENGAGE_BASE_URL", base)
    assert client.get("/login", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/login", headers={"Host": "localhost"}).status_code == 200
