"""A database of its own, with real commits, for tests where several processes or threads
must see each other's work (the rolled-back ``db_session`` cannot). SQLite: a new file;
PostgreSQL: a new database next to the test database, dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from engage import create_app
from engage.extensions import db
from tests.conftest import POSTGRES_URL


@contextmanager
def committed_database(tmp_dir: Path, **config) -> Iterator[tuple[Flask, str]]:
    """(app, url) of a freshly migrated database; the app's ``db.session`` commits for real."""
    from flask_migrate import upgrade

    admin = None
    if POSTGRES_URL:
        base = sa.engine.make_url(POSTGRES_URL)
        name = f"{base.database}_engine_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = base.set(database=name).render_as_string(hide_password=False)
    else:
        name = None
        url = f"sqlite:///{tmp_dir / 'committed.db'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, **config})
    try:
        with app.app_context():
            upgrade()
        yield app, url
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()
