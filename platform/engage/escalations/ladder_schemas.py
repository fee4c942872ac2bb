"""Ladders in the API: an initiative's, an engagement's (tailored or shared), and the
templates (installed, read-only; or an organisation's own). Step texts come and go in both
languages: ``description`` in English, ``description_nl`` in Dutch."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from engage.api.fields import Id, Int, Str
from engage.api.routing import PageArgs
from engage.escalations.ladder_writes import NAME_MAX, TEXT_MAX
from engage.escalations.ladders import DESCRIPTION_MAX, MAX_STEPS, WAIT_DAYS_MAX
from engage.escalations.models import StepKind


class LadderStepSchema(Schema):
    id = fields.Integer(required=True)
    position = fields.Integer(required=True)
    kind = fields.Enum(StepKind, by_value=True, required=True)
    wait_days = fields.Integer(required=True, metadata={
        "description": "Days the company has to respond to this step before the leads review."})
    description = fields.String(required=True, metadata={
        "description": "What the step asks of the members, in English."})
    description_nl = fields.String(required=True, metadata={
        "description": "The same in Dutch (empty when not written)."})


class LadderSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True, metadata={"description": "In English."})
    name_nl = fields.String(required=True, metadata={"description": "In Dutch (may be empty)."})
    description = fields.String(required=True)
    description_nl = fields.String(required=True)
    initiative_id = fields.Integer(allow_none=True, metadata={
        "description": "The initiative whose shared ladder this is."})
    engagement_id = fields.Integer(allow_none=True, metadata={
        "description": "The engagement this ladder is tailored to."})
    organisation_id = fields.Integer(allow_none=True, metadata={
        "description": "The organisation that keeps this template (none: installed)."})
    is_template = fields.Boolean(required=True)
    installed = fields.Boolean(required=True, metadata={
        "description": "A template installed with Engage: read-only."})
    tailored = fields.Boolean(required=True, metadata={
        "description": "Tailored to one engagement by its leads, diverging from the shared "
                       "ladder."})
    steps = fields.List(fields.Nested(LadderStepSchema), required=True)


class LadderStepInputSchema(Schema):
    """A step of the ladder as it should be: with the ``id`` of a step to keep it, without
    one for a new step. A step in use that changes is retired and a new one takes its place.
    Without ``description_nl`` a kept step keeps its Dutch while its English stays."""

    id = Id(load_default=None, allow_none=True)
    kind = fields.Enum(StepKind, by_value=True, required=True)
    wait_days = Int(maximum=WAIT_DAYS_MAX, required=True)
    description = Str(DESCRIPTION_MAX, load_default="")
    description_nl = Str(DESCRIPTION_MAX, load_default=None, allow_none=True)


class LadderWriteSchema(Schema):
    """The ladder, written whole: ``steps`` in order, mildest first, or ``copy_from`` (a
    template or another ladder you see) to start from its steps."""

    steps = fields.List(fields.Nested(LadderStepInputSchema), load_default=None,
                        validate=validate.Length(1, MAX_STEPS))
    copy_from = Id(load_default=None, allow_none=True)


class TemplateWriteSchema(LadderWriteSchema):
    """An organisation's own template: its names and descriptions (English required) and
    its steps, or ``copy_from`` when creating one."""

    name = Str(NAME_MAX, required=True)
    name_nl = Str(NAME_MAX, load_default="")
    description = Str(TEXT_MAX, load_default="")
    description_nl = Str(TEXT_MAX, load_default="")


class TemplateListArgs(PageArgs):
    own = fields.Boolean(load_default=False, metadata={
        "description": "Only your organisation's own templates."})
