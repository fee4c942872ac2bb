"""A letter's way from draft to signatures: draft → open for signing → sent.

- **Draft**: the lead or co-lead edits the text, the title, the language and the contact.
  Nobody signs a draft.
- **Open for signing**: the text is frozen; each participant organisation signs or declines
  through its own users. To change the text, a lead returns the letter to draft, and that
  withdraws every signature and decline (the lead confirms it first when there are any): a
  signature never stands under a text its signer did not see.
- **Sent** (:mod:`engage.escalations.sending`): final.

Services take the actor and ``now`` and never touch HTTP; every change is a row change, so
the flush listener audits each transition (who, when, what).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from engage import signals
from engage.clock import local_date
from engage.common.forms import TEXT_MAX, parse_choice, parse_text
from engage.common.writes import insert_if_absent
from engage.engagements import labels
from engage.engagements.models import (
    Engagement,
    Letter,
    LetterDecline,
    LetterKind,
    LetterLanguage,
    LetterStatus,
    Signature,
)
from engage.engagements.service import (
    EngagementError,
    _check_actor,
    _require_lead,
    participant_role,
    refuse_if_sent,
)
from engage.escalations import drafting
from engage.escalations.models import Decision, LadderStep
from engage.extensions import db
from engage.organisations.models import User

TITLE_MAX = 300
CONTACT_NAME_MAX = 200
CONTACT_EMAIL_MAX = 254
REASON_MAX = 2_000
_EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")


def noun(letter: Letter) -> str:
    """What the document is called in a sentence: a letter, or a statement, AGM question or
    resolution (escalations.documents), so no page calls a resolution a letter."""
    return labels.document_noun(letter.kind)


class LetterNotInState(EngagementError):
    """The letter is not in the state this needs (a conflict, 409)."""


def _refuse_unless(letter: Letter, status: LetterStatus) -> None:
    refuse_if_sent(letter)
    if letter.status != status:
        raise LetterNotInState({
            LetterStatus.DRAFT: _("This %(document)s is open for signing: its text is frozen. "
                                  "Return it to draft to change it.", document=noun(letter)),
            LetterStatus.OPEN_FOR_SIGNING: _("This %(document)s is a draft: it is not open for "
                                             "signing yet.", document=noun(letter)),
        }[status])


def _as_lead(letter: Letter, actor: User, organisation_id: int) -> None:
    _check_actor(actor, organisation_id)
    _require_lead(letter.engagement_id, organisation_id)


def _step_of(letter: Letter) -> LadderStep | None:
    """The ladder step the letter carries out (its decision's), if any."""
    if letter.decision_id is None:
        return None
    return db.session.scalar(sa.select(LadderStep).join(Decision, Decision.ladder_step_id == LadderStep.id)
                             .where(Decision.id == letter.decision_id))


def set_text(letter: Letter, title: str, text: str) -> None:
    """Store a draft's title and text; the HTML the company reads is derived, escaped."""
    letter.title = title
    letter.body_text = text
    letter.body_html = str(drafting.to_html(text))


def draft_letter(letter: Letter, *, language: LetterLanguage, now: datetime) -> None:
    """Write (or write again) the generated draft of ``letter`` in ``language``."""
    title, text = drafting.generate(letter.engagement, letter.kind, language, _step_of(letter),
                                    local_date(now))
    letter.language = language
    set_text(letter, title, text)


def new_draft(decision: Decision, step: LadderStep, engagement: Engagement, kind: LetterKind,
              now: datetime, today: date) -> int | None:
    """The draft ``step`` asks for (a letter, statement, AGM question or resolution), for the
    leads to edit and open for signing: in the deciding user's language (English unless they
    read Engage in Dutch), with the deciding user as the contact. None if one exists."""
    author = db.session.get(User, decision.decided_by_id) if decision.decided_by_id else None
    language = (LetterLanguage.NL if author is not None and (author.locale or "").startswith("nl")
                else LetterLanguage.EN)
    title, text = drafting.generate(engagement, kind, language, step, today)
    return insert_if_absent(Letter, {
        "decision_id": decision.id, "engagement_id": engagement.id, "kind": kind,
        "title": title, "body_text": text, "body_html": str(drafting.to_html(text)),
        "language": language, "status": LetterStatus.DRAFT,
        "contact_name": author.name if author is not None else "",
        "contact_email": author.email if author is not None else "",
        "created_by_id": decision.decided_by_id, "created_at": now,
    })


def edit_draft(letter: Letter, *, actor: User, organisation_id: int, now: datetime,
               title: Any = None, body_text: Any = None, language: Any = None,
               contact_name: Any = None, contact_email: Any = None) -> Letter:
    """A lead edits a draft: only what is given changes. A new ``language`` on a draft no
    lead has edited writes the draft again in that language; once a lead has changed the
    text, the text is the lead's and only the letter's frame changes language."""
    _as_lead(letter, actor, organisation_id)
    _refuse_unless(letter, LetterStatus.DRAFT)
    errors: dict[str, str] = {}
    new_language = (parse_choice(language, LetterLanguage, "language", errors)
                    if language not in (None, "") else None)
    new_title = (parse_text(title, "title", errors, max_length=TITLE_MAX, required=True)
                 if title is not None else None)
    new_text = (parse_text(body_text, "body_text", errors, max_length=TEXT_MAX, required=True)
                if body_text is not None else None)
    name = (parse_text(contact_name, "contact_name", errors, max_length=CONTACT_NAME_MAX)
            if contact_name is not None else None)
    email = (parse_text(contact_email, "contact_email", errors, max_length=CONTACT_EMAIL_MAX)
             if contact_email is not None else None)
    if email and "contact_email" not in errors and not _EMAIL.match(email):
        errors["contact_email"] = _("Give an e-mail address such as name@example.org.")
    if errors:
        raise EngagementError(errors)
    current_text = letter.body_text if letter.body_text is not None else ""
    text_changed = ((new_text is not None and _same(new_text) != _same(current_text))
                    or (new_title is not None and new_title != letter.title))
    if new_language is not None and new_language != letter.language:
        if letter.edited_at is None and not text_changed:
            draft_letter(letter, language=new_language, now=now)
        letter.language = new_language
    if text_changed:
        set_text(letter, new_title if new_title is not None else letter.title,
                 new_text if new_text is not None else current_text)
        letter.edited_at = now
        letter.edited_by_id = actor.id
    if name is not None:
        letter.contact_name = name
    if email is not None:
        letter.contact_email = email
    db.session.flush()
    return letter


def _same(text: str) -> str:
    """Text compared as written, whatever line endings the browser sent."""
    return text.replace("\r\n", "\n").strip()


def open_for_signing(letter: Letter, *, actor: User, organisation_id: int,
                     now: datetime) -> Letter:
    """A lead opens the draft for signing: its text is frozen, participants are told."""
    _as_lead(letter, actor, organisation_id)
    _refuse_unless(letter, LetterStatus.DRAFT)
    if not (letter.body_text if letter.body_text is not None else letter.body_html).strip():
        raise EngagementError({"body_text": _("Write the %(document)s before opening it for "
                                                "signing.", document=noun(letter))})
    letter.status = LetterStatus.OPEN_FOR_SIGNING
    letter.opened_at = now
    db.session.flush()
    signals.letter_opened.send(letter.id, engagement=letter.engagement, title=letter.title,
                               now=now)
    return letter


def return_to_draft(letter: Letter, *, actor: User, organisation_id: int, now: datetime,
                    withdraw_signatures: bool = False) -> Letter:
    """A lead takes an open letter back to draft to change it. Its signatures and declines
    were given to the text as it is: they are withdrawn, and when there are any the lead
    must confirm that (``withdraw_signatures``) — nothing is withdrawn silently: the
    organisations whose signature or decline went are told."""
    _as_lead(letter, actor, organisation_id)
    _refuse_unless(letter, LetterStatus.OPEN_FOR_SIGNING)
    signed = db.session.scalar(sa.select(sa.func.count()).select_from(Signature)
                               .where(Signature.letter_id == letter.id))
    if signed and not withdraw_signatures:
        raise EngagementError({"withdraw_signatures": ngettext(
            "%(num)d organisation has signed this text. Returning the %(document)s to draft "
            "withdraws its signature: confirm to go on.",
            "%(num)d organisations have signed this text. Returning the %(document)s to draft "
            "withdraws their signatures: confirm to go on.", signed, document=noun(letter))})
    signed_by = sorted(row.organisation_id for row in letter.signatures)
    declined_by = sorted(row.organisation_id for row in letter.declines)
    for row in (*letter.signatures, *letter.declines):
        db.session.delete(row)
    letter.status = LetterStatus.DRAFT
    letter.opened_at = None
    db.session.flush()
    db.session.expire(letter, ["signatures", "declines"])
    if signed_by or declined_by:
        # Withdrawn answers are told to those who gave them, not only audited.
        signals.signatures_withdrawn.send(
            letter.id, engagement=letter.engagement, title=letter.title,
            document=letter.kind.value, signed=signed_by, declined=declined_by, now=now)
    return letter


def decline(letter: Letter, *, actor: User, organisation_id: int, now: datetime,
            reason: Any = "") -> LetterDecline:
    """The organisation declines to sign an open letter, with an optional reason. It is no
    signatory; it may still sign while the letter is open."""
    _check_actor(actor, organisation_id)
    if participant_role(letter.engagement_id, organisation_id) is None:
        raise EngagementError(_("Only organisations that take part in this engagement can "
                                "sign or decline this %(document)s.", document=noun(letter)))
    _refuse_unless(letter, LetterStatus.OPEN_FOR_SIGNING)
    errors: dict[str, str] = {}
    text = parse_text(reason, "reason", errors, max_length=REASON_MAX)
    if errors:
        raise EngagementError(errors)
    if db.session.scalar(sa.select(Signature.id).where(
            Signature.letter_id == letter.id, Signature.organisation_id == organisation_id)):
        raise LetterNotInState(_("Your organisation has signed this %(document)s.",
                                 document=noun(letter)))
    if db.session.scalar(sa.select(LetterDecline.id).where(
            LetterDecline.letter_id == letter.id,
            LetterDecline.organisation_id == organisation_id)):
        raise LetterNotInState(_("Your organisation has declined this %(document)s already.",
                                 document=noun(letter)))
    row = LetterDecline(letter_id=letter.id, organisation_id=organisation_id,
                        declined_by_id=actor.id, declined_at=now, reason=text)
    db.session.add(row)
    db.session.flush()
    return row


def draft_preview(letter: Letter, *, now: datetime, title: Any = None, body_text: Any = None,
                  language: Any = None, contact_name: Any = None,
                  contact_email: Any = None) -> dict[str, Any]:
    """The letter as it would read if a lead saved what is typed now (nothing is written):
    the same rules as :func:`edit_draft`, so the preview is what the save gives. Only a
    draft takes what is typed; any other letter shows as it is."""
    from engage.escalations import letters

    if letter.status != LetterStatus.DRAFT:
        return letters.document_context(letter)
    try:
        chosen = LetterLanguage(language) if language else letter.language
    except ValueError:
        chosen = letter.language
    text = body_text if isinstance(body_text, str) else letter.body_text
    heading = title.strip() if isinstance(title, str) else letter.title
    untouched = (letter.edited_at is None and heading == letter.title
                 and _same(text or "") == _same(letter.body_text or ""))
    if untouched and chosen != letter.language:
        heading, text = drafting.generate(letter.engagement, letter.kind, chosen,
                                          _step_of(letter), local_date(now))
    return letters.document_context(
        letter, text=text, title=heading, language=chosen.value,
        contact_name=contact_name.strip() if isinstance(contact_name, str) else None,
        contact_email=contact_email.strip() if isinstance(contact_email, str) else None)
