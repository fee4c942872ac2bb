"""The Prefect plugin: Engage finds it through its entry point and never imports it."""

from __future__ import annotations

from click.testing import CliRunner

from engage import create_app, orchestrator
from engage.cli import cli
from workflows.client import PrefectOrchestrator, flow_run_url


def test_every_app_gets_the_prefect_orchestrator():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        assert isinstance(orchestrator.installed(), PrefectOrchestrator)
        app.config["PREFECT_API_URL"] = None
        assert orchestrator.request_apply(1) is None  # declines: the sweep applies it
        assert orchestrator.status() == "not configured"
        app.config["PREFECT_API_URL"] = "http://127.0.0.1:4200/api"
        assert orchestrator.run_url("abc") == "http://127.0.0.1:4200/runs/flow-run/abc"


def test_the_engage_command_has_the_plugins_worker_and_sweep():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0, result.output
    assert "worker " in result.output and "sweep " in result.output


def test_the_worker_needs_prefects_address(tmp_path):
    result = CliRunner().invoke(cli, ["worker"], env={
        "PREFECT_API_URL": "", "DATABASE_URL": f"sqlite:///{tmp_path / 'engage.db'}"})
    assert result.exit_code == 2 and "set PREFECT_API_URL" in result.output


def test_engage_sweep_sweeps_at_the_given_moment_in_the_platforms_zone(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'engage.db'}", "ENGAGE_TIMEZONE": "Europe/Amsterdam",
           "ENGAGE_INSTANCE_PATH": str(tmp_path)}
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"], env=env).exit_code == 0
    result = runner.invoke(cli, ["sweep", "--now", "2027-03-01T09:00"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Sweep at 2027-03-01T09:00:00+01:00")
    assert "reviews opened      0" in result.output


def test_flow_run_links_point_at_the_prefect_ui():
    url = flow_run_url("abc", "http://127.0.0.1:4200/api")
    assert url == "http://127.0.0.1:4200/runs/flow-run/abc"
    assert flow_run_url(None, "http://x/api") is None
