"""Two processes writing one database: a transaction that reads, then writes after another
process committed, waits for its turn instead of failing with "database is locked".

On SQLite (engage.db.configure_engine) a transaction begins immediate, taking the write lock
first, everywhere but in requests with a safe method; reads stay concurrent (write-ahead
log). On PostgreSQL nothing of this applies and the same story simply works.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time

import pytest
import sqlalchemy as sa

import engage.db
from engage.extensions import db
from tests.conftest import POSTGRES_URL
from tests.escalations.committed_db import committed_database

# The other process: the sweep of a worker, say. It writes one row when told to.
WRITER = """
import sys
import sqlalchemy as sa
from engage import create_app
from engage.extensions import db
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1]})
with app.app_context():
    db.session.execute(sa.text("SELECT 1"))
    db.session.commit()
    print("ready", flush=True)
    sys.stdin.readline()
    db.session.execute(sa.text("INSERT INTO lock_probe (who) VALUES ('other process')"))
    db.session.commit()
    print("committed", flush=True)
"""


@pytest.fixture
def probe(tmp_path):
    with committed_database(tmp_path) as (app, url):
        with app.app_context():
            sa.Table("lock_probe", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("who", sa.String(20), nullable=False)).create(db.engine)
        yield app, url


def _read_then_write_while_another_process_commits(app, url, tmp_path) -> list[str]:
    """This process reads, the other process writes and commits, then this one writes: the
    shape of ``record_decision`` while a sweep runs. Returns the rows in commit order."""
    env = {**os.environ, "ENGAGE_INSTANCE_PATH": str(tmp_path)}
    other = subprocess.Popen([sys.executable, "-c", WRITER, url], env=env, text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line.strip()) for line in other.stdout],
                     daemon=True).start()
    try:
        assert lines.get(timeout=60) == "ready"
        with app.app_context():
            try:
                db.session.execute(sa.text("SELECT count(*) FROM lock_probe")).scalar()
                other.stdin.write("go\n")
                other.stdin.flush()
                try:  # committed at once, or waiting for this transaction to end
                    lines.get(timeout=1.5)
                except queue.Empty:
                    pass
                db.session.execute(sa.text("INSERT INTO lock_probe (who) VALUES ('this one')"))
                db.session.commit()
            finally:
                db.session.rollback()
        assert other.wait(timeout=30) == 0
        with app.app_context():
            rows = db.session.execute(sa.text("SELECT who FROM lock_probe ORDER BY id")).scalars()
            return list(rows)
    finally:
        if other.poll() is None:
            other.kill()
            other.wait()


def test_a_read_then_write_waits_for_the_other_process(probe, tmp_path):
    app, url = probe
    rows = _read_then_write_while_another_process_commits(app, url, tmp_path)
    if POSTGRES_URL:  # READ COMMITTED: the other process commits first, nobody waits
        assert sorted(rows) == ["other process", "this one"]
    else:  # this transaction held the write lock from its BEGIN: the other one waited
        assert rows == ["this one", "other process"]


@pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite's deferred transactions")
def test_a_deferred_transaction_fails_in_the_same_story(probe, tmp_path, monkeypatch):
    """What the test above guards against: with a plain (deferred) ``BEGIN`` the same story
    fails at once, whatever ``busy_timeout`` says."""
    app, url = probe
    monkeypatch.setattr(engage.db, "begins_immediate", lambda: False)
    started = time.monotonic()
    with pytest.raises(sa.exc.OperationalError, match="database is locked"):
        _read_then_write_while_another_process_commits(app, url, tmp_path)
    assert time.monotonic() - started < 30


def test_reads_and_writes_do_not_wait_for_each_other(probe):
    """A page's read and a writer's commit go on side by side (SQLite: write-ahead log;
    with a rollback journal, an open read holds up every commit)."""
    app, _ = probe
    with app.app_context():
        with app.test_request_context("/", method="GET"), db.engine.connect() as reader:
            reader.begin()  # a page's transaction: deferred
            assert reader.execute(sa.text("SELECT count(*) FROM lock_probe")).scalar() == 0
            started = time.monotonic()
            with db.engine.connect() as writer, writer.begin():
                writer.execute(sa.text("INSERT INTO lock_probe (who) VALUES ('writer')"))
            committed = time.monotonic() - started
            reader.execute(sa.text("SELECT count(*) FROM lock_probe")).scalar()
            reader.rollback()
    assert committed < 1  # not busy_timeout's 10 s


def test_which_transactions_begin_immediate(app):
    assert engage.db.begins_immediate()  # commands, flows and scripts
    with engage.db.reading():  # ... unless they say they only read
        assert not engage.db.begins_immediate()
    assert engage.db.begins_immediate()
    with app.test_request_context("/engagements", method="GET"):
        assert not engage.db.begins_immediate()
    with app.test_request_context("/engagements", method="POST"):
        assert engage.db.begins_immediate()
    # Safe methods whose views write (audited downloads) begin immediate too.
    for path in ("/reports/download.csv", "/organisation/audit/export.csv", "/votes/export.csv",
                 "/api/v1/reports/stewardship/csv", "/login/acme", "/auth/acme/callback"):
        with app.test_request_context(path, method="GET") as ctx:
            assert ctx.request.endpoint, path
            assert engage.db.begins_immediate(), path
    with app.test_request_context("/reports/download.csv", method="HEAD"):
        assert engage.db.begins_immediate()


def _safe_request_writes(app, marked: bool, commit_between: bool) -> list[str]:
    """What the suite's watch (tests/conftest.py) finds when a GET request reads, then
    writes, in a view marked @writes or not; the list is emptied for the test's own end."""
    from tests import conftest

    endpoint = next(e for e, view in sorted(app.view_functions.items())
                    if engage.db.is_marked_writes(view) is marked
                    and not any(r.arguments for r in app.url_map.iter_rules(e))
                    and "GET" in next(app.url_map.iter_rules(e)).methods)
    path = next(app.url_map.iter_rules(endpoint)).rule
    db.session.execute(sa.text("CREATE TABLE IF NOT EXISTS write_probe (n INTEGER)"))
    db.session.commit()
    with app.test_request_context(path, method="GET"):
        db.session.execute(sa.text("SELECT count(*) FROM write_probe"))
        if commit_between:
            db.session.commit()
        db.session.execute(sa.text("INSERT INTO write_probe (n) VALUES (1)"))
        db.session.rollback()
    found = list(conftest._unmarked_writes)
    conftest._unmarked_writes.clear()
    return found


def test_the_suite_catches_a_get_that_writes_unmarked(app, db_session):
    """The check in tests/conftest.py can fail: a read then a write in an unmarked GET is
    reported; the same in a marked view, or with a commit between, is not."""
    [found] = _safe_request_writes(app, marked=False, commit_between=False)
    assert found.startswith("GET /") and "INSERT INTO write_probe" in found
    assert _safe_request_writes(app, marked=True, commit_between=False) == []
    assert _safe_request_writes(app, marked=False, commit_between=True) == []
