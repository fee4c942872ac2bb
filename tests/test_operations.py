"""Operations: /healthz (database and Prefect), the JSON logs, ``engage doctor``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from engage.config import ConfigError
from engage.doctor import FAIL, OK, doctor_command, run_checks
from tests.escalations.committed_db import committed_database
from tests.oidc_support import Provider
from workflows import client
from workflows.runtime import free_port


class _PrefectHealth(BaseHTTPRequestHandler):
    """Answers ``GET /api/health`` as Prefect's server does (``true``), counting the calls."""

    calls = 0
    answer = b"true"

    def do_GET(self):
        type(self).calls += 1
        body = self.answer if self.path == "/api/health" else b"{}"
        self.send_response(200 if self.path == "/api/health" else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def prefect_health():
    handler = type("Handler", (_PrefectHealth,), {"calls": 0})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client._health_cache.clear()
    try:
        yield f"http://127.0.0.1:{server.server_port}/api", handler
    finally:
        server.shutdown()
        server.server_close()
        client._health_cache.clear()


def test_healthz_without_prefect_configured(app, db_session):
    app.config["PREFECT_API_URL"] = None
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "prefect": "not configured"}


def test_healthz_asks_prefect_and_caches_the_answer(app, db_session, prefect_health):
    api_url, handler = prefect_health
    app.config["PREFECT_API_URL"] = api_url
    try:
        first = app.test_client().get("/healthz")
        second = app.test_client().get("/healthz")
    finally:
        app.config["PREFECT_API_URL"] = None
    assert first.get_json() == {"status": "ok", "database": "ok", "prefect": "ok"}
    assert second.get_json() == first.get_json()
    assert handler.calls == 1  # the second probe was answered from the cache


def test_healthz_is_degraded_not_down_when_prefect_is_unreachable(app, db_session):
    client._health_cache.clear()
    app.config["PREFECT_API_URL"] = f"http://127.0.0.1:{free_port()}/api"
    try:
        response = app.test_client().get("/healthz")
    finally:
        app.config["PREFECT_API_URL"] = None
        client._health_cache.clear()
    assert response.status_code == 200  # pages still work: the proxy keeps this process
    body = response.get_json()
    assert body["status"] == "degraded" and body["database"] == "ok"
    assert body["prefect"].startswith("unreachable")


def test_a_prefect_that_is_not_healthy_is_reported(prefect_health):
    api_url, handler = prefect_health
    handler.answer = b"false"
    assert client.prefect_status(api_url).startswith("unhealthy answer")


def test_healthz_says_503_when_the_database_is_gone(tmp_path):
    from engage import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing-dir/x.db"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "error"
    assert response.get_json()["database"] == "OperationalError"


# --- logs ---------------------------------------------------------------------------------

_LOGGED_REQUEST = """
from engage import create_app
app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
client = app.test_client()
client.get("/healthz", headers={"X-Request-ID": "proxy-42"})
client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
"""


def test_json_logs_write_one_object_per_request_with_its_id(tmp_path):
    env = {**os.environ, "ENGAGE_LOG_FORMAT": "json", "ENGAGE_INSTANCE_PATH": str(tmp_path)}
    env.pop("PREFECT_API_URL", None)
    done = subprocess.run([sys.executable, "-c", _LOGGED_REQUEST], env=env, capture_output=True,
                          text=True, timeout=120, check=True)
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.strip()]
    requests = [line for line in lines if line["logger"] == "engage.request"]
    assert len(requests) == 2, done.stderr
    first, second = requests
    assert first["request_id"] == "proxy-42"
    assert (first["method"], first["path"], first["status"]) == ("GET", "/healthz", 200)
    assert first["level"] == "INFO" and first["duration_ms"] >= 0 and "time" in first
    assert first["user_id"] is None and first["organisation_id"] is None
    # An id the proxy sent that could forge log fields is replaced by one of our own.
    assert second["request_id"] != "bad id with spaces" and len(second["request_id"]) == 32


def test_every_response_carries_its_request_id(app, db_session):
    response = app.test_client().get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    assert len(app.test_client().get("/healthz").headers["X-Request-ID"]) == 32


@pytest.mark.parametrize("name, value", [("ENGAGE_LOG_FORMAT", "xml"),
                                         ("ENGAGE_LOG_LEVEL", "loud"),
                                         ("ENGAGE_WARM_POLL_SECONDS", "soon"),
                                         ("ENGAGE_WARM_POLL_SECONDS", "0"),
                                         ("ENGAGE_WARM_POLL_SECONDS", "-1")])
def test_a_bad_log_setting_is_refused_by_name(monkeypatch, name, value):
    from engage.config import from_environment

    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        from_environment()


