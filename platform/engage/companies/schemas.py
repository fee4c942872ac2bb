"""Companies (shared reference data) in the API."""

from __future__ import annotations

from marshmallow import Schema, fields

from engage.api.fields import Str
from engage.api.routing import PageArgs
from engage.companies.imports import KINDS
from engage.companies.models import EsgRating, ExclusionCategory, ImportStatus


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


class CompanyWriteSchema(Schema):
    """A company of the shared register, as a keeper states it (the checks of the companies
    import: ISIN and LEI with their check digits, a two-letter ISO country)."""

    name = Str(200, min_length=1, required=True)
    isin = Str(20, load_default=None, allow_none=True, metadata={"example": "NL0000009165"})
    lei = Str(30, load_default=None, allow_none=True)
    country = Str(2, load_default=None, allow_none=True,
                  metadata={"description": "ISO 3166 alpha-2 code."})
    sector = Str(100, load_default=None, allow_none=True)
    next_agm_on = fields.Date(load_default=None, allow_none=True,
                              metadata={"description": "Date of the next annual general meeting."})


class ImportJobSchema(Schema):
    """A file imported in the background, all lines or none: ``queued``, ``running``,
    ``done`` or ``failed`` (with its bad lines in ``errors``)."""

    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"enum": list(KINDS)})
    filename = fields.String(required=True)
    status = fields.Enum(ImportStatus, by_value=True, required=True)
    lines_done = fields.Integer(required=True)
    lines_total = fields.Integer(required=True)
    created = fields.Integer(required=True, metadata={"description": "Rows added."})
    updated = fields.Integer(required=True, metadata={"description": "Rows updated."})
    errors = fields.List(fields.String(), required=True, metadata={
        "description": "The first bad lines ('line 3: …'), then how many more."})
    error_total = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)


class ImportSchema(Schema):
    """What an upload did: imported at once (``job`` null), or a background job to follow."""

    kind = fields.String(required=True, metadata={"enum": list(KINDS)})
    filename = fields.String(required=True)
    status = fields.Enum(ImportStatus, by_value=True, required=True)
    lines = fields.Integer(allow_none=True, metadata={
        "description": "Lines imported (null while a job runs)."})
    created = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    job = fields.Nested(ImportJobSchema, allow_none=True, required=True)


class ImportJobListArgs(PageArgs):
    status = fields.Enum(ImportStatus, by_value=True, load_default=None)


class ImportUploadSchema(Schema):
    """The CSV file, as multipart/form-data."""

    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})
