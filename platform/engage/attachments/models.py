"""An attachment: a file's name, kind, size and content hash, on one dialogue entry, letter
or milestone. The content itself is in the storage (:mod:`engage.attachments.storage`),
under its SHA-256."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.common.visibility import aliased_table
from engage.db import Base, EngagementShared, StrEnum, TimestampMixin, enum_type
from engage.organisations.models import Organisation, User


class ParentKind(StrEnum):
    """What an attachment hangs on."""

    DIALOGUE = "dialogue"
    MILESTONE = "milestone"
    LETTER = "letter"


class Attachment(EngagementShared, TimestampMixin, Base):
    """Seen exactly as the row it hangs on: by the organisations that see the engagement,
    and, on a private dialogue entry, by that entry's organisation alone. Only the
    organisation that uploaded it deletes it."""

    __tablename__ = "attachment"
    __tenant_owner__ = "organisation_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    parent_kind: Mapped[ParentKind] = mapped_column(enum_type(ParentKind, "attachment_parent"))
    dialogue_entry_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("dialogue_entry.id", ondelete="CASCADE"), index=True)
    milestone_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("milestone.id", ondelete="CASCADE"), index=True)
    letter_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("letter.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    kind: Mapped[str] = mapped_column(sa.String(10))  # engage.attachments.kinds, by content
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)

    organisation: Mapped[Organisation] = relationship()
    uploaded_by: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "(parent_kind = 'dialogue' AND dialogue_entry_id IS NOT NULL AND milestone_id IS NULL"
            " AND letter_id IS NULL) OR (parent_kind = 'milestone' AND milestone_id IS NOT NULL"
            " AND dialogue_entry_id IS NULL AND letter_id IS NULL) OR (parent_kind = 'letter'"
            " AND letter_id IS NOT NULL AND dialogue_entry_id IS NULL AND milestone_id IS NULL)",
            name="one_parent"),
        sa.CheckConstraint("size > 0", name="not_empty"),
        sa.CheckConstraint("length(sha256) = 64", name="sha256_hex"),
        sa.Index("ix_attachment_engagement_parent", "engagement_id", "parent_kind"),
    )

    @property
    def parent_id(self) -> int:
        return {ParentKind.DIALOGUE: self.dialogue_entry_id,
                ParentKind.MILESTONE: self.milestone_id,
                ParentKind.LETTER: self.letter_id}[self.parent_kind]

    @classmethod
    def tenant_criteria(cls, org_id: Any) -> sa.ColumnElement[bool]:
        # The engagement's rule, and a dialogue entry's own: coalition, or this
        # organisation's private entry (DialogueEntry.tenant_criteria; on PostgreSQL the
        # row-level security policy of migration 0018 says the same).
        entry = aliased_table("dialogue_entry", "attachment_de")
        visible_entries = (sa.select(entry.c.id)
                           .where(sa.or_(entry.c.visibility == "coalition",
                                         entry.c.organisation_id == org_id))
                           .correlate(None))
        return sa.and_(super().tenant_criteria(org_id),
                       sa.or_(cls.dialogue_entry_id.is_(None),
                              cls.dialogue_entry_id.in_(visible_entries)))
