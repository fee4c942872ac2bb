"""A person's in-app notifications: reviews to decide, letters to sign, votes asked for."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, url_for

from engage import render_cache
from engage.common.paging import current_page
from engage.db import utcnow
from engage.extensions import db
from engage.notifications import links
from engage.notifications.models import Notification
from engage.security import Permission, current_principal, current_user, one_or_404, requires

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.app_template_global("unread_notifications")
def _unread_notifications() -> int:
    """The layout's count: read with the principal (engage.security), unless this request
    has written since (it may have read or made a notification)."""
    if not current_user:
        return 0
    counted = current_principal.unread_notifications
    if counted is None or render_cache.has_written(db.session()):
        return unread_count()
    return counted


def _mine():
    # Tenancy limits notifications to the organisation; a person sees only their own.
    return sa.select(Notification).where(Notification.user_id == current_user.id)


def unread_count() -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(
            _mine().where(Notification.read_at.is_(None)).subquery()
        )
    )


def load_notification(notification_id: int) -> Notification:
    return one_or_404(_mine().where(Notification.id == notification_id))


@bp.get("")
@requires(Permission.READ)
def index():
    page = current_page()
    rows = db.session.scalars(
        _mine().order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(page.size + 1).offset(page.offset)
    ).all()
    return render_template("notifications/index.html", rows=rows[: page.size], page=page.number,
                           more=len(rows) > page.size)


# Marking one's own notification read is not a change to the organisation's data, so
# viewers may do it too: the permission is READ on an object only its owner can load.
@bp.post("/<int:notification_id>/open")
@requires(Permission.READ, load=load_notification, arg="note")
def open_(note: Notification):
    if note.read_at is None:
        note.read_at = utcnow()
        db.session.commit()
    return redirect(links.opened(note.link) or url_for(".index")), 303


@bp.post("/read")
@requires(Permission.READ)
def read_all():
    db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    return redirect(url_for(".index")), 303
