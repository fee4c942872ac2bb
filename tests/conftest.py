"""Test harness: one migrated database per run, one rolled-back transaction per test.

SQLite by default; set ENGAGE_TEST_DATABASE_URL (e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/test) to run the same suite on PostgreSQL.
"""

from __future__ import annotations

import os
import tempfile

# Before engage is imported: no secret written to instance/, no Prefect server started by
# accident (a stray flow call then fails fast instead of spawning one).
_INSTANCE = tempfile.mkdtemp(prefix="engage-test-instance-")
os.environ["ENGAGE_INSTANCE_PATH"] = _INSTANCE
os.environ.setdefault("ENGAGE_SECRET_KEY", "test-only-secret")
os.environ["PREFECT_SERVER_EPHEMERAL_ENABLED"] = "false"
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
# Every home page counts its platform totals afresh: the tests change the data between pages.
os.environ["ENGAGE_TOTALS_CACHE_SECONDS"] = "0"

import pytest  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from flask_sqlalchemy.session import Session as FlaskSession  # noqa: E402

from engage import create_app  # noqa: E402
from engage.extensions import db  # noqa: E402

POSTGRES_URL = os.environ.get("ENGAGE_TEST_DATABASE_URL")


def is_postgres() -> bool:
    return bool(POSTGRES_URL)


def reset_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
        conn.exec_driver_sql("DROP FUNCTION IF EXISTS engage_can_see(integer)")
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    if POSTGRES_URL:
        reset_postgres(POSTGRES_URL)
        return POSTGRES_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'engage-test.db'}"


def compile_catalogues() -> None:
    """What `make` does before the tests (``%.mo: %.po``), for a bare ``pytest`` run: a
    missing or stale .mo is compiled, so Dutch pages show Dutch."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    from engage.config import PROJECT_ROOT

    for po in (PROJECT_ROOT / "platform/engage/translations").glob("*/LC_MESSAGES/messages.po"):
        mo = Path(po).with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source, mo.open("wb") as target:
                write_mo(target, read_po(source, locale=po.parts[-3]))


@pytest.fixture(scope="session")
def app(database_url):
    from flask_migrate import upgrade

    compile_catalogues()
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


class _ConnectionBoundSession(FlaskSession):
    """Flask-SQLAlchemy's session picks engines by bind key; in tests every statement
    goes to the one connection whose outer transaction the test rolls back."""

    def get_bind(self, *args, **kwargs):
        return self.bind


@pytest.fixture
def db_session(app):
    """``db.session`` inside a transaction that is rolled back after the test.

    ``commit()`` in the code under test only releases a SAVEPOINT.
    """
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = db._make_scoped_session(
            {
                "class_": _ConnectionBoundSession,
                "bind": connection,
                "join_transaction_mode": "create_savepoint",
            }
        )
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request):
    """Each test starts with no request counted (the suite signs in many times a minute
    from one address); tests/security/test_rate_limits.py sets its own low limits."""
    if "app" in request.fixturenames:
        from engage.extensions import limiter

        limiter.reset()


@pytest.fixture(autouse=True)
def _empty_render_cache(request):
    """Each test starts with no cached fragment: a test's writes are rolled back, so the
    render generation (engage.render_cache) goes back with them, and ids are
    reused on SQLite."""
    if "app" in request.fixturenames:
        from engage.render_cache import cache_of

        cache_of(request.getfixturevalue("app")).clear()


@pytest.fixture
def client(app, db_session):
    return app.test_client()


@pytest.fixture
def frozen_clock(monkeypatch):
    """Freeze the one clock (``engage.clock.now``) at an aware moment: pages, services'
    callers and column defaults (``engage.db.utcnow``) all read that moment."""
    from engage import clock

    def freeze(moment):
        assert moment.tzinfo is not None, "freeze the clock at an aware moment"
        monkeypatch.setattr(clock, "now", lambda: moment)
        return moment

    return freeze


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """Counts the SQL statements a block runs: ``with count_queries() as q: ...; q.count``."""
    from contextlib import contextmanager

    @contextmanager
    def counting():
        counter = QueryCounter()
        with app.app_context():
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            sa.event.remove(engine, "before_cursor_execute", counter)

    return counting


def login_as(client, user, organisation) -> None:
    """Put the user in the test client's session, as the SSO callback does after a real
    sign-in (the end-to-end sign-in itself is tested in tests/auth/)."""
    login_ids(client, user.id, organisation.id, organisation.slug)


def login_ids(client, user_id: int, org_id: int, slug: str) -> str:
    """:func:`login_as` by ids: a server-side session (engage.auth.sessions) and the cookie
    that names it. Returns the session's key."""
    from datetime import timedelta

    from engage.auth import sessions
    from engage.db import utcnow

    now = utcnow()
    key = sessions.start(db.session, user_id, now=now, lifetime=timedelta(hours=8))
    db.session.commit()  # as the callback does: a request's rollback must not undo it
    with client.session_transaction() as session:
        session.update(user_id=user_id, org_id=org_id, sso=slug, sid=key,
                       seen=sessions.stamp(now))
        session.permanent = True
    return key
