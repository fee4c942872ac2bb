"""The `engage` command: demo set-up and its guard rails."""

from __future__ import annotations

import re

import requests
from click.testing import CliRunner

from engage import create_app
from engage.cli import cli


def _engage(*args: str, env: dict[str, str]):
    return CliRunner().invoke(cli, list(args), env=env)


def test_help_lists_the_commands():
    result = _engage("--help", env={})
    assert result.exit_code == 0
    for command in ("demo", "demo-load", "db", "run", "shell"):
        assert re.search(rf"^\s+{command}\s", result.output, re.M), command


def test_demo_builds_a_fresh_database_that_the_home_page_shows(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    (tmp_path / "demo.db").write_text("not a database: demo must replace it")
    result = _engage("demo", "--no-serve", "--today", "2026-11-22", env={"DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    assert "Demo database:" in result.output
    printed_overdue = int(re.search(r"overdue milestones\s+(\d+)", result.output).group(1))

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    html = _sign_in_through_the_demo_provider(app, "anna.devries@groenbank.example")
    assert "Anna de Vries" in html and "Groenbank N.V." in html
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', html))
    assert int(counts["organisations"]) >= 5
    assert int(counts["excluded"]) >= 90
    assert int(counts["overdue"]) == printed_overdue > 0
    assert int(counts["engagements"]) > 0

    again = _engage("demo", "--no-serve", "--today", "2026-11-22", env={"DATABASE_URL": url})
    assert again.exit_code == 0, "a second run starts from scratch again"


def _sign_in_through_the_demo_provider(app, email: str) -> str:
    """What `make demo` sets up after loading (local providers, SSO per organisation),
    then a newcomer's clicks: choose the organisation, pick the user, land on home."""
    from engage.demo.sso import configure_demo_sso, start_providers
    from engage.extensions import db
    from tests.oidc_support import authorize_at_provider, continued_to

    with app.app_context():
        providers = start_providers(db.session)
        configure_demo_sso(db.session, providers)
    try:
        client = app.test_client()
        picker = client.get("/login").get_data(as_text=True)
        assert 'data-org="groenbank"' in picker and 'data-org="tallskog"' in picker
        found = client.post("/login", data={"email": email, "csrf_token": _csrf(picker)})
        assert continued_to(found) == "/login/groenbank"
        authorize_url = client.get("/login/groenbank").headers["Location"]
        assert authorize_url.startswith(providers.issuers["groenbank"])
        consent = requests.get(authorize_url, timeout=10).text
        assert email in consent  # the provider's page offers the demo users
        landed = client.get(authorize_at_provider(authorize_url, email))
        assert landed.status_code == 302, landed.get_data(as_text=True)
        home = client.get(landed.headers["Location"])
        assert home.status_code == 200
        return home.get_data(as_text=True)
    finally:
        providers.stop()


def _csrf(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def test_demo_refuses_to_wipe_a_server_database():
    result = _engage("demo", "--no-serve", env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/prod"})
    assert result.exit_code == 2
    assert "will not wipe" in result.output
    assert "nobody@127.0.0.1:1/prod" in result.output


def test_demo_load_refuses_a_database_that_has_data(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    assert _engage("db", "upgrade", env={"DATABASE_URL": url}).exit_code == 0
    first = _engage("demo-load", "--today", "2026-11-22", env={"DATABASE_URL": url})
    assert first.exit_code == 0, first.output
    second = _engage("demo-load", env={"DATABASE_URL": url})
    assert second.exit_code == 1
    assert "Error:" in second.output


def test_the_served_demo_prints_engages_address_before_the_providers(tmp_path, monkeypatch):
    import engage.cli

    served = []
    monkeypatch.setattr(engage.cli, "run_simple", lambda host, port, app, **kw: served.append(port))
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    result = _engage("demo", "--no-prefect", "--port", "5099", "--today", "2026-11-22",
                     env={"DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    assert served == [5099]
    first_address = re.search(r"https?://\S+", result.output).group(0)
    assert first_address == "http://127.0.0.1:5099/", result.output
