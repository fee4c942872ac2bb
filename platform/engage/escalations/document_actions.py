"""Statements, AGM questions and resolutions on the engagement page: publishing, asking and
filing them, and a resolution's filing terms. Each action is one POST on the letter's part of
the page (:func:`engage.engagements.actions._answer_in_place`): htmx gets the part back, a
browser the page, with the messages and what was typed on bad input."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engage import clock
from engage.engagements import labels
from engage.engagements.actions import _answer_in_place, _letter_fragment
from engage.engagements.models import Engagement, Letter, LetterKind, LetterStatus
from engage.engagements.pages import bp
from engage.escalations import documents, resolutions
from engage.escalations.models import Resolution
from engage.extensions import db
from engage.security import Permission, acting, current_org, load_or_404, requires

DONE_MESSAGES = {
    LetterKind.PUBLIC_STATEMENT: _l(
        "The statement is recorded as published; the company's response is now a milestone."),
    LetterKind.AGM_QUESTION: _l("The question is recorded as asked at the AGM."),
    LetterKind.RESOLUTION: _l(
        "The resolution is recorded as filed; the vote at the AGM is now a milestone."),
}


TERMS_KEY = "engage.resolution_terms"  # read once per request (the environ is the request's)


def load_letter(letter_id: int) -> Letter:
    return load_or_404(Letter, letter_id)


def load_resolution(resolution_id: int) -> Resolution:
    return load_or_404(Resolution, resolution_id)


@bp.app_template_global("document_kind")
def document_kind(letter: Letter) -> documents.Kind | None:
    """How ``letter`` is made public (None for a letter to the board, which is sent)."""
    return documents.KINDS.get(letter.kind)


DONE_WORDS = {"published": _l("published"), "asked": _l("asked at the AGM"), "filed": _l("filed")}


@bp.app_template_global("document_status")
def document_status(letter: Letter) -> str:
    """The document's state in the words of its kind: a statement is published, not sent."""
    from engage.common.labels import label

    kind = documents.KINDS.get(letter.kind)
    if kind is not None and letter.status == LetterStatus.SENT:
        return str(DONE_WORDS[kind.done])
    return label("letter_status", letter.status)


@bp.app_template_global("document_noun")
def document_noun(letter: Letter) -> str:
    """What the document is called in a sentence: letter, statement, question, resolution."""
    return labels.document_noun(letter.kind)


@bp.app_template_global("document_places")
def document_places(letter: Letter) -> dict[str, Any]:
    kind = documents.KINDS[letter.kind]
    return {place.value: documents.PLACES[place.value] for place in kind.places}


@bp.app_template_global("resolution_terms")
def resolution_terms(letter: Letter, may_lead: bool) -> dict[str, Any] | None:
    """A resolution's terms and what this organisation may see of its co-filers' holdings
    (the aggregate), for the page. Read once per request for every resolution of the
    engagement (two statements), so a page costs the same however many it shows."""
    if letter.kind is not LetterKind.RESOLUTION:
        return None
    cache = request.environ.setdefault(TERMS_KEY, {})
    if letter.engagement_id not in cache:
        from engage.initiatives.models import Initiative

        rows = db.session.execute(
            sa.select(Resolution, Engagement.initiative_id, Initiative.coordinator_organisation_id)
            .join(Engagement, Engagement.id == Resolution.engagement_id)
            .outerjoin(Initiative, Initiative.id == Engagement.initiative_id)
            .where(Resolution.engagement_id == letter.engagement_id)).all()
        seen = resolutions.supports([r for r, _i, _c in rows], clock.today())
        cache[letter.engagement_id] = {
            r.letter_id: {"resolution": r, "support": seen.get(r.id),
                          # The coordinator sets the threshold; a lead, in a direct engagement.
                          "may_set_threshold": (coordinator == current_org.id
                                                if initiative_id is not None else may_lead)}
            for r, initiative_id, coordinator in rows}
    return cache[letter.engagement_id].get(letter.id)


def _fragment_and_forget(letter_id: int, engagement_id: int):
    """The letter's part of the page, with the terms read again after the write."""
    draw = _letter_fragment(letter_id, engagement_id)

    def fresh(errors: dict[str, str] | None = None) -> str:
        request.environ.pop(TERMS_KEY, None)
        return draw(errors)
    return fresh


@bp.post("/letters/<int:letter_id>/publish")
@requires(Permission.LEAD_ENGAGEMENT, load=load_letter)
def publish(letter: Letter):
    """A lead records that the statement was published, the question asked at the AGM, or
    the resolution filed: the date, where or how, and (a statement) the days to respond."""
    kind = documents.KINDS.get(letter.kind)
    letter_id, engagement_id, letter_kind = letter.id, letter.engagement_id, letter.kind
    form = request.form
    return _answer_in_place(
        lambda: documents.make_public(
            letter, **acting(), now=clock.now(),
            on=form.get(kind.on_field) if kind else None,
            where=form.get(kind.where_field) if kind else None,
            response_days=form.get("response_days")),
        engagement_id=engagement_id, key=f"letter-{letter_id}",
        fragment=_fragment_and_forget(letter_id, engagement_id), values=form.to_dict(),
        message=str(DONE_MESSAGES.get(letter_kind, _("Recorded."))))


@bp.post("/resolutions/<int:resolution_id>/threshold")
@requires(Permission.WRITE, load=load_resolution)
def set_threshold(resolution: Resolution):
    """The initiative's coordinator (a lead, in a direct engagement) sets the threshold the
    co-filers' combined holdings must meet; the service refuses anyone else."""
    letter_id, engagement_id = resolution.letter_id, resolution.engagement_id
    form = request.form
    return _answer_in_place(
        lambda: resolutions.set_threshold(resolution, **acting(), now=clock.now(),
                                          threshold_eur=form.get("threshold_eur")),
        engagement_id=engagement_id, key=f"letter-{letter_id}",
        fragment=_fragment_and_forget(letter_id, engagement_id), values=form.to_dict(),
        message=_("The threshold is set."))


@bp.post("/resolutions/<int:resolution_id>/filing")
@requires(Permission.LEAD_ENGAGEMENT, load=load_resolution)
def set_filing(resolution: Resolution):
    """A lead corrects the AGM date and the days before it by which the resolution is filed."""
    letter_id, engagement_id = resolution.letter_id, resolution.engagement_id
    form = request.form
    return _answer_in_place(
        lambda: resolutions.set_filing(resolution, **acting(), now=clock.now(),
                                       agm_on=form.get("agm_on"),
                                       filing_days=form.get("filing_days")),
        engagement_id=engagement_id, key=f"letter-{letter_id}",
        fragment=_fragment_and_forget(letter_id, engagement_id), values=form.to_dict(),
        message=_("The filing deadline is updated."))
