"""`engage demo` starts Prefect's local server and a worker whose first sweep opens the
demo's reviews (a real server and worker processes: ≈25 s)."""

from __future__ import annotations

import sqlite3
import time

import requests
from click.testing import CliRunner

from engage import create_app
from engage.cli import cli, start_orchestrator


def test_the_demo_runs_prefect_and_a_worker_that_opens_reviews(tmp_path):
    path = tmp_path / "demo.db"
    result = CliRunner().invoke(cli, ["demo", "--no-serve"], env={"DATABASE_URL": f"sqlite:///{path}"})
    assert result.exit_code == 0, result.output
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        local = start_orchestrator(path)
        try:
            assert local.api_url.startswith("http://127.0.0.1:")
            assert app.config["PREFECT_API_URL"] == local.api_url
            # Its UI, served on the same port, asks that API (not the default port 4200), so
            # the pages' "Flow run in Prefect" links open.
            ui = requests.get(local.api_url.removesuffix("/api") + "/ui-settings", timeout=10)
            assert ui.json()["api_url"] == local.api_url
            deadline = time.monotonic() + 90
            reviews = 0
            while time.monotonic() < deadline and not reviews:
                time.sleep(1)
                with sqlite3.connect(path) as conn:
                    reviews = conn.execute("SELECT count(*) FROM escalation_review").fetchone()[0]
        finally:
            local.stop()
    assert reviews > 0
    assert all(child.poll() is not None for child in local.processes)
