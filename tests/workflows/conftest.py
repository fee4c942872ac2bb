"""One Prefect server for the whole session, and a committed database the flows can see."""

from __future__ import annotations

import pytest

from engage.extensions import db
from engage.tenancy import system_scope
from tests.escalations.committed_db import committed_database
from tests.escalations.conftest import build_world


@pytest.fixture(scope="session")
def prefect_api_url():
    """Prefect's own test harness: a temporary server (≈12 s to start), used by every flow test."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield PREFECT_API_URL.value()


@pytest.fixture
def flow_app(tmp_path, prefect_api_url):
    """A committed database with the test world; the flows' tasks run in this app."""
    from workflows.app import use_app

    with committed_database(tmp_path) as (app, url):
        with app.app_context():
            world = build_world(db.session)
            with system_scope("test world"):
                db.session.commit()
        use_app(app)
        try:
            yield app, url, world
        finally:
            use_app(None)
