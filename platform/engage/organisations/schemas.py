"""The signed-in organisation, as the API shows it."""

from __future__ import annotations

from marshmallow import Schema, fields

from engage.api.fields import Money
from engage.api.schemas import UserRefSchema
from engage.organisations.models import OrganisationKind, OrgRole


class TokenRefSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    scope = fields.String(required=True)


class MeSchema(Schema):
    """Your organisation, and who is asking."""

    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.Enum(OrganisationKind, by_value=True, required=True)
    aum_eur = Money(allow_none=True)
    role = fields.Enum(OrgRole, by_value=True, required=True,
                       metadata={"description": "The caller's effective role (a token's is "
                                 "capped by its scope)."})
    user = fields.Nested(UserRefSchema, required=True)
    token = fields.Nested(TokenRefSchema, allow_none=True,
                          metadata={"description": "The API token used, if any."})
