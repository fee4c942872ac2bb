"""An organisation's private working notes on an engagement, beside the shared log.

A note belongs to the organisation that wrote it (:class:`engage.engagements.models.Note`
is ``OrgPrivate``): the tenancy filter shows it to that organisation alone, and on
PostgreSQL row-level security refuses it to every other (migration 0001). Any user of the
organisation who may write adds a note, and edits or deletes the organisation's notes; each
change is in the audit trail (of that organisation, as the note). Another organisation —
a co-participant too — never learns that a note exists: its ids answer 404.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from engage.common.forms import parse_text
from engage.engagements.models import Engagement, Note
from engage.engagements.service import EngagementError, _check_actor
from engage.extensions import db
from engage.organisations.models import User

NOTE_MAX = 10_000


def notes_of(engagement_id: int) -> list[Note]:
    """The organisation's own notes on the engagement, newest first (tenancy keeps them its
    own)."""
    return list(db.session.scalars(
        sa.select(Note).where(Note.engagement_id == engagement_id)
        .options(joinedload(Note.author))
        .order_by(Note.created_at.desc(), Note.id.desc())))


def _body(body: str | None) -> str:
    errors: dict[str, str] = {}
    text = parse_text(body, "body", errors, max_length=NOTE_MAX, required=True)
    if errors:
        raise EngagementError(errors)
    return text


def _check_own(note: Note, organisation_id: int) -> None:
    # The tenancy filter hides other organisations' notes already; this says it once more
    # where a note object could come from elsewhere.
    if note.organisation_id != organisation_id:
        raise EngagementError(_("This note belongs to another organisation."))


def add_note(engagement: Engagement, *, actor: User, organisation_id: int, body: str,
             now: datetime) -> Note:
    """A private note of the organisation on an engagement it sees."""
    _check_actor(actor, organisation_id)
    note = Note(engagement_id=engagement.id, organisation_id=organisation_id,
                author_id=actor.id, body=_body(body), created_at=now)
    db.session.add(note)
    db.session.flush()
    return note


def update_note(note: Note, *, actor: User, organisation_id: int, body: str) -> Note:
    """Change the note's text (the audit trail keeps the earlier one)."""
    _check_actor(actor, organisation_id)
    _check_own(note, organisation_id)
    text = _body(body)
    if text != note.body:
        note.body = text
        db.session.flush()
    return note


def delete_note(note: Note, *, actor: User, organisation_id: int) -> int:
    """Delete the note; the audit trail records what it said. Returns its engagement's id."""
    _check_actor(actor, organisation_id)
    _check_own(note, organisation_id)
    engagement_id = note.engagement_id
    db.session.delete(note)
    db.session.flush()
    return engagement_id
