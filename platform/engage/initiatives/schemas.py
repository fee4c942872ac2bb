"""Initiatives and their members in the API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from engage.api.fields import Id, Int, Money, Str
from engage.api.routing import PageArgs
from engage.api.schemas import OrganisationRefSchema
from engage.escalations.ladder_schemas import (  # noqa: F401  (the initiative's ladder)
    LadderSchema,
    LadderWriteSchema,
)
from engage.initiatives.models import InitiativeStatus, MemberRole, MemberStatus


class InitiativeSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    theme = fields.String(required=True)
    description = fields.String()
    common_goals = fields.String()
    preparation = fields.String()
    status = fields.Enum(InitiativeStatus, by_value=True, required=True)
    coordinator = fields.Nested(OrganisationRefSchema, required=True)
    created_at = fields.DateTime(required=True)


class InitiativeListArgs(PageArgs):
    status = fields.Enum(InitiativeStatus, by_value=True, load_default=None)
    theme = Str(100, load_default=None)
    q = Str(100, load_default=None, metadata={"description": "Part of the title or theme."})


class MemberSchema(Schema):
    id = fields.Integer(required=True)
    initiative_id = fields.Integer(required=True)
    organisation = fields.Nested(OrganisationRefSchema, required=True)
    role = fields.Enum(MemberRole, by_value=True, required=True)
    status = fields.Enum(MemberStatus, by_value=True, required=True)
    committed_resources = fields.String()
    aum_committed_eur = Money(allow_none=True)
    conflict_of_interest = fields.String()
    joined_at = fields.DateTime(required=True)
    admitted_at = fields.DateTime(allow_none=True)


class MemberListArgs(PageArgs):
    status = fields.Enum(MemberStatus, by_value=True, load_default=None)


class SignOnSchema(Schema):
    """Sign your organisation on to the initiative (the coordinator then admits or declines)."""

    role = fields.Enum(MemberRole, by_value=True, required=True)
    aum_committed_eur = Money(load_default=None, allow_none=True)
    committed_resources = Str(load_default="")
    conflict_of_interest = Str(load_default="")
    independence_confirmed = fields.Boolean(required=True)


class MemberDecisionSchema(Schema):
    """The coordinator admits or declines a pending application."""

    status = fields.String(required=True, validate=validate.OneOf(["admitted", "declined"]),
                           metadata={"enum": ["admitted", "declined"]})
    reason = Str(1000, load_default="", metadata={
        "description": "Why, told to the applicant (for a decline)."})
