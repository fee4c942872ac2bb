"""Votes (private to each organisation) in the API."""

from __future__ import annotations

from marshmallow import Schema, fields

from engage.api.fields import QueryInt
from engage.api.routing import PageArgs
from engage.api.schemas import CompanyRefSchema
from engage.votes.models import VoteInstruction, VoteStatus


class VoteSchema(Schema):
    id = fields.Integer(required=True)
    company = fields.Nested(CompanyRefSchema, required=True)
    engagement_id = fields.Integer(allow_none=True)
    decision_id = fields.Integer(allow_none=True)
    agm_on = fields.Date(required=True)
    item = fields.String(required=True)
    instruction = fields.Enum(VoteInstruction, by_value=True, required=True)
    requested_instruction = fields.Enum(VoteInstruction, by_value=True, allow_none=True)
    status = fields.Enum(VoteStatus, by_value=True, required=True)
    rationale = fields.String()
    created_at = fields.DateTime(required=True)


class VoteListArgs(PageArgs):
    status = fields.Enum(VoteStatus, by_value=True, load_default=None)
    company_id = QueryInt(minimum=1, load_default=None)
    engagement_id = QueryInt(minimum=1, load_default=None)
    agm_from = fields.Date(load_default=None, metadata={"description": "AGMs on or after."})
    agm_until = fields.Date(load_default=None, metadata={"description": "AGMs on or before."})
