"""References to other objects, shared by the features' schemas."""

from __future__ import annotations

from marshmallow import Schema, fields


class OrganisationRefSchema(Schema):
    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)


class UserRefSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class CompanyRefSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    isin = fields.String(allow_none=True)
