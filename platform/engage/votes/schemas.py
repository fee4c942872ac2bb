"""Votes (private to each organisation) in the API."""

from __future__ import annotations

from marshmallow import Schema, fields

from engage.api.fields import Id, QueryInt, Str
from engage.api.routing import PageArgs
from engage.api.schemas import CompanyRefSchema
from engage.votes.models import VoteInstruction, VoteItemKind, VoteStatus
from engage.votes.service import ITEM_MAX

ITEM_KIND_HELP = ("What the item decides: directors, report (the annual report and accounts) "
                  "or other. A vote for the directors or the report of a company under "
                  "escalation needs a rationale once instructed.")


class VoteSchema(Schema):
    id = fields.Integer(required=True)
    company = fields.Nested(CompanyRefSchema, required=True)
    engagement_id = fields.Integer(allow_none=True)
    decision_id = fields.Integer(allow_none=True)
    agm_on = fields.Date(required=True)
    item = fields.String(required=True)
    item_kind = fields.Enum(VoteItemKind, by_value=True, required=True)
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
    item_kind = fields.Enum(VoteItemKind, by_value=True, load_default=VoteItemKind.OTHER,
                            metadata={"description": ITEM_KIND_HELP})
    instruction = fields.Enum(VoteInstruction, by_value=True, required=True)
    rationale = Str(load_default="", metadata={
        "description": "Required when the vote is cast, and when a vote instructed is "
                       "flagged: it departs from the ask, or it is for the directors or the "
                       "report of a company under escalation."})
    status = fields.Enum(VoteStatus, by_value=True, load_default=VoteStatus.INSTRUCTED,
                         metadata={"description": "instructed or cast (a proposal comes "
                                                  "from an engagement's escalation)."})


class VoteUpdateSchema(Schema):
    """Any of the fields. The status moves forward only (proposed, instructed, cast); a cast
    vote is final (409). Casting needs a rationale, and so does instructing a vote that
    differs from what the engagement asked, or a vote for the directors or the annual report
    of a company under escalation."""

    instruction = fields.Enum(VoteInstruction, by_value=True)
    rationale = Str()
    status = fields.Enum(VoteStatus, by_value=True)
    agm_on = fields.Date()
    item = Str(ITEM_MAX, min_length=1)
    item_kind = fields.Enum(VoteItemKind, by_value=True, metadata={"description": ITEM_KIND_HELP})
