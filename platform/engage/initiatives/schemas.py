"""Initiatives and their members in the API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from engage.api.fields import Id, Int, Money, Str
from engage.api.routing import PageArgs
from engage.api.schemas import OrganisationRefSchema
from engage.escalations.ladders import DESCRIPTION_MAX, MAX_STEPS, WAIT_DAYS_MAX
from engage.escalations.models import StepKind
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


class LadderStepSchema(Schema):
    id = fields.Integer(required=True)
    position = fields.Integer(required=True)
    kind = fields.Enum(StepKind, by_value=True, required=True)
    wait_days = fields.Integer(required=True, metadata={
        "description": "Days the company has to respond to this step before the leads review."})
    description = fields.String(attribute="shown_description", metadata={
        "description": "What the step asks of the members (in your language when there is one)."})


class LadderSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(attribute="shown_name", required=True)
    description = fields.String(attribute="shown_description")
    initiative_id = fields.Integer(allow_none=True)
    is_template = fields.Boolean(required=True)
    steps = fields.List(fields.Nested(LadderStepSchema), required=True)


class LadderStepInputSchema(Schema):
    """A step of the ladder as it should be: with the ``id`` of a step to keep it, without
    one for a new step. A step in use that changes is retired and a new one takes its place."""

    id = Id(load_default=None, allow_none=True)
    kind = fields.Enum(StepKind, by_value=True, required=True)
    wait_days = Int(maximum=WAIT_DAYS_MAX, required=True)
    description = Str(DESCRIPTION_MAX, load_default="")


class LadderWriteSchema(Schema):
    """The initiative's ladder, written whole: ``steps`` in order, mildest first, or
    ``copy_from`` (a template or another ladder you see) to start from its steps."""

    steps = fields.List(fields.Nested(LadderStepInputSchema), load_default=None,
                        validate=validate.Length(1, MAX_STEPS))
    copy_from = Id(load_default=None, allow_none=True)
