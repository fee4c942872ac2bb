"""Attaching files to dialogue entries, milestones and letters; reading and deleting them.

Who may attach: to a dialogue entry, the organisation that logged it; to a milestone or a
letter, the engagement's lead and co-lead organisations. Who sees: whoever sees the row (the
tenancy filter of :class:`engage.attachments.models.Attachment`). Who deletes: the
organisation that uploaded it. Each write is in the audit trail, like every ORM change.

The content is checked before anything is written — not empty, within
``ENGAGE_ATTACHMENT_MAX_BYTES``, of a kind on the allow-list read from the bytes
(:mod:`engage.attachments.kinds`) — then stored under its SHA-256
(:mod:`engage.attachments.storage`) and the row added. The same content attached twice is
stored once; deleting the last row that names it removes it from the storage
(:func:`release`, after the deletion is committed).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from engage.attachments import kinds
from engage.attachments.models import Attachment, ParentKind
from engage.attachments.storage import storage
from engage.common.forms import FormError
from engage.engagements.models import DialogueEntry, EngagementParticipant, Letter, Milestone
from engage.engagements.service import participant_role
from engage.extensions import db
from engage.organisations.models import OrgMembership, User
from engage.tenancy import database_system_scope

PARENTS: dict[ParentKind, type] = {ParentKind.DIALOGUE: DialogueEntry,
                                   ParentKind.MILESTONE: Milestone, ParentKind.LETTER: Letter}
_COLUMN = {ParentKind.DIALOGUE: "dialogue_entry_id", ParentKind.MILESTONE: "milestone_id",
           ParentKind.LETTER: "letter_id"}
NAME_MAX = 200


class AttachmentError(FormError):
    """The file cannot be attached as given; nothing was written."""


def load_parent(kind: str, parent_id: int) -> Any:
    """The dialogue entry, milestone or letter, if this organisation sees it; else None."""
    try:
        model = PARENTS[ParentKind(kind)]
    except ValueError:
        return None
    return db.session.get(model, parent_id)


def parent_kind_of(parent: Any) -> ParentKind:
    for kind, model in PARENTS.items():
        if isinstance(parent, model):
            return kind
    raise TypeError(f"nothing is attached to a {type(parent).__name__}")


def of_parent(parent: Any) -> list[Attachment]:
    kind = parent_kind_of(parent)
    return list(db.session.scalars(
        sa.select(Attachment)
        .where(getattr(Attachment, _COLUMN[kind]) == parent.id)
        .options(joinedload(Attachment.organisation), joinedload(Attachment.uploaded_by))
        .order_by(Attachment.created_at, Attachment.id)))


def of_engagement(engagement_id: int) -> dict[tuple[str, int], list[Attachment]]:
    """Every attachment this organisation sees on an engagement, by (parent kind, id): one
    statement for a whole page."""
    found: dict[tuple[str, int], list[Attachment]] = {}
    for attachment in db.session.scalars(
            sa.select(Attachment).where(Attachment.engagement_id == engagement_id)
            .options(joinedload(Attachment.organisation))
            .order_by(Attachment.created_at, Attachment.id)):
        found.setdefault((attachment.parent_kind.value, attachment.parent_id), []).append(attachment)
    return found


def may_attach(parent: Any, organisation_id: int, role: Any = None) -> bool:
    """Whether the organisation may attach files to the row (see the module's docstring)."""
    if isinstance(parent, DialogueEntry):
        return parent.organisation_id == organisation_id
    if role is None:
        role = participant_role(parent.engagement_id, organisation_id)
    return role in EngagementParticipant.LEAD_ROLES


def clean_name(name: str | None, kind: kinds.Kind) -> str:
    """The name shown and offered on download: the last path part, printable characters
    only, at most 200 characters, and ending in an extension of the kind the content is
    (``minutes.pdf`` holding a PNG downloads as ``minutes.pdf.png``)."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] not in ("C",)).strip(" .")
    stem = name[:NAME_MAX] or "attachment"
    if not stem.lower().endswith(kind.extensions):
        stem += kind.extensions[0]
    return stem


def _check_actor(actor: User, organisation_id: int) -> None:
    member_of = db.session.scalar(
        sa.select(OrgMembership.organisation_id).where(OrgMembership.user_id == actor.id))
    if member_of != organisation_id:
        raise AttachmentError(_("You do not act for this organisation."))


def max_bytes() -> int:
    """The largest attachment accepted (``ENGAGE_ATTACHMENT_MAX_MB``)."""
    return current_app.config["ENGAGE_ATTACHMENT_MAX_BYTES"]


def read_content(data: bytes | None) -> tuple[bytes, kinds.Kind]:
    """The content and its kind, or field messages under ``file``."""
    limit = max_bytes()
    if not data:
        raise AttachmentError({"file": _("Choose a file: the one given is empty.")})
    if len(data) > limit:
        raise AttachmentError({"file": _(
            "The file is larger than %(size)d MB, the most an attachment may be.",
            size=limit // (1024 * 1024) or 1)})
    kind = kinds.detect(data)
    if kind is None:
        raise AttachmentError({"file": _(
            "This kind of file cannot be attached. Attach a PDF, PNG or JPEG image, Word "
            "(DOCX) or Excel (XLSX) file, e-mail (EML) or plain text; the content decides, "
            "not the name.")})
    return data, kind


def attach(parent: Any, *, actor: User, organisation_id: int, filename: str | None,
           data: bytes | None, now: datetime) -> Attachment:
    """Attach a file to a dialogue entry, milestone or letter the organisation sees."""
    _check_actor(actor, organisation_id)
    if not may_attach(parent, organisation_id):
        raise AttachmentError(
            _("Only the organisation that logged this entry can attach files to it.")
            if isinstance(parent, DialogueEntry) else
            _("Only the engagement's lead and co-lead investors can attach files here."))
    content, kind = read_content(data)
    digest = hashlib.sha256(content).hexdigest()
    parent_kind = parent_kind_of(parent)
    attachment = Attachment(
        engagement_id=parent.engagement_id, organisation_id=organisation_id,
        uploaded_by_id=actor.id, parent_kind=parent_kind, filename=clean_name(filename, kind),
        kind=kind.key, size=len(content), sha256=digest, created_at=now,
        **{_COLUMN[parent_kind]: parent.id})
    # Stored before the row is written: a committed row never names content that is missing.
    storage().put(digest, content)
    db.session.add(attachment)
    db.session.flush()
    return attachment


def delete(attachment: Attachment, *, actor: User, organisation_id: int) -> str:
    """Delete the attachment (its row; the audit trail keeps its name, kind and hash).
    Returns the content's key, for :func:`release` once the deletion is committed."""
    _check_actor(actor, organisation_id)
    if attachment.organisation_id != organisation_id:
        raise AttachmentError(_("Only the organisation that attached a file can delete it."))
    key = attachment.sha256
    db.session.delete(attachment)
    db.session.flush()
    return key


def release(key: str) -> bool:
    """Remove the content from the storage when no attachment names it any more (of any
    organisation: the count looks past tenancy and row-level security, and tells nothing
    back). True when removed."""
    with database_system_scope("attachments: is the content still attached anywhere"):
        table = Attachment.__table__
        still = db.session.execute(
            sa.select(sa.func.count()).select_from(table).where(table.c.sha256 == key)
        ).scalar_one()
    db.session.commit()
    if still:
        return False
    storage().delete(key)
    return True


def content(attachment: Attachment) -> bytes:
    return storage().get(attachment.sha256)


def kind_of(attachment: Attachment) -> kinds.Kind:
    return next(k for k in kinds.KINDS if k.key == attachment.kind)
