"""Statements, AGM questions and resolutions in the API: how each is made public, and a
resolution's filing terms with the aggregate its co-filers may see."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from engage.api.fields import Money
from engage.engagements.models import LetterChannel
from engage.escalations.documents import AskedHow, PublishedIn

_TODAY = {"description": "default: today; never in the future"}


class PublishSchema(Schema):
    """A public statement was published: when, where, and the company's time to respond."""

    published_on = fields.Date(load_default=None, allow_none=True, metadata=_TODAY)
    published_in = fields.Enum(PublishedIn, by_value=True, required=True)
    response_days = fields.Integer(load_default=None, allow_none=True,
                                   validate=validate.Range(min=1, max=365),
                                   metadata={"description": "the company's time to respond "
                                                            "(default 30 days)"})


class AskSchema(Schema):
    """An AGM question was asked: when, and how (at the meeting, or in writing before it)."""

    asked_on = fields.Date(load_default=None, allow_none=True, metadata=_TODAY)
    asked_how = fields.Enum(AskedHow, by_value=True, required=True)


class FileSchema(Schema):
    """A resolution was filed with the company: when (by the filing deadline), and how."""

    filed_on = fields.Date(load_default=None, allow_none=True, metadata=_TODAY)
    channel = fields.Enum(LetterChannel, by_value=True, required=True)


class ResolutionSchema(Schema):
    """A resolution's filing terms and what every co-filer may see of the co-filers'
    holdings: whether they meet the threshold, and their total once at least three of them
    hold shares. Never an organisation's own position."""

    id = fields.Integer(required=True)
    letter_id = fields.Integer(required=True)
    engagement_id = fields.Integer(required=True)
    agm_on = fields.Date(required=True)
    filing_days = fields.Integer(required=True, metadata={
        "description": "the resolution is filed this many days before the AGM at the latest"})
    filing_deadline = fields.Date(required=True, dump_only=True)
    threshold_eur = Money(allow_none=True, metadata={
        "description": "the combined value in euro the co-filers' holdings must reach "
                       "(holdings record a value, not a number of shares)"})
    threshold_set_at = fields.DateTime(allow_none=True)
    co_filers = fields.Integer(required=True, dump_only=True)
    threshold_met = fields.Boolean(allow_none=True, dump_only=True,
                                   metadata={"description": "null while no threshold is set"})
    holdings_total_eur = Money(allow_none=True, dump_only=True, metadata={
        "description": "null unless at least three co-filers hold shares in the company"})


class ResolutionUpdateSchema(Schema):
    """The leads correct the AGM date and the filing days; the initiative's coordinator (a
    lead, in a direct engagement) sets the threshold (null clears it)."""

    agm_on = fields.Date()
    filing_days = fields.Integer(validate=validate.Range(min=0, max=365))
    threshold_eur = Money(allow_none=True)
