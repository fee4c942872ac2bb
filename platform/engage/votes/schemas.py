"""Votes (private to each organisation) in the API."""

from __future__ import annotations

from marshmallow import Schema, fields

from engage.api.fields import Id, QueryInt, Str
from engage.api.routing import PageArgs
from engage.api.schemas import CompanyRefSchema
from engage.votes.models import VoteInstruction, VoteStatus
from engage.votes.service import ITEM_MAX


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


class VoteCreateSchema(Schema):
    """Record your organisation's own vote on one AGM item (instructed, or already cast)."""

    company_id = Id(required=True)
    engagement_id = Id(load_default=None, allow_none=True, metadata={
        "description": "An engagement with the same company that your organisation sees."})
    agm_on = fields.Date(required=True)
    item = Str(ITEM_MAX, min_length=1, required=True)
    instruction = fields.Enum(VoteInstruction, by_value=True, required=True)
    rationale = Str(load_default="", metadata={
        "description": "Required when the vote is cast."})
    status = fields.Enum(VoteStatus, by_value=True, load_default=VoteStatus.INSTRUCTED,
                         metadata={"description": "instructed or cast (a proposal comes "
                                                  "from an engagement's escalation)."})


class VoteUpdateSchema(Schema):
    """Any of the fields. The status moves forward only (proposed, instructed, cast); a cast
    vote is final (409). Casting needs a rationale, and so does an instruction that differs
    from what the engagement asked."""

    instruction = fields.Enum(VoteInstruction, by_value=True)
    rationale = Str()
    status = fields.Enum(VoteStatus, by_value=True)
    agm_on = fields.Date()
    item = Str(ITEM_MAX, min_length=1)