def test_a_clock_shift_is_refused_in_production(monkeypatch):
    from engage.config import from_environment

    monkeypatch.setenv("ENGAGE_CLOCK_SHIFT_SECONDS", "3600")
    assert from_environment()["ENGAGE_CLOCK_SHIFT_SECONDS"] == 3600  # a demonstration
    monkeypatch.setenv("ENGAGE_ENV", "production")
    with pytest.raises(ConfigError, match="ENGAGE_CLOCK_SHIFT_SECONDS .* unset it when "
                                          "ENGAGE_ENV=production"):
        from_environment()
    monkeypatch.setenv("ENGAGE_CLOCK_SHIFT_SECONDS", "0")
    assert from_environment()["ENGAGE_CLOCK_SHIFT_SECONDS"] == 0
    monkeypatch.setenv("ENGAGE_CLOCK_SHIFT_SECONDS", "soon")
    with pytest.raises(ConfigError, match="must be a number of seconds"):
        from_environment()


def test_a_production_worker_with_a_shifted_clock_does_not_start(tmp_path):
    env = {**os.environ, "ENGAGE_ENV": "production", "ENGAGE_CLOCK_SHIFT_SECONDS": "-86400",
           "ENGAGE_INSTANCE_PATH": str(tmp_path), "PREFECT_API_URL": "http://127.0.0.1:9/api"}
    done = subprocess.run([os.path.join(os.path.dirname(sys.executable), "engage"), "worker",
                           "--pool", "engage"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode != 0
    assert "ENGAGE_CLOCK_SHIFT_SECONDS is for demonstrations and benchmarks only" in done.stderr


# --- engage doctor ------------------------------------------------------------------------


def _statuses(findings, check):
    return [(f.status, f.detail) for f in findings if f.check == check]


def test_doctor_reports_a_configuration_it_cannot_run(monkeypatch):
    monkeypatch.setenv("ENGAGE_ENV", "production")
    monkeypatch.delenv("ENGAGE_SECRET_KEY", raising=False)
    result = CliRunner().invoke(doctor_command, [])
    assert result.exit_code == 1
    assert "FAIL" in result.output and "ENGAGE_SECRET_KEY must be set" in result.output


def test_doctor_fails_a_shifted_clock_in_production(monkeypatch):
    monkeypatch.setenv("ENGAGE_ENV", "production")
    monkeypatch.setenv("ENGAGE_CLOCK_SHIFT_SECONDS", "120")
    result = CliRunner().invoke(doctor_command, [])
    assert result.exit_code == 1
    assert "FAIL" in result.output and "ENGAGE_CLOCK_SHIFT_SECONDS" in result.output


def test_doctor_finds_an_unmigrated_database(tmp_path):
    from engage import create_app

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    findings = run_checks(lambda: create_app({"SQLALCHEMY_DATABASE_URI": url,
                                              "PREFECT_API_URL": None}))
    assert (FAIL, "the database is empty: run `engage db upgrade`") in _statuses(findings, "migrations")
    assert not _statuses(findings, "sso")  # not asked of a database without tables


def test_doctor_checks_migrations_prefect_and_each_identity_provider(tmp_path, prefect_health):
    from engage import create_app
    from engage.auth.models import SsoConfig
    from engage.extensions import db
    from engage.tenancy import system_scope
    from tests import factories

    api_url, _ = prefect_health
    provider = Provider("doctor")
    try:
        with committed_database(tmp_path) as (app, url):
            with app.app_context(), system_scope("test"):
                good, gone = factories.organisation("good-idp"), factories.organisation("gone-idp")
                db.session.add_all([good, gone])
                db.session.flush()
                db.session.add_all([
                    SsoConfig(organisation_id=good.id, issuer=provider.issuer, client_id="engage"),
                    SsoConfig(organisation_id=gone.id, client_id="engage",
                              issuer=f"http://127.0.0.1:{free_port()}"),
                ])
                db.session.commit()
            findings = run_checks(lambda: create_app({"SQLALCHEMY_DATABASE_URI": url,
                                                      "PREFECT_API_URL": api_url}))
    finally:
        provider.stop()
    assert _statuses(findings, "database")[0][0] == OK
    assert _statuses(findings, "migrations")[0][0] == OK
    prefect = _statuses(findings, "prefect")
    assert prefect[0] == (OK, f"{api_url} answers")
    # The loopback stand-in answers /health only: no deployment can be read from it.
    assert prefect[1][0] == FAIL and "deployment" in prefect[1][1], prefect
    sso = {detail.split(":")[0]: status for status, detail in _statuses(findings, "sso")}
    assert sso == {"gone-idp": FAIL, "good-idp": OK}


def test_doctor_refuses_a_superuser_in_production(app):
    """On PostgreSQL, a role that bypasses row-level security takes away the second lock."""
    from engage import create_app
    from tests.conftest import is_postgres

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    findings = run_checks(lambda: create_app({"SQLALCHEMY_DATABASE_URI": url,
                                              "ENGAGE_ENV": "production", "PREFECT_API_URL": None}))
    bypass = [f for f in findings if f.check == "database" and "BYPASSRLS" in f.detail]
    if is_postgres():  # the suite connects as postgres, a superuser
        assert [f.status for f in bypass] == [FAIL]
    else:  # SQLite has no roles; production on SQLite is refused instead
        assert not bypass
        assert any(f.status == FAIL and "SQLite" in f.detail for f in findings)
