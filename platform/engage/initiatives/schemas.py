"""Initiatives and their members in the API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from engage.api.fields import Id, Int, Money, Str
from engage.api.routing import PageArgs
from engage.api.schemas import OrganisationRefSchema, UserRefSchema
from engage.escalations.ladder_schemas import (  # noqa: F401  (the initiative's ladder)
    LadderSchema,
    LadderWriteSchema,
)
from engage.initiatives.models import InitiativeStatus, MemberRole, MemberStatus
from engage.initiatives.service import MAX_TEXT


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


class InitiativeWriteSchema(Schema):
    """An initiative as its coordinator states it (the same checks as the page's form)."""

    title = Str(200, min_length=1, required=True)
    theme = Str(100, min_length=1, required=True)
    description = Str(MAX_TEXT, load_default="")
    common_goals = Str(MAX_TEXT, min_length=1, required=True, metadata={
        "description": "What the members commit to achieve together."})
    preparation = Str(MAX_TEXT, load_default="")
    status = fields.Enum(InitiativeStatus, by_value=True, load_default=InitiativeStatus.DRAFT,
                         metadata={"description": "draft (only you see it), recruiting (every "
                                                  "organisation sees it and may sign on), "
                                                  "active or closed."})
    ladder_id = Id(load_default=None, allow_none=True, metadata={
        "description": "A template or another ladder you see, copied as the initiative's "
                       "own escalation ladder (only while it has none)."})


class InitiativeCreateSchema(InitiativeWriteSchema):
    aum_committed_eur = Money(load_default=None, allow_none=True, metadata={
        "description": "The assets your organisation (the coordinator, its lead member) "
                       "commits; letters state it beside your signature."})


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
    left_at = fields.DateTime(allow_none=True, metadata={
        "description": "When it left or was removed (status 'left' or 'removed')."})
    left_reason = fields.String()


class MemberListArgs(PageArgs):
    status = fields.Enum(MemberStatus, by_value=True, load_default=None)


class SignOnSchema(Schema):
    """Sign your organisation on to the initiative (the coordinator then admits or declines)."""

    role = fields.Enum(MemberRole, by_value=True, required=True)
    aum_committed_eur = Money(load_default=None, allow_none=True)
    committed_resources = Str(load_default="")
    conflict_of_interest = Str(load_default="")
    independence_confirmed = fields.Boolean(required=True)
    attestation_version = Int(maximum=32767, load_default=None, allow_none=True, metadata={
        "description": "The version of the antitrust guardrail shown to the person signing "
                       "on (GET /attestation-text); the current one when absent. "
                       "A stale version is refused."})


class MemberDecisionSchema(Schema):
    """The coordinator admits or declines a pending application."""

    status = fields.String(required=True, validate=validate.OneOf(["admitted", "declined"]),
                           metadata={"enum": ["admitted", "declined"]})
    reason = Str(1000, load_default="", metadata={
        "description": "Why, told to the applicant (for a decline)."})


# --- membership over time ------------------------------------------------------------------


class CommitmentSchema(Schema):
    """What the member's organisation commits now (co-leads and supporters: resources)."""

    committed_resources = Str(load_default="")
    aum_committed_eur = Money(load_default=None, allow_none=True)


class ReasonSchema(Schema):
    reason = Str(1000, load_default="", metadata={
        "description": "Why (required for a removal; shown to the member)."})


class HandOverSchema(Schema):
    """Hand coordination over to another admitted member (by its member id)."""

    member_id = Id(required=True)


class AttestationSchema(Schema):
    id = fields.Integer(required=True)
    initiative_id = fields.Integer(required=True)
    member_id = fields.Integer(required=True)
    organisation = fields.Nested(OrganisationRefSchema, required=True)
    accepted_by = fields.Nested(UserRefSchema, allow_none=True)
    version = fields.Integer(required=True, metadata={
        "description": "The version of the guardrail's text accepted."})
    accepted_at = fields.DateTime(required=True)
    conflict_of_interest = fields.String(required=True)


class AttestationTextSchema(Schema):
    version = fields.Integer(required=True)
    effective_on = fields.Date(required=True)
    guardrail = fields.String(required=True)
    confirmation = fields.String(required=True)
