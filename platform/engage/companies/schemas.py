"""Companies (shared reference data) in the API."""

from __future__ import annotations

from marshmallow import Schema, fields

from engage.api.fields import Str
from engage.api.routing import PageArgs
from engage.companies.models import EsgRating, ExclusionCategory


class CompanySchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    isin = fields.String(allow_none=True)
    lei = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    sector = fields.String(allow_none=True)
    esg_rating = fields.Enum(EsgRating, by_value=True, allow_none=True)
    rated_on = fields.Date(allow_none=True)
    controversies = fields.String()
    exclusion_category = fields.Enum(ExclusionCategory, by_value=True, allow_none=True)
    exclusion_reason = fields.String()
    excluded_on = fields.Date(allow_none=True)
    next_agm_on = fields.Date(allow_none=True)
    is_excluded = fields.Boolean(required=True)


class CompanyListArgs(PageArgs):
    q = Str(100, load_default=None, metadata={"description": "Part of the name, ISIN or LEI."})
    country = Str(2, load_default=None, metadata={"description": "ISO 3166 alpha-2 code."})
    sector = Str(100, load_default=None)
    esg_rating = fields.Enum(EsgRating, by_value=True, load_default=None)
    excluded = fields.Boolean(load_default=None,
                              metadata={"description": "Only excluded (true) or not (false)."})
