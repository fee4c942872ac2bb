from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, render_template

from engage.core.service import platform_totals
from engage.security import public
from engage.extensions import db

bp = Blueprint("core", __name__)


@bp.get("/")
def home():
    return render_template("core/home.html", totals=platform_totals(date.today()))


@bp.get("/healthz")
@public
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        return {"status": "error", "database": type(exc).__name__}, 503
    return {"status": "ok", "database": "ok"}
