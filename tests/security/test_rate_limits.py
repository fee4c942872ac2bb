"""Rate limits (engage.ratelimits): sign-in starts, callbacks, failed API tokens, imports,
report and audit-trail downloads, each counted in memory and in the real Redis; over the
limit a 429 with Retry-After, a page in words or problem+json under /api/."""

from __future__ import annotations

import io

import pytest

from engage import tenancy
from engage.doctor import FAIL, OK, WARN, run_checks
from engage.organisations.models import OrgRole
from engage.organisations.tokens import create_token
from tests import factories as f
from tests.conftest import login_ids
from tests.oidc_support import csrf_token
from tests.security.conftest import REDIS_URL, redis_client

FORGED = "/auth/alpha/callback?code=forged&state=forged"


@pytest.fixture
def low(app, monkeypatch):
    """Set one limit low for the test: ``low("ENGAGE_RATE_LIMIT_SIGN_IN", "3/minute")``."""
    return lambda name, value: monkeypatch.setitem(app.config, name, value)


def _assert_429_page(response):
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    html = response.get_data(as_text=True)
    assert response.mimetype == "text/html" and "Too many requests" in html


def _assert_429_problem(response):
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 429 and body["title"] == "Too many requests" and body["detail"]


def test_sign_in_starts_are_limited_per_address(client, db_session, orgs, low, rate_limit_store):
    low("ENGAGE_RATE_LIMIT_SIGN_IN", "3/minute")
    for _ in range(3):
        assert client.get("/login/alpha").status_code == 302
    _assert_429_page(client.get("/login/alpha"))
    # The picker's POST shares the budget; showing the picker is not limited.
    _assert_429_page(client.post("/login", data={"organisation": "alpha",
                                                 "csrf_token": csrf_token(client)}))
    assert client.get("/login").status_code == 200
    # Another address (through the trusted proxy on loopback) has its own count.
    other = {"X-Forwarded-For": "203.0.113.7"}
    assert client.get("/login/alpha", headers=other).status_code == 302
    if rate_limit_store is not None:
        redis, prefix = rate_limit_store
        assert redis.keys(f"{prefix}*"), "the counts are not in Redis"


def test_callbacks_are_limited(client, db_session, orgs, low, rate_limit_store):
    low("ENGAGE_RATE_LIMIT_CALLBACK", "5/minute")
    for _ in range(5):
        assert client.get(FORGED).status_code == 400
    _assert_429_page(client.get(FORGED))


def test_a_client_cannot_pick_its_own_address_without_a_trusted_proxy(
        app, client, db_session, orgs, low, monkeypatch):
    low("ENGAGE_RATE_LIMIT_CALLBACK", "2/minute")
    monkeypatch.setitem(app.config, "ENGAGE_FORWARDED_ALLOW_IPS", "10.0.0.5")
    for n in range(2):
        assert client.get(FORGED, headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code == 400
    _assert_429_page(client.get(FORGED, headers={"X-Forwarded-For": "198.51.100.99"}))


def test_failed_api_tokens_are_limited_and_successes_are_not(
        client, db_session, low, rate_limit_store):
    low("ENGAGE_RATE_LIMIT_TOKEN_FAILURES", "3/minute")
    with tenancy.system_scope("test", db_session):
        org = f.organisation()
        user = f.user(org, OrgRole.ADMIN)
        secret = create_token(db_session, organisation=org, name="sync", scope="read",
                              created_by=user).secret
        db_session.commit()
    good = {"Authorization": f"Bearer {secret}"}
    for _ in range(10):  # successes never count
        assert client.get("/api/v1/organisations/me", headers=good).status_code == 200
    bad = {"Authorization": "Bearer eng_" + "x" * 43}
    for _ in range(3):
        assert client.get("/api/v1/organisations/me", headers=bad).status_code == 401
    _assert_429_problem(client.get("/api/v1/organisations/me", headers=bad))
    # Locked out: from this address even a valid token waits, unknown URLs included.
    _assert_429_problem(client.get("/api/v1/organisations/me", headers=good))
    _assert_429_problem(client.get("/api/v1/no-such-thing", headers=bad))
    other = {**good, "X-Forwarded-For": "203.0.113.8"}
    assert client.get("/api/v1/organisations/me", headers=other).status_code == 200


@pytest.fixture
def admin(db_session, client):
    with tenancy.system_scope("test", db_session):
        org = f.organisation()
        user = f.user(org, OrgRole.ADMIN)
        ids = user.id, org.id, org.slug
        db_session.commit()
    login_ids(client, *ids)
    return csrf_token(client)


def test_imports_are_limited_per_user(client, db_session, admin, low, rate_limit_store):
    low("ENGAGE_RATE_LIMIT_IMPORTS", "2/minute")
    for _ in range(2):
        response = client.post("/imports/holdings", data={
            "csrf_token": admin, "file": (io.BytesIO(b"isin,weight\n"), "h.csv")})
        assert response.status_code in (200, 400), response.status_code
    response = client.post("/imports/holdings", data={
        "csrf_token": admin, "file": (io.BytesIO(b"isin,weight\n"), "h.csv")})
    _assert_429_page(response)


def test_report_downloads_are_limited_per_user(client, db_session, admin, low, rate_limit_store):
    low("ENGAGE_RATE_LIMIT_REPORTS", "2/minute")
    for _ in range(2):
        assert client.get("/reports/download.csv?year=2026").status_code == 200
    _assert_429_page(client.get("/reports/download.csv?year=2026"))


def test_audit_trail_exports_are_limited_per_user(client, db_session, admin, low,
                                                  rate_limit_store):
    low("ENGAGE_RATE_LIMIT_REPORTS", "2/minute")
    for _ in range(2):
        assert client.get("/organisation/audit/export.csv").status_code == 200
    _assert_429_page(client.get("/organisation/audit/export.csv"))
    assert client.get("/organisation/audit").status_code == 200  # reading is not limited


def test_bad_limits_are_refused_at_start(monkeypatch):
    from engage.config import ConfigError, from_environment

    monkeypatch.setenv("ENGAGE_RATE_LIMIT_SIGN_IN", "lots")
    with pytest.raises(ConfigError, match="ENGAGE_RATE_LIMIT_SIGN_IN"):
        from_environment()


# --- engage doctor --------------------------------------------------------------------------

def _redis_findings(app, **config):
    from engage import create_app

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    findings = run_checks(lambda: create_app({"SQLALCHEMY_DATABASE_URI": url,
                                              "PREFECT_API_URL": None, **config}))
    # create_app re-configured the shared limiter: give it back to the test app.
    from engage.extensions import limiter

    limiter.init_app(app)
    return [(x.status, x.detail) for x in findings if x.check == "redis"]


def test_doctor_warns_in_production_without_redis(app):
    findings = _redis_findings(app, ENGAGE_ENV="production", ENGAGE_REDIS_URL=None)
    assert [s for s, _ in findings] == [WARN] and "ENGAGE_REDIS_URL is unset" in findings[0][1]
    assert _redis_findings(app, ENGAGE_REDIS_URL=None) == []  # development: memory is fine


def test_doctor_checks_that_redis_answers(app):
    redis_client().close()
    assert _redis_findings(app, ENGAGE_REDIS_URL=REDIS_URL)[0][0] == OK
    dead = "redis://:secret@127.0.0.1:1/0"
    status, detail = _redis_findings(app, ENGAGE_REDIS_URL=dead)[0]
    assert status == FAIL and "cannot reach redis://127.0.0.1:1/0" in detail
    assert "secret" not in detail
