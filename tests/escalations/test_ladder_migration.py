"""Migration 0016 adds columns to escalation_ladder. On SQLite that copies the table into a
new one; the steps of every ladder, and what points to them, must come through."""

from __future__ import annotations

import sqlalchemy as sa

from tests.test_migrations import _engage, empty_database_url  # noqa: F401  (a fixture)


def _counts(engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (conn.exec_driver_sql("SELECT count(*) FROM escalation_ladder").scalar(),
                conn.exec_driver_sql("SELECT count(*) FROM ladder_step").scalar())


def test_upgrading_and_downgrading_keeps_every_ladder_step(empty_database_url):  # noqa: F811
    assert _engage(empty_database_url, "db", "upgrade", "0015").exit_code == 0
    engine = sa.create_engine(empty_database_url)
    try:
        before = _counts(engine)
        assert before[1] > 0, "the installed templates have steps"
        result = _engage(empty_database_url, "db", "upgrade", "0016")
        assert result.exit_code == 0, result.output
        assert _counts(engine) == before
        result = _engage(empty_database_url, "db", "downgrade", "0015")
        assert result.exit_code == 0, result.output
        assert _counts(engine) == before
    finally:
        engine.dispose()
