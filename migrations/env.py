"""Alembic environment for Engage (run through Flask-Migrate: `engage db upgrade`)."""

import logging
from contextlib import contextmanager
from logging.config import fileConfig

from alembic import context
from flask import current_app

from engage.db import UTCDateTime  # noqa: E402

config = context.config
if config.config_file_name and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db


def render_item(type_, obj, autogen_context):
    # Migrations describe the database, not Python conversions: UTCDateTime is a
    # DATETIME column there, and migrations must not import application code.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def process_revision_directives(context, revision, directives):
    # `engage db migrate` with no model change writes no empty revision.
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def run_migrations_offline():
    context.configure(
        url=str(target_db.engine.url),
        target_metadata=target_db.metadata,
        literal_binds=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


@contextmanager
def _sqlite_foreign_keys_off(connection):
    """SQLite changes a table's constraints by copying it into a new table and dropping the
    old one (Alembic's batch mode). With foreign keys on, that drop is a DELETE: ON DELETE
    CASCADE removes the rows that point to the table (a letter's signatures) and SET NULL
    unlinks the others (engagements from their current step). SQLite's own procedure:
    foreign keys off, outside any transaction, for the whole run; then check every key and
    turn them on again, for the connection goes back to the pool."""
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.driver_connection  # autocommit: no BEGIN before a PRAGMA
    raw.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"the migration left foreign keys broken: {broken[:5]}")
    finally:
        raw.execute("PRAGMA foreign_keys = ON")


def run_migrations_online():
    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args.setdefault("compare_type", True)
    with target_db.engine.connect() as connection, _sqlite_foreign_keys_off(connection):
        context.configure(
            connection=connection,
            target_metadata=target_db.metadata,
            render_item=render_item,
            **conf_args,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
