"""A letter's own page: the leads write the draft beside a live preview of the letter as the
company will receive it, open it for signing, or take it back to draft; participants read it
before they sign or decline (on this page or the engagement's)."""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for
from flask_babel import gettext as _

from engage import clock
from engage.common.answer import answer_write
from engage.engagements import labels
from engage.engagements.models import Engagement, Letter, LetterLanguage
from engage.escalations import letters, signing
from engage.escalations.views import bp, load_letter
from engage.extensions import db, htmx
from engage.security import Permission, acting, can, requires

def _values(form) -> dict[str, Any]:
    return {key: form.get(key) for key in
            ("title", "body_text", "language", "contact_name", "contact_email")
            if form.get(key) is not None}


def draw(letter_id: int, *, errors: dict[str, str] | None = None,
         values: dict[str, Any] | None = None) -> str:
    """The letter page; ``values`` are what a lead typed (kept, and previewed)."""
    letter = letters.with_signatures(letter_id)
    values = values or {}
    engagement = db.session.get(Engagement, letter.engagement_id)
    document = signing.draft_preview(letter, now=clock.now(), **values)
    return render_template(
        "escalations/letter_page.html", letter=letter, engagement=engagement,
        preview=letters.preview(letter, document), values=values,
        editable_text=letters.editable_text(letter), errors=errors or {},
        languages=[(LetterLanguage.EN.value, _("English")), (LetterLanguage.NL.value, _("Dutch"))],
        may_lead=can(Permission.LEAD_ENGAGEMENT, letter),
        may_participate=can(Permission.PARTICIPATE_ENGAGEMENT, letter),
        letter_errors={}, letter_values={}, noun=signing.noun(letter), **labels.context())


def _back(letter_id: int) -> str:
    return url_for("escalations.letter_page", letter_id=letter_id)


@bp.get("/letters/<int:letter_id>")
@requires(Permission.READ, load=load_letter)
def letter_page(letter: Letter):
    return draw(letter.id)


@bp.post("/letters/<int:letter_id>/preview")
@requires(Permission.LEAD_ENGAGEMENT, load=load_letter)
def letter_preview(letter: Letter):
    """The letter as it would read with what is typed; nothing is saved. htmx gets the
    preview alone (as the lead types); without JavaScript, the page with the text kept."""
    values = _values(request.form)
    if not htmx:
        return draw(letter.id, values=values)
    letter = letters.with_signatures(letter.id)
    document = signing.draft_preview(letter, now=clock.now(), **values)
    return str(letters.preview(letter, document)), 200, {"Vary": "HX-Request"}


@bp.post("/letters/<int:letter_id>/draft")
@requires(Permission.LEAD_ENGAGEMENT, load=load_letter)
def letter_save(letter: Letter):
    values = _values(request.form)
    letter_id = letter.id
    return answer_write(
        lambda: signing.edit_draft(letter, **acting(), now=clock.now(), **values),
        page=lambda errors: draw(letter_id, errors=errors, values=values),
        redirect_to=lambda _done: _back(letter_id), message=_("The draft is saved."))


@bp.post("/letters/<int:letter_id>/open")
@requires(Permission.LEAD_ENGAGEMENT, load=load_letter)
def letter_open(letter: Letter):
    letter_id = letter.id
    return answer_write(
        lambda: signing.open_for_signing(letter, **acting(), now=clock.now()),
        page=lambda errors: draw(letter_id, errors=errors),
        redirect_to=lambda _done: _back(letter_id),
        message=_("The %(document)s is open for signing; its text is frozen. The participants "
                  "have been told.", document=signing.noun(letter)))


@bp.post("/letters/<int:letter_id>/return-to-draft")
@requires(Permission.LEAD_ENGAGEMENT, load=load_letter)
def letter_return(letter: Letter):
    letter_id = letter.id
    withdraw = request.form.get("withdraw_signatures") in ("1", "on", "true", "yes")
    return answer_write(
        lambda: signing.return_to_draft(letter, **acting(), now=clock.now(),
                                        withdraw_signatures=withdraw),
        page=lambda errors: draw(letter_id, errors=errors),
        redirect_to=lambda _done: _back(letter_id),
        message=_("The %(document)s is a draft again; any signatures and declines were "
                  "withdrawn.", document=signing.noun(letter)))


