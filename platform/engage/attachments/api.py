"""``/api/v1``: files attached to dialogue entries, milestones and letters.

An attachment is visible exactly as the row it hangs on; another organisation's private
row's files, and those of engagements you do not see, answer 404 as missing ones. Upload
with ``multipart/form-data`` (the field ``file``); the kind is read from the content.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response
from marshmallow import Schema, fields
from sqlalchemy.orm import selectinload

from engage import clock
from engage.api.errors import ApiError, commit_unit
from engage.api.routing import load_upload, operation, paginate
from engage.api.schemas import OrganisationRefSchema, UserRefSchema
from engage.attachments import kinds, service
from engage.attachments.download import attachment_response
from engage.attachments.models import Attachment, ParentKind
from engage.attachments.storage import MissingBlob
from engage.engagements.models import DialogueEntry, Letter, Milestone
from engage.security import Permission, acting, load_or_404, one_or_404, require


class AttachmentSchema(Schema):
    id = fields.Integer(required=True)
    engagement_id = fields.Integer(required=True)
    parent_kind = fields.Enum(ParentKind, by_value=True, required=True)
    parent_id = fields.Integer(required=True)
    filename = fields.String(required=True)
    kind = fields.String(required=True, metadata={
        "description": "What the content is, read from the bytes: "
                       + ", ".join(k.key for k in kinds.KINDS) + "."})
    content_type = fields.Function(lambda a: service.kind_of(a).mimetype, required=True)
    size = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    organisation = fields.Nested(OrganisationRefSchema, required=True)
    uploaded_by = fields.Nested(UserRefSchema, allow_none=True)
    created_at = fields.DateTime(required=True)


class AttachmentUploadSchema(Schema):
    """The file, as a multipart/form-data part named ``file``."""

    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


def _list(parent):
    column = {ParentKind.DIALOGUE: Attachment.dialogue_entry_id,
              ParentKind.MILESTONE: Attachment.milestone_id,
              ParentKind.LETTER: Attachment.letter_id}[service.parent_kind_of(parent)]
    return (sa.select(Attachment).where(column == parent.id)
            .order_by(Attachment.created_at, Attachment.id))


def _upload(parent):
    require(Permission.WRITE)
    data = load_upload(AttachmentUploadSchema)
    upload = data["file"]
    if isinstance(upload, str):  # a form field, not a file part: its text is the content
        name, content = None, upload.encode("utf-8", "surrogatepass")
    else:
        name = upload.filename
        content = upload.stream.read(service.max_bytes() + 1)
    return commit_unit(lambda: service.attach(parent, **acting(), now=clock.now(),
                                              filename=name, data=content))


_LOADS = (selectinload(Attachment.organisation), selectinload(Attachment.uploaded_by))


def _entry(engagement_id: int, entry_id: int) -> DialogueEntry:
    return one_or_404(sa.select(DialogueEntry).where(DialogueEntry.id == entry_id,
                                                     DialogueEntry.engagement_id == engagement_id))


def _milestone(engagement_id: int, milestone_id: int) -> Milestone:
    return one_or_404(sa.select(Milestone).where(Milestone.id == milestone_id,
                                                 Milestone.engagement_id == engagement_id))


@operation("GET", "/engagements/<id:engagement_id>/dialogue/<id:entry_id>/attachments",
           tag="attachments", summary="List a dialogue entry's attachments",
           response=AttachmentSchema, paginated=True)
def list_dialogue_attachments(engagement_id, entry_id, args):
    return paginate(_list(_entry(engagement_id, entry_id)), args, *_LOADS)


@operation("POST", "/engagements/<id:engagement_id>/dialogue/<id:entry_id>/attachments",
           tag="attachments", summary="Attach a file to a dialogue entry (its organisation)",
           upload=AttachmentUploadSchema, response=AttachmentSchema, status=201)
def attach_to_dialogue(engagement_id, entry_id):
    return _upload(_entry(engagement_id, entry_id))


@operation("GET", "/engagements/<id:engagement_id>/milestones/<id:milestone_id>/attachments",
           tag="attachments", summary="List a milestone's attachments",
           response=AttachmentSchema, paginated=True)
def list_milestone_attachments(engagement_id, milestone_id, args):
    return paginate(_list(_milestone(engagement_id, milestone_id)), args, *_LOADS)


@operation("POST", "/engagements/<id:engagement_id>/milestones/<id:milestone_id>/attachments",
           tag="attachments", summary="Attach a file to a milestone (leads)",
           upload=AttachmentUploadSchema, response=AttachmentSchema, status=201)
def attach_to_milestone(engagement_id, milestone_id):
    return _upload(_milestone(engagement_id, milestone_id))


@operation("GET", "/letters/<id:letter_id>/attachments", tag="attachments",
           summary="List a letter's attachments", response=AttachmentSchema, paginated=True)
def list_letter_attachments(letter_id, args):
    return paginate(_list(load_or_404(Letter, letter_id)), args, *_LOADS)


@operation("POST", "/letters/<id:letter_id>/attachments", tag="attachments",
           summary="Attach a file to a letter (leads)", upload=AttachmentUploadSchema,
           response=AttachmentSchema, status=201)
def attach_to_letter(letter_id):
    return _upload(load_or_404(Letter, letter_id))


@operation("GET", "/attachments/<id:attachment_id>", tag="attachments",
           summary="Get an attachment's description", response=AttachmentSchema)
def get_attachment(attachment_id):
    return load_or_404(Attachment, attachment_id)


@operation("GET", "/attachments/<id:attachment_id>/content", tag="attachments",
           summary="Download an attachment", binary=kinds.MIMETYPES)
def download_attachment(attachment_id):
    """The file, as a download (``Content-Disposition: attachment``) with the content type
    of its kind."""
    attachment = load_or_404(Attachment, attachment_id)
    try:
        data = service.content(attachment)
    except MissingBlob:
        raise ApiError(404, "The file is missing from the attachment storage.") from None
    return attachment_response(attachment, data)


@operation("DELETE", "/attachments/<id:attachment_id>", tag="attachments",
           summary="Delete an attachment (the organisation that attached it)", status=204)
def delete_attachment(attachment_id):
    attachment = load_or_404(Attachment, attachment_id)
    require(Permission.WRITE)
    key = commit_unit(lambda: service.delete(attachment, **acting()))
    service.release(key)
    return Response(status=204)
