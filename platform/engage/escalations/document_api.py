"""``/api/v1/letters/{id}/publish|ask|file`` (a statement is published, a question asked at
the AGM, a resolution filed) and ``/api/v1/letters/{id}/resolution`` (its filing terms)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from engage import clock
from engage.api.errors import ApiError, commit_unit
from engage.api.routing import operation
from engage.engagements.models import Letter, LetterKind, Signature
from engage.engagements.service import LetterSent
from engage.escalations import documents, resolutions
from engage.escalations.document_schemas import (
    AskSchema,
    FileSchema,
    PublishSchema,
    ResolutionSchema,
    ResolutionUpdateSchema,
)
from engage.escalations.schemas import LetterSchema
from engage.security import Permission, acting, current_org, load_or_404, one_or_404, require

_WRONG_KIND = {
    LetterKind.LETTER_TO_BOARD: "This is a letter to the board: it is sent (POST .../send).",
    LetterKind.PUBLIC_STATEMENT: "This is a public statement: it is published (POST .../publish).",
    LetterKind.AGM_QUESTION: "This is an AGM question: it is asked (POST .../ask).",
    LetterKind.RESOLUTION: "This is a resolution: it is filed (POST .../file).",
}


def _make_public(letter_id: int, kind: LetterKind, on: date | None, where, **kw) -> Letter:
    letter = load_or_404(Letter, letter_id)
    require(Permission.LEAD_ENGAGEMENT, letter)
    if letter.kind is not kind:
        raise ApiError(409, _WRONG_KIND[letter.kind])
    commit_unit(lambda: documents.make_public(letter, **acting(), now=clock.now(), on=on,
                                              where=where.value, **kw),
                conflicts=(LetterSent,))
    return one_or_404(sa.select(Letter).where(Letter.id == letter_id).options(
        selectinload(Letter.signatures).options(selectinload(Signature.organisation),
                                                selectinload(Signature.signed_by))))


@operation("POST", "/letters/<id:letter_id>/publish", tag="letters",
           summary="Record a public statement as published (leads)", body=PublishSchema,
           response=LetterSchema, errors=(409,))
def publish_statement(letter_id, data):
    """When and where the statement was published. Refused without a signature; from then
    its text and signatories are final, and the company's response is due by a milestone
    ``response_days`` (default 30) later."""
    return _make_public(letter_id, LetterKind.PUBLIC_STATEMENT, data["published_on"],
                        data["published_in"], response_days=data["response_days"])


@operation("POST", "/letters/<id:letter_id>/ask", tag="letters",
           summary="Record an AGM question as asked (leads)", body=AskSchema,
           response=LetterSchema, errors=(409,))
def ask_question(letter_id, data):
    """When and how the question was put to the AGM. Refused without a signature; from then
    its text and signatories are final."""
    return _make_public(letter_id, LetterKind.AGM_QUESTION, data["asked_on"],
                        data["asked_how"])


@operation("POST", "/letters/<id:letter_id>/file", tag="letters",
           summary="Record a resolution as filed (leads)", body=FileSchema,
           response=LetterSchema, errors=(409,))
def file_resolution(letter_id, data):
    """When and how the resolution was filed: by its filing deadline, once the co-filers'
    combined holdings meet the threshold. From then its text and co-filers are final, and
    the vote at the AGM is a milestone."""
    return _make_public(letter_id, LetterKind.RESOLUTION, data["filed_on"], data["channel"])


@dataclass(frozen=True)
class _Terms:
    id: int
    letter_id: int
    engagement_id: int
    agm_on: date
    filing_days: int
    filing_deadline: date
    threshold_eur: Decimal | None
    threshold_set_at: datetime | None
    co_filers: int
    threshold_met: bool | None
    holdings_total_eur: Decimal | None


def _resolution_of(letter_id: int):
    letter = load_or_404(Letter, letter_id)
    resolution = resolutions.of_letter(letter.id)
    if resolution is None:
        raise ApiError(404, "This document is not a resolution.")
    return resolution


def _terms(resolution) -> _Terms:
    seen = resolutions.support(resolution, clock.today())
    return _Terms(resolution.id, resolution.letter_id, resolution.engagement_id,
                  resolution.agm_on, resolution.filing_days, resolution.filing_deadline,
                  resolution.threshold_eur, resolution.threshold_set_at, seen.co_filers,
                  seen.met, seen.total_eur)


@operation("GET", "/letters/<id:letter_id>/resolution", tag="letters",
           summary="Get a resolution's filing terms", response=ResolutionSchema)
def get_resolution(letter_id):
    """The AGM, the filing deadline, the threshold and the co-filers' aggregate (any
    participant; never an organisation's own position)."""
    return _terms(_resolution_of(letter_id))


@operation("PATCH", "/letters/<id:letter_id>/resolution", tag="letters",
           summary="Change a resolution's filing terms (leads; the threshold: coordinator)",
           body=ResolutionUpdateSchema, response=ResolutionSchema, partial=True, errors=(409,))
def update_resolution(letter_id, data):
    """``agm_on`` and ``filing_days`` by a lead or co-lead; ``threshold_eur`` by the
    initiative's coordinator (a lead, in a direct engagement). Refused once filed (409)."""
    resolution = _resolution_of(letter_id)
    require(Permission.WRITE)
    if ({"agm_on", "filing_days"} & set(data)):
        require(Permission.LEAD_ENGAGEMENT, resolution)
    if "threshold_eur" in data and not resolutions.may_set_threshold(resolution, current_org.id):
        raise ApiError(403, "Only the initiative's coordinator (a lead, in a direct engagement) "
                            "sets the threshold.")

    def write():
        if {"agm_on", "filing_days"} & set(data):
            resolutions.set_filing(resolution, **acting(), now=clock.now(),
                                   agm_on=data.get("agm_on"), filing_days=data.get("filing_days"))
        if "threshold_eur" in data:
            resolutions.set_threshold(resolution, **acting(), now=clock.now(),
                                      threshold_eur=data["threshold_eur"])
        return resolution

    commit_unit(write, conflicts=(LetterSent,))
    return _terms(_resolution_of(letter_id))
