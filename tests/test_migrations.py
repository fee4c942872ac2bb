"""The migrations build exactly the models, on SQLite and PostgreSQL, up and down."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner

from engage import create_app
from engage.cli import cli
from engage.db import TenantScoped
from engage.extensions import db
from tests.conftest import POSTGRES_URL



def test_models_and_migrations_agree(app):
    """Autogenerate against the migrated test database finds nothing to do."""
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


@pytest.fixture
def empty_database_url(tmp_path):
    """A database of its own: a new SQLite file, or a new PostgreSQL database."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"engage_mig_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.engine.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _engage(url: str, *args: str):
    runner = CliRunner()
    return runner.invoke(cli, list(args), env={"DATABASE_URL": url}, catch_exceptions=False)


def test_engage_db_upgrade_and_downgrade_on_an_empty_database(empty_database_url):
    result = _engage(empty_database_url, "db", "upgrade")
    assert result.exit_code == 0, result.output
    engine = sa.create_engine(empty_database_url)
    try:
        tables = set(sa.inspect(engine).get_table_names())
        assert set(db.metadata.tables) <= tables
        assert "alembic_version" in tables
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []

        result = _engage(empty_database_url, "db", "downgrade", "base")
        assert result.exit_code == 0, result.output
        engine.dispose()
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}

        result = _engage(empty_database_url, "db", "upgrade")
        assert result.exit_code == 0, result.output
    finally:
        engine.dispose()


def test_every_scoped_model_says_which_rows_an_organisation_sees():
    base = TenantScoped.tenant_criteria.__func__
    scoped = [m.class_ for m in db.Model.registry.mappers if issubclass(m.class_, TenantScoped)]
    assert len(scoped) >= 18
    for model in scoped:
        assert model.tenant_criteria.__func__ is not base, model.__name__


def test_create_app_touches_no_database(tmp_path):
    missing = tmp_path / "no-such-dir" / "engage.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{missing}"})
    assert app.name == "engage"
    assert not missing.parent.exists()


# What points to a table that a migration copies (SQLite's batch mode): a letter's
# signatures (ON DELETE CASCADE) and an engagement's current step (SET NULL).
_LINKS = {
    "signatures": "SELECT count(*) FROM signature",
    "engagements on a step": "SELECT count(*) FROM engagement WHERE current_step_id IS NOT NULL",
    "ladder steps": "SELECT count(*) FROM ladder_step",
    "milestones": "SELECT count(*) FROM milestone",
    "dialogue entries": "SELECT count(*) FROM dialogue_entry",
}


def test_downgrading_and_upgrading_again_keeps_the_rows_that_point_to_copied_tables(
        empty_database_url):
    assert _engage(empty_database_url, "db", "upgrade").exit_code == 0
    result = _engage(empty_database_url, "demo-load")
    assert result.exit_code == 0, result.output
    engine = sa.create_engine(empty_database_url)

    def counts() -> dict[str, int]:
        with engine.connect() as conn:
            return {name: conn.exec_driver_sql(sql).scalar() for name, sql in _LINKS.items()}

    try:
        before = counts()
        assert before["signatures"] > 0 and before["engagements on a step"] > 0
        # 0010 is the first revision before the tables the later ones copy (ladder_step,
        # letter, objective, milestone, escalation_ladder).
        result = _engage(empty_database_url, "db", "downgrade", "0010")
        assert result.exit_code == 0, result.output
        assert counts() == before
        result = _engage(empty_database_url, "db", "upgrade")
        assert result.exit_code == 0, result.output
        assert counts() == before
    finally:
        engine.dispose()
