"""``/api/v1/notifications``: the calling person's own notifications, newest first.

Each one's subject and body are written as it is read, in the caller's language (the
profile's, else ``Accept-Language``): a person who switches language reads every
notification in the new one."""

from __future__ import annotations

import sqlalchemy as sa
from marshmallow import Schema, fields

from engage.api.routing import operation, paginate
from engage.notifications.models import Notification
from engage.security import current_user


class NotificationSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.Function(lambda n: n.kind.value, required=True)
    subject = fields.Function(lambda n: n.text()[0], required=True)
    body = fields.Function(lambda n: n.text()[1], required=True)
    link = fields.String(required=True, metadata={
        "description": "A path on this site, to put the site's address in front of."})
    engagement_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime(required=True)
    read_at = fields.DateTime(allow_none=True)


@operation("GET", "/notifications", tag="notifications",
           summary="List your own notifications, in your language", response=NotificationSchema,
           paginated=True)
def list_notifications(args):
    """The calling person's notifications (the token's creator), newest first."""
    stmt = (sa.select(Notification).where(Notification.user_id == current_user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc()))
    return paginate(stmt, args)
