"""What ``/healthz`` asks of the database. (Prefect's health is the orchestrator's to tell:
``engage.orchestrator.status``.)"""

from __future__ import annotations

import sqlalchemy as sa

from engage.extensions import db


def database_status() -> str:
    """``ok``, or the name of the error that stopped ``SELECT 1``."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        db.session.rollback()
        return type(exc).__name__
    return "ok"
