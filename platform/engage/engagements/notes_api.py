"""``/api/v1/engagements/{id}/notes``: your organisation's private notes on an engagement.

Only your organisation's notes are ever listed or found: another organisation's (a
co-participant's too) answer 404, as a missing one."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response
from marshmallow import Schema, fields
from sqlalchemy.orm import selectinload

from engage import clock
from engage.api.errors import commit_unit
from engage.api.fields import Str
from engage.api.routing import operation, paginate
from engage.api.schemas import UserRefSchema
from engage.engagements import notes as service
from engage.engagements.models import Engagement, Note
from engage.security import Permission, acting, load_or_404, one_or_404, require


class NoteSchema(Schema):
    id = fields.Integer(required=True)
    engagement_id = fields.Integer(required=True)
    author = fields.Nested(UserRefSchema, allow_none=True)
    body = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class NoteWriteSchema(Schema):
    """The note's text; only your organisation will see it."""

    body = Str(service.NOTE_MAX, min_length=1, required=True)


def load_note(engagement_id: int, note_id: int) -> Note:
    return one_or_404(sa.select(Note).where(Note.id == note_id,
                                            Note.engagement_id == engagement_id))


@operation("GET", "/engagements/<id:engagement_id>/notes", tag="notes",
           summary="List your organisation's private notes on an engagement",
           response=NoteSchema, paginated=True)
def list_notes(engagement_id, args):
    """Your organisation's notes, newest first; never another organisation's."""
    engagement = load_or_404(Engagement, engagement_id)
    stmt = (sa.select(Note).where(Note.engagement_id == engagement.id)
            .order_by(Note.created_at.desc(), Note.id.desc()))
    return paginate(stmt, args, selectinload(Note.author))


@operation("POST", "/engagements/<id:engagement_id>/notes", tag="notes",
           summary="Add a private note (write)", body=NoteWriteSchema, response=NoteSchema,
           status=201)
def create_note(engagement_id, data):
    engagement = load_or_404(Engagement, engagement_id)
    require(Permission.WRITE)
    return commit_unit(lambda: service.add_note(engagement, **acting(), body=data["body"],
                                                now=clock.now()))


@operation("GET", "/engagements/<id:engagement_id>/notes/<id:note_id>", tag="notes",
           summary="Get one of your organisation's notes", response=NoteSchema)
def get_note(engagement_id, note_id):
    return load_note(engagement_id, note_id)


@operation("PATCH", "/engagements/<id:engagement_id>/notes/<id:note_id>", tag="notes",
           summary="Change a note (write)", body=NoteWriteSchema, response=NoteSchema)
def update_note(engagement_id, note_id, data):
    note = load_note(engagement_id, note_id)
    require(Permission.WRITE)
    return commit_unit(lambda: service.update_note(note, **acting(), body=data["body"]))


@operation("DELETE", "/engagements/<id:engagement_id>/notes/<id:note_id>", tag="notes",
           summary="Delete a note (write)", status=204)
def delete_note(engagement_id, note_id):
    note = load_note(engagement_id, note_id)
    require(Permission.WRITE)
    commit_unit(lambda: service.delete_note(note, **acting()))
    return Response(status=204)
