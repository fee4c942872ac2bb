"""Sending a letter: a lead records that it went to the company, on which date and by which
channel. From then the letter is final (its text and signatories are frozen), the coalition's
dialogue log shows it, and the company's answer is due by a dated milestone that the sweep
watches like any other: an unanswered letter opens a review.

Services take the actor and ``now`` and never touch HTTP; row changes are audited by the
flush listener.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from engage.clock import local_date
from engage.common.forms import parse_choice, parse_date, parse_int
from engage.engagements.models import (
    DialogueEntry,
    DialogueKind,
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
from engage.extensions import db
from engage.organisations.models import User

RESPONSE_DAYS = 30  # the company's time to answer, unless the lead sets another
RESPONSE_DAYS_MAX = 365


def send_letter(letter: Letter, *, actor: User, organisation_id: int, now: datetime,
                sent_on: date | str | None = None, channel: Any = None,
                response_days: Any = None) -> Letter:
    """Mark ``letter`` sent (by a lead or co-lead of its engagement). ``sent_on`` defaults to
    today and cannot be in the future; the company's answer is due ``response_days`` later."""
    _check_actor(actor, organisation_id)
    _require_lead(letter.engagement_id, organisation_id)
    refuse_if_sent(letter)
    if letter.kind is not LetterKind.LETTER_TO_BOARD:
        # A statement is published, a question asked, a resolution filed (escalations.documents).
        raise EngagementError(_("Only a letter is sent; this document is made public instead."))
    errors: dict[str, str] = {}
    today = local_date(now)
    day = parse_date(sent_on, "sent_on", errors) if sent_on not in (None, "") else today
    if day and day > today:
        errors["sent_on"] = _("A letter cannot be sent in the future.")
    if day and day < local_date(letter.created_at):
        errors["sent_on"] = _("A letter cannot be sent before it was drafted.")
    channel_value = parse_choice(channel, LetterChannel, "channel", errors)
    days = (parse_int(response_days, "response_days", errors, low=1, high=RESPONSE_DAYS_MAX)
            if response_days not in (None, "") else RESPONSE_DAYS)
    signed = db.session.scalar(sa.select(sa.func.count()).select_from(Signature)
                               .where(Signature.letter_id == letter.id))
    if not signed:
        errors[""] = _("No organisation has signed this letter: it cannot be sent.")
    if errors:
        raise EngagementError(errors)
    milestone = Milestone(
        engagement_id=letter.engagement_id,
        title=_("Answer to the letter “%(title)s”", title=letter.title)[:300],
        due_on=day + timedelta(days=days))
    db.session.add(milestone)
    db.session.flush()
    for signature in letter.signatures:
        signature.state()
    letter.status = LetterStatus.SENT
    letter.sent_on = day
    letter.sent_channel = channel_value.value
    letter.response_milestone_id = milestone.id
    db.session.add(DialogueEntry(
        engagement_id=letter.engagement_id, organisation_id=organisation_id,
        author_id=actor.id, kind=DialogueKind.LETTER, occurred_on=day,
        visibility=Visibility.COALITION,
        summary=ngettext("Sent “%(title)s” (%(channel)s), signed by %(num)d organisation; "
                         "answer due by %(due)s.",
                         "Sent “%(title)s” (%(channel)s), signed by %(num)d organisations; "
                         "answer due by %(due)s.", signed, title=letter.title,
                         channel=channel_value.value, due=milestone.due_on.isoformat())))
    db.session.flush()
    return letter


def log_answer(letter: Letter, *, actor: User, organisation_id: int, now: datetime,
               answered_on: date | str | None = None, summary: Any = "") -> DialogueEntry:
    """Log the company's answer to a sent letter (by a lead or co-lead): a coalition dialogue
    entry, and the letter's response milestone is met on that day, so the sweep no longer
    counts it as missed. Answered on or after the sending day, never in the future."""
    from engage.common.forms import parse_text

    _check_actor(actor, organisation_id)
    _require_lead(letter.engagement_id, organisation_id)
    if letter.status != LetterStatus.SENT:
        raise EngagementError(_("Only a sent letter can be answered."))
    errors: dict[str, str] = {}
    today = local_date(now)
    day = parse_date(answered_on, "answered_on", errors) if answered_on not in (None, "") else today
    if day and day > today:
        errors["answered_on"] = _("Log an answer that has arrived: the date is in the future.")
    if day and letter.sent_on and day < letter.sent_on:
        errors["answered_on"] = _("The answer cannot arrive before the letter was sent.")
    text = parse_text(summary, "summary", errors, required=True)
    if errors:
        raise EngagementError(errors)
    entry = DialogueEntry(
        engagement_id=letter.engagement_id, organisation_id=organisation_id,
        author_id=actor.id, kind=DialogueKind.LETTER, occurred_on=day,
        visibility=Visibility.COALITION,
        summary=_("The company answered “%(title)s”: %(summary)s", title=letter.title,
                  summary=text))
    db.session.add(entry)
    milestone = (db.session.get(Milestone, letter.response_milestone_id)
                 if letter.response_milestone_id else None)
    if milestone is not None and milestone.met_on is None:
        milestone.met_on = day
        milestone.evidence = text
    db.session.flush()
    return entry
