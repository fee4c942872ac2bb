"""Test harness: one migrated database per run, one rolled-back transaction per test.

SQLite by default; set ENGAGE_TEST_DATABASE_URL (e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/test) to run the same suite on PostgreSQL.

``make test`` runs the suite in two processes (pytest-xdist, ``-n 2``). Each has a database
of its own: on PostgreSQL ``<name>_gw0``, ``<name>_gw1`` beside the given one (created with
its credentials), on SQLite a file in its own temporary folder. The migrations run once per
process, into a template (:func:`migrated_copy`); every other database a test needs
migrated is a copy of it (PostgreSQL ``CREATE DATABASE ... TEMPLATE``, SQLite a file copy).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

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

# pytest-xdist names each worker process (gw0, gw1, ...); unset in a single-process run.
WORKER = os.environ.get("PYTEST_XDIST_WORKER")


def _worker_database(url: str | None) -> str | None:
    """A worker's own PostgreSQL database next to the given one, created afresh with the
    given one's credentials: two processes never share a database."""
    if not url or not WORKER:
        return url
    if os.environ.get("ENGAGE_TEST_WORKER_DATABASE_URL"):  # made once per process
        return os.environ["ENGAGE_TEST_WORKER_DATABASE_URL"]
    given = sa.engine.make_url(url)
    name = f"{given.database}_{WORKER}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        admin.dispose()
    own = given.set(database=name).render_as_string(hide_password=False)
    os.environ["ENGAGE_TEST_WORKER_DATABASE_URL"] = own
    return own


POSTGRES_URL = _worker_database(os.environ.get("ENGAGE_TEST_DATABASE_URL"))


def is_postgres() -> bool:
    return bool(POSTGRES_URL)


def shared_setup(nodeid: str) -> str | None:
    """The costly module- or session-wide set-up a test shares with others, if any: each
    browser module (its server, providers and browser), the flows (one Prefect server), the
    concurrency module (its committed database)."""
    path = nodeid.split("::", 1)[0]
    if path.startswith("tests/workflows/"):
        return "tests/workflows/"
    if path.startswith("tests/browser/") or path == "tests/escalations/test_concurrency.py":
        return path
    return None


def pytest_xdist_make_scheduler(config, log):
    """With ``-n`` (``make test``): each test goes to whichever worker is free, except that
    the tests of one :func:`shared_setup` go to one worker together (largest first), so each
    set-up is made once."""
    from xdist.scheduler import LoadScopeScheduling

    class SharedSetupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return shared_setup(nodeid) or nodeid

    return SharedSetupScheduling(config, log)


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


def _admin_sql(*statements: str) -> None:
    engine = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


_template: dict[str, str] = {}


def _migrated_template() -> str:
    """This process's migrated template database, built on first use: PostgreSQL
    ``<test database>_template``, or an SQLite file. Nothing stays connected to it."""
    if "url" in _template:
        return _template["url"]
    from flask_migrate import upgrade

    if POSTGRES_URL:
        base = sa.engine.make_url(POSTGRES_URL)
        name = f"{base.database}_template"
        _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
        url = base.set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{Path(_INSTANCE) / 'template.db'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()
    _template["url"] = url
    return url


def migrated_copy(tmp_dir: Path, name: str) -> str:
    """The URL of a new database migrated to the head, as ``engage db upgrade`` leaves it:
    a copy of the template. PostgreSQL: ``<test database>_<name>`` (:func:`drop_copy`
    drops it); SQLite: ``<name>.db`` in ``tmp_dir``."""
    template = _migrated_template()
    if POSTGRES_URL:
        base = sa.engine.make_url(POSTGRES_URL)
        copy = f"{base.database}_{name}"
        source = sa.engine.make_url(template).database
        _admin_sql(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)',
                   f'CREATE DATABASE "{copy}" TEMPLATE "{source}"')
        return base.set(database=copy).render_as_string(hide_password=False)
    target = tmp_dir / f"{name}.db"
    shutil.copyfile(sa.engine.make_url(template).database, target)
    return f"sqlite:///{target}"


def drop_copy(url: str) -> None:
    """Drops a PostgreSQL copy made by :func:`migrated_copy`; an SQLite copy goes with its
    temporary folder."""
    if POSTGRES_URL:
        _admin_sql(f'DROP DATABASE IF EXISTS "{sa.engine.make_url(url).database}" WITH (FORCE)')


def pytest_sessionfinish(session):
    """The template goes; so does a worker's own database (nothing may hold it open)."""
    if not POSTGRES_URL:
        return
    if "url" in _template:
        drop_copy(_template.pop("url"))
    if WORKER:
        given = os.environ["ENGAGE_TEST_DATABASE_URL"]
        engine = sa.create_engine(given, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql('DROP DATABASE IF EXISTS "{}" WITH (FORCE)'.format(
                    sa.engine.make_url(POSTGRES_URL).database))
        finally:
            engine.dispose()


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
            # Written aside and moved into place: two test processes may compile it at once.
            part = mo.with_suffix(f".{os.getpid()}.part")
            with po.open("rb") as source, part.open("wb") as target:
                write_mo(target, read_po(source, locale=po.parts[-3]))
            os.replace(part, mo)


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


# --- a GET that writes must say so (engage.db.writes) ----------------------------------------
#
# On SQLite a request with a safe method reads in a deferred transaction; one that then
# writes in the same transaction fails at once with "database is locked" whenever another
# connection committed meanwhile, so such a view must be marked @writes (its transaction
# then begins immediate). Every request of the suite is watched: a write after a read, in
# one transaction (on one connection) of a safe-method request whose view is not marked,
# fails the test. (A write that begins a transaction of its own, after a commit, is safe.)

_WRITE_STATEMENT = ("INSERT", "UPDATE", "DELETE")
_unmarked_writes: list[str] = []


def _in_unmarked_safe_request():
    from flask import has_request_context, request

    from engage.db import SAFE_METHODS, begins_immediate

    return has_request_context() and request.method in SAFE_METHODS and not begins_immediate()


@sa.event.listens_for(sa.Engine, "before_cursor_execute")
def _watch_safe_requests(conn, cursor, statement, parameters, context, executemany):
    if not _in_unmarked_safe_request():
        return
    from flask import request

    verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
    if verb in _WRITE_STATEMENT:
        if conn.info.get(_READ_KEY):
            _unmarked_writes.append(f"{request.method} {request.path} ({request.endpoint}): "
                                    f"{' '.join(statement.split())[:120]}")
    elif verb in ("SELECT", "WITH") and not statement.lstrip().startswith("SELECT set_config("):
        conn.info[_READ_KEY] = True  # (PostgreSQL's per-transaction tenancy settings read nothing)


_READ_KEY = "test_read_in_transaction"


def _transaction_ended(conn, *args):
    conn.info.pop(_READ_KEY, None)


for _event in ("begin", "commit", "rollback", "release_savepoint", "rollback_savepoint"):
    sa.event.listen(sa.Engine, _event, _transaction_ended)


@pytest.fixture(autouse=True)
def _gets_that_write_are_marked():
    _unmarked_writes.clear()
    yield
    if _unmarked_writes:
        found = sorted(set(_unmarked_writes))
        _unmarked_writes.clear()
        pytest.fail("a safe-method request wrote after reading, in one transaction, and its "
                    "view is not marked @writes (engage.db.writes):\n" + "\n".join(found))


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
