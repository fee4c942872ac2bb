"""Public statements, AGM questions and shareholder resolutions: documents that take the
letter's path (drafted, signed by each participant organisation through its own users) and
then reach the company the way their kind does. A letter to the board is *sent*
(:mod:`engage.escalations.sending`); a statement is *published* (on a date, somewhere: the
coalition's website, a press release…); a question is *asked* at the AGM (or submitted in
writing for it); a resolution is *filed* with the company, by its filing deadline, once
the co-filers' combined holdings meet the threshold (:mod:`engage.escalations.resolutions`).

From then the document is final like a sent letter: its text and signatories are frozen,
the coalition's dialogue log shows it, and where the company owes an answer a dated
milestone asks for it (a statement: the company's public response; a resolution: the vote
at the AGM). An AGM question is answered at the meeting itself: a lead logs the answer.

Services take the actor and ``now`` and never touch HTTP; row changes are audited by the
flush listener.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from engage.clock import local_date
from engage.common import printing
from engage.common.forms import parse_choice, parse_date, parse_int
from engage.common.writes import insert_if_absent
from engage.db import StrEnum
from engage.engagements.models import (
    DialogueEntry,
    DialogueKind,
    Engagement,
    Letter,
    LetterChannel,
    LetterKind,
    LetterStatus,
    Milestone,
    Signature,
    Visibility,
)
from engage.engagements.service import (
    EngagementError,
    _check_actor,
    _require_lead,
    refuse_if_sent,
)
from engage.escalations.models import Decision, LadderStep, Resolution, StepKind
from engage.extensions import db
from engage.organisations.models import User

RESPONSE_DAYS = 30  # the company's time to respond to a statement, unless the lead sets another
RESPONSE_DAYS_MAX = 365


class PublishedIn(StrEnum):
    """Where a public statement was published."""

    WEBSITE = "website"
    PRESS_RELEASE = "press_release"
    NEWSPAPER = "newspaper"
    SOCIAL_MEDIA = "social_media"


class AskedHow(StrEnum):
    """How a question reached the AGM."""

    AT_THE_MEETING = "at_the_meeting"  # asked from the floor (in person or online)
    IN_WRITING = "in_writing"  # submitted in writing before the meeting


@dataclass(frozen=True)
class Kind:
    """How one kind of document is made public, in the page, the API and the PDF."""

    places: type[StrEnum]  # where / how it is made public (stored in Letter.sent_channel)
    on_field: str  # the form and API field of the date
    where_field: str  # the form and API field of the place
    done: str  # the state once made public, in the API ("published", "asked", "filed")
    dialogue: DialogueKind


KINDS: dict[LetterKind, Kind] = {
    LetterKind.PUBLIC_STATEMENT: Kind(PublishedIn, "published_on", "published_in", "published",
                                      DialogueKind.LETTER),
    LetterKind.AGM_QUESTION: Kind(AskedHow, "asked_on", "asked_how", "asked",
                                  DialogueKind.AGM_QUESTION),
    LetterKind.RESOLUTION: Kind(LetterChannel, "filed_on", "channel", "filed", DialogueKind.LETTER),
}
# The API's word for a document that has reached the company, by kind.
DONE = {LetterKind.LETTER_TO_BOARD: "sent", **{k: v.done for k, v in KINDS.items()}}

# The words of the pages (the PDF speaks the document's language: English).
PLACES = {
    "website": _l("the coalition’s website"),
    "press_release": _l("a press release"),
    "newspaper": _l("a newspaper"),
    "social_media": _l("social media"),
    "at_the_meeting": _l("at the meeting"),
    "in_writing": _l("in writing before the meeting"),
    "email": _l("e-mail"),
    "post": _l("post"),
    "hand_delivered": _l("hand-delivered"),
    "portal": _l("the company’s portal"),
}
# Where it was made public, as the document says it (in the document's language).
PLACES_IN_DOCUMENTS = {
    "website": _l("on the coalition’s website"), "press_release": _l("in a press release"),
    "newspaper": _l("in a newspaper"), "social_media": _l("on social media"),
    "at_the_meeting": _l("at the meeting"), "in_writing": _l("in writing before the meeting"),
    "email": _l("by e-mail"), "post": _l("by post"), "hand_delivered": _l("by hand"),
    "portal": _l("through the company’s portal"),
}
# Step kind -> the document it drafts (a letter or statement is drafted by escalations.letters).
DRAFTED = {StepKind.AGM_QUESTION: LetterKind.AGM_QUESTION,
           StepKind.CO_FILE_RESOLUTION: LetterKind.RESOLUTION}


# --- drafting ----------------------------------------------------------------------------------


def draft(decision: Decision, step: LadderStep, engagement: Engagement, now: datetime,
          today: date) -> str:
    """Draft the AGM question or resolution ``step`` asks for, for the leads to edit and open
    for signing like a letter (:mod:`engage.escalations.signing`); a resolution also gets its
    filing terms (the AGM from :func:`engage.escalations.resolutions.first_agm`, the
    threshold left for the coordinator). Once per decision."""
    from engage.escalations import resolutions, signing

    kind = DRAFTED[step.kind]
    exists = db.session.scalar(sa.select(Letter.id).where(Letter.decision_id == decision.id))
    if exists:
        return f"document {exists} already drafted"
    letter_id = signing.new_draft(decision, step, engagement, kind, now, today)
    if letter_id is None:
        return "document already drafted"
    if kind is LetterKind.RESOLUTION:
        insert_if_absent(Resolution, {
            "letter_id": letter_id, "engagement_id": engagement.id,
            "agm_on": resolutions.first_agm(engagement.company.next_agm_on, today),
            "filing_days": resolutions.FILING_DAYS, "created_at": now,
        })
    noun = "AGM question" if kind is LetterKind.AGM_QUESTION else "resolution"
    return f"{noun} {letter_id} drafted for the leads to edit and open for signing"


# --- making it public --------------------------------------------------------------------------


def make_public(letter: Letter, *, actor: User, organisation_id: int, now: datetime,
                on: date | str | None = None, where: Any = None,
                response_days: Any = None) -> Letter:
    """Publish a statement, record an AGM question as asked, or file a resolution (by a lead
    or co-lead of its engagement). ``on`` defaults to today and cannot be in the future nor
    before the draft; the document needs at least one signature; a resolution is filed by its
    filing deadline, once its threshold is set and met."""
    from engage.escalations import resolutions

    _check_actor(actor, organisation_id)
    _require_lead(letter.engagement_id, organisation_id)
    refuse_if_sent(letter)
    kind = KINDS.get(letter.kind)
    if kind is None:
        raise EngagementError(_("A letter to the board is sent, not published: mark it sent."))
    errors: dict[str, str] = {}
    today = local_date(now)
    day = parse_date(on, kind.on_field, errors) if on not in (None, "") else today
    if day and day > today:
        errors[kind.on_field] = _("Record what has happened: the date is in the future.")
    if day and day < local_date(letter.created_at):
        errors[kind.on_field] = _("The date is before the document was drafted.")
    place = parse_choice(where, kind.places, kind.where_field, errors)
    days = None
    if letter.kind is LetterKind.PUBLIC_STATEMENT:
        days = (parse_int(response_days, "response_days", errors, low=1, high=RESPONSE_DAYS_MAX)
                if response_days not in (None, "") else RESPONSE_DAYS)
    signed = db.session.scalar(sa.select(sa.func.count()).select_from(Signature)
                               .where(Signature.letter_id == letter.id))
    if not signed:
        errors[""] = _("No organisation has signed this document: it cannot be made public.")
    resolution = None
    if letter.kind is LetterKind.RESOLUTION:
        resolution = resolutions.of_letter(letter.id)
        if day and resolution is not None and day > resolution.filing_deadline:
            errors[kind.on_field] = _(
                "The filing deadline was %(deadline)s (%(days)d days before the AGM of "
                "%(agm)s). If the company accepts a later filing, correct the AGM date or the "
                "days first.", deadline=resolution.filing_deadline.isoformat(),
                days=resolution.filing_days, agm=resolution.agm_on.isoformat())
        if resolution is not None and not errors.get(""):
            support = resolutions.support(resolution, today)
            if support.met is None:
                errors[""] = _("The threshold the co-filers' holdings must meet is not set yet.")
            elif not support.met:
                errors[""] = _("The co-filers' combined holdings do not meet the threshold: "
                               "the resolution cannot be filed.")
    if errors:
        raise EngagementError(errors)
    milestone_id = None
    if days is not None:
        milestone_id = _milestone(letter, _("Public response to the statement “%(title)s”",
                                            title=letter.title), day + timedelta(days=days))
    elif resolution is not None:
        milestone_id = _milestone(letter, _("Vote at the AGM on the resolution “%(title)s”",
                                            title=letter.title), resolution.agm_on)
    for signature in letter.signatures:
        signature.state()
    letter.status = LetterStatus.SENT
    letter.sent_on = day
    letter.sent_channel = place.value
    letter.response_milestone_id = milestone_id
    db.session.add(DialogueEntry(
        engagement_id=letter.engagement_id, organisation_id=organisation_id,
        author_id=actor.id, kind=kind.dialogue, occurred_on=day,
        visibility=Visibility.COALITION, summary=_dialogue_summary(letter, place, signed)))
    db.session.flush()
    return letter


def _milestone(letter: Letter, title: str, due_on: date) -> int:
    milestone = Milestone(engagement_id=letter.engagement_id, title=title[:300], due_on=due_on)
    db.session.add(milestone)
    db.session.flush()
    return milestone.id


def _dialogue_summary(letter: Letter, place: StrEnum, signed: int) -> str:
    where = str(PLACES[place.value])
    if letter.kind is LetterKind.PUBLIC_STATEMENT:
        return ngettext("Published “%(title)s” (%(where)s), signed by %(num)d organisation.",
                        "Published “%(title)s” (%(where)s), signed by %(num)d organisations.",
                        signed, title=letter.title, where=where)
    if letter.kind is LetterKind.AGM_QUESTION:
        return ngettext("Asked “%(title)s” (%(where)s), on behalf of %(num)d organisation.",
                        "Asked “%(title)s” (%(where)s), on behalf of %(num)d organisations.",
                        signed, title=letter.title, where=where)
    return ngettext("Filed “%(title)s” (%(where)s), co-filed by %(num)d organisation.",
                    "Filed “%(title)s” (%(where)s), co-filed by %(num)d organisations.",
                    signed, title=letter.title, where=where)


# --- the document as the company receives it ---------------------------------------------------


def document(letter: Letter, *, body: Any = None, title: str | None = None) -> str:
    """A statement, question or resolution as its readers receive it, from the current
    state, in the document's language and in the letter's frame (sender, contact): marked
    DRAFT until made public; signed by exactly the organisations that signed. A resolution
    names its co-filers, never their holdings."""
    from engage.escalations import letters

    context = letters.document_context(letter, text=body, title=title)
    return letters.render_in_language("escalations/letter.html", context)


def pdf(letter: Letter) -> bytes:
    """The document's PDF, rendered now (never a stored copy): a letter to the board as
    :mod:`engage.escalations.letters` renders it, the other kinds here."""
    from engage.escalations import letters

    if letter.kind not in KINDS:
        return letters.pdf(letter)
    return printing.pdf(document(letter))
