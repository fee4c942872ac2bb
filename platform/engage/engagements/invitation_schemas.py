"""Invitations to take part in an engagement, and leaving one, in the API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from engage.api.fields import Id, Str
from engage.api.routing import PageArgs
from engage.api.schemas import OrganisationRefSchema
from engage.engagements.invitations import INVITED_ROLES, MESSAGE_MAX
from engage.engagements.models import InvitationStatus, ParticipantRole


class InvitationSchema(Schema):
    id = fields.Integer(required=True)
    engagement_id = fields.Integer(required=True)
    engagement_title = fields.String(required=True, metadata={
        "description": "The engagement's title when the invitation was sent."})
    company_name = fields.String(required=True)
    organisation = fields.Nested(OrganisationRefSchema, required=True, metadata={
        "description": "The invited organisation."})
    invited_by_organisation = fields.Nested(OrganisationRefSchema, required=True)
    role = fields.Enum(ParticipantRole, by_value=True, required=True)
    message = fields.String(required=True)
    status = fields.Enum(InvitationStatus, by_value=True, required=True)
    created_at = fields.DateTime(required=True)
    decided_at = fields.DateTime(allow_none=True)


class InvitationCreateSchema(Schema):
    """Invite an organisation (the outsourcing client above all) to take part."""

    organisation_id = Id(required=True)
    role = fields.String(required=True, validate=validate.OneOf([r.value for r in INVITED_ROLES]),
                         metadata={"enum": [r.value for r in INVITED_ROLES],
                                   "description": "'client' on outsourced engagements only."})
    message = Str(MESSAGE_MAX, load_default="")


class InvitationListArgs(PageArgs):
    direction = fields.String(load_default="received",
                              validate=validate.OneOf(["received", "sent"]),
                              metadata={"enum": ["received", "sent"],
                                        "description": "Addressed to your organisation "
                                                       "(default), or sent by it."})
    status = fields.Enum(InvitationStatus, by_value=True, load_default=None)


class LeftSchema(Schema):
    engagement_id = fields.Integer(required=True)
    organisation = fields.Nested(OrganisationRefSchema, required=True)
    role = fields.Enum(ParticipantRole, by_value=True, required=True,
                       metadata={"description": "The role it had."})
