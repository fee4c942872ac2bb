"""The audit trail in the API."""

from __future__ import annotations

from marshmallow import Schema, fields

from engage.api.fields import QueryInt, Str
from engage.api.routing import PageArgs


class AuditEventSchema(Schema):
    id = fields.Integer(required=True)
    at = fields.DateTime(required=True)
    actor_id = fields.Integer(allow_none=True)
    action = fields.String(required=True)
    object_type = fields.String(allow_none=True)
    object_id = fields.String(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    context = fields.String(required=True, metadata={
        "description": "The scope, and for API calls the token: 'org:3 via token:7 (sync)'."})


class AuditEventListArgs(PageArgs):
    action = Str(100, load_default=None, metadata={"description": "e.g. milestone.update"})
    object_type = Str(50, load_default=None)
    object_id = Str(50, load_default=None)
    actor_id = QueryInt(minimum=1, load_default=None)
    since = fields.AwareDateTime(load_default=None, metadata={
        "description": "ISO 8601 with a time zone; events at or after."})
    until = fields.AwareDateTime(load_default=None)
