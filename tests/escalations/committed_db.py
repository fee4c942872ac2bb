"""A database of its own, with real commits, for tests where several processes or threads
must see each other's work (the rolled-back ``db_session`` cannot). SQLite: a new file;
PostgreSQL: a new database next to the test database, dropped afterwards. Either is a copy
of the migrated template (tests/conftest.py, ``migrated_copy``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask

from engage import create_app
from engage.extensions import db
from tests.conftest import drop_copy, migrated_copy


@contextmanager
def committed_database(tmp_dir: Path, **config) -> Iterator[tuple[Flask, str]]:
    """(app, url) of a freshly migrated database; the app's ``db.session`` commits for real."""
    url = migrated_copy(tmp_dir, f"engine_{uuid.uuid4().hex[:8]}")
    try:
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, **config})
        try:
            yield app, url
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    finally:
        drop_copy(url)
