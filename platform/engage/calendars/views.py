"""/calendar: a person's private feed address; /calendar/<token>.ics: the feed itself."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, url_for
from flask_babel import force_locale

from engage import clock
from engage.calendars import service
from engage.extensions import db
from engage.security import Permission, current_user, public, requires

bp = Blueprint("calendars", __name__, url_prefix="/calendar")


@bp.get("")
@requires(Permission.READ)
def index():
    return render_template("calendars/index.html", feed=service.feed_of(current_user.id), url=None)


# The feed is the person's own, not the organisation's data: viewers may make one too
# (security._VIEWER_MAY_POST lists this endpoint).
@bp.post("")
@requires(Permission.READ)
def regenerate():
    token = service.new_token(current_user.id)
    db.session.commit()
    url = url_for(".feed", token=token, _external=True)
    # Shown once, in this response: only the token's hash is kept.
    return render_template("calendars/index.html", feed=service.feed_of(current_user.id), url=url)


@bp.get("/<token>.ics")
@public
def feed(token: str):
    owner = service.owner_of(token)
    if owner is None:
        abort(404)
    _user_id, org_id, locale = owner
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        body = service.build_ics(org_id, clock.now())
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": 'inline; filename="engage.ics"',
        "Cache-Control": "private, no-store",
    })
