"""A co-signed document of an engagement (a letter to the board, a public statement, an AGM
question, a shareholder resolution), its signatures and its declines. Re-exported by
:mod:`engage.engagements.models`, where the rest of the engagement's record lives."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from engage.db import Base, EngagementShared, StrEnum, TenantScoped, TimestampMixin, UTCDateTime, enum_type, utcnow
from engage.organisations.models import Organisation, User

if TYPE_CHECKING:
    from engage.engagements.models import Engagement

class LetterKind(StrEnum):
    """What a co-signed document is: each is drafted, signed and then sent (a letter),
    published (a statement), asked at the AGM (a question) or filed (a resolution)."""

    LETTER_TO_BOARD = "letter_to_board"
    PUBLIC_STATEMENT = "public_statement"
    AGM_QUESTION = "agm_question"
    RESOLUTION = "resolution"  # a shareholder resolution; its co-filers are its signatories


class LetterStatus(StrEnum):
    DRAFT = "draft"
    OPEN_FOR_SIGNING = "open_for_signing"
    SENT = "sent"


class LetterLanguage(StrEnum):
    """The language a letter is written in, chosen per letter."""

    EN = "en"
    NL = "nl"


class LetterChannel(StrEnum):
    """How a letter reached the company."""

    EMAIL = "email"
    POST = "post"
    HAND_DELIVERED = "hand_delivered"
    PORTAL = "portal"


class Letter(EngagementShared, TimestampMixin, Base):
    """A letter or statement drafted by a lead and opened for co-signing."""

    __tablename__ = "letter"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("decision.id", ondelete="SET NULL"), unique=True
    )
    kind: Mapped[LetterKind] = mapped_column(enum_type(LetterKind, "letter_kind"))
    title: Mapped[str] = mapped_column(sa.String(300))
    # The company-facing body as HTML, always derived from ``body_text`` (escaped
    # paragraphs); letters drafted before plain-text drafting have only this.
    body_html: Mapped[str] = mapped_column(sa.Text)
    # The draft as the leads write it: plain text, paragraphs separated by a blank line,
    # "- " starting a list item. Never rendered as HTML without escaping.
    body_text: Mapped[str | None] = mapped_column(sa.Text)
    language: Mapped[LetterLanguage] = mapped_column(
        enum_type(LetterLanguage, "letter_language"), default=LetterLanguage.EN,
        server_default=LetterLanguage.EN.value)
    # Set once a lead edits the text: from then the text is the lead's, and switching the
    # language no longer writes a new draft over it.
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    edited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    # Who the company answers to (the sender block, beside the lead organisation).
    contact_name: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    contact_email: Mapped[str] = mapped_column(sa.String(254), default="", server_default="")
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[LetterStatus] = mapped_column(
        enum_type(LetterStatus, "letter_status"), default=LetterStatus.DRAFT
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    sent_on: Mapped[date | None]
    sent_channel: Mapped[str | None] = mapped_column(sa.String(20))
    # The company's answer is due by this milestone (made when the letter is sent), so the
    # sweep opens a review of an unanswered letter like any missed deadline.
    response_milestone_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("milestone.id", ondelete="SET NULL"))
    # No longer written: the PDF is rendered from the current state when asked for. (WeasyPrint), loaded only when asked for.
    pdf: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)

    engagement: Mapped[Engagement] = relationship(back_populates="letters")
    signatures: Mapped[list[Signature]] = relationship(
        back_populates="letter", cascade="all, delete-orphan"
    )
    declines: Mapped[list[LetterDecline]] = relationship(
        back_populates="letter", cascade="all, delete-orphan", order_by="LetterDecline.declined_at"
    )

    @property
    def signing_version(self) -> str:
        """Which opening for signing a signer saw (the text is frozen while open; returning
        to draft and opening again gives a new version)."""
        return self.opened_at.strftime("%Y%m%dT%H%M%S%f") if self.opened_at else ""

    @property
    def signatory_count(self) -> int:
        return len(self.signatures)

    @property
    def signed_aum_eur(self) -> Any:
        """The assets the letter may claim: its actual signatures' (see Signature.aum_eur)."""
        from decimal import Decimal

        return sum((s.aum_eur for s in self.signatures if s.aum_eur is not None), Decimal(0))


# Plain tables (not the mapped classes), so the tenancy filter does not hide another
# signatory's commitment: a letter states every signer's committed assets to every reader.
_SIGNED_LETTER = sa.table("letter", sa.column("id"), sa.column("engagement_id")).alias("signed_letter")
_SIGNED_ENGAGEMENT = sa.table("engagement", sa.column("id"),
                              sa.column("initiative_id")).alias("signed_engagement")
_SIGNED_MEMBER = sa.table("initiative_member", sa.column("initiative_id"),
                          sa.column("organisation_id"),
                          sa.column("aum_committed_eur", sa.Numeric(20, 2))).alias("signed_member")


class AumBasis(StrEnum):
    """What a signatory's assets stand for in a letter."""

    COMMITTED = "committed"  # committed to the engagement's initiative
    DECLARED = "declared"  # the organisation's declared AUM (a direct engagement)


class Signature(TenantScoped, Base):
    """One organisation's co-signature of a letter."""

    __tablename__ = "signature"

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(sa.ForeignKey("letter.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    signed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What the signature stood for when the letter went out (see :meth:`state`): a sent
    # letter keeps the assets it claimed, whatever the organisation commits later.
    stated_basis: Mapped[str | None] = mapped_column(sa.String(10))
    stated_aum_eur: Mapped[Any] = mapped_column(sa.Numeric(20, 2), nullable=True)

    letter: Mapped[Letter] = relationship(back_populates="signatures")
    organisation: Mapped[Organisation] = relationship()
    signed_by: Mapped[User | None] = relationship()

    # The initiative the letter's engagement belongs to, and what this organisation committed
    # to it: loaded with the signature, so a page of letters costs no query per signatory.
    initiative_id: Mapped[int | None] = column_property(
        sa.select(_SIGNED_ENGAGEMENT.c.initiative_id)
        .select_from(_SIGNED_LETTER.join(
            _SIGNED_ENGAGEMENT, _SIGNED_ENGAGEMENT.c.id == _SIGNED_LETTER.c.engagement_id))
        .where(_SIGNED_LETTER.c.id == letter_id)
        .correlate_except(_SIGNED_LETTER, _SIGNED_ENGAGEMENT)
        .scalar_subquery())
    committed_aum_eur: Mapped[Any] = column_property(
        sa.select(_SIGNED_MEMBER.c.aum_committed_eur)
        .select_from(_SIGNED_LETTER.join(
            _SIGNED_ENGAGEMENT, _SIGNED_ENGAGEMENT.c.id == _SIGNED_LETTER.c.engagement_id)
            .join(_SIGNED_MEMBER, _SIGNED_MEMBER.c.initiative_id == _SIGNED_ENGAGEMENT.c.initiative_id))
        .where(_SIGNED_LETTER.c.id == letter_id, _SIGNED_MEMBER.c.organisation_id == organisation_id)
        .correlate_except(_SIGNED_LETTER, _SIGNED_ENGAGEMENT, _SIGNED_MEMBER)
        .scalar_subquery())

    __table_args__ = (sa.UniqueConstraint("letter_id", "organisation_id"),)

    @property
    def aum_basis(self) -> AumBasis:
        if self.stated_basis is not None:
            return AumBasis(self.stated_basis)
        return AumBasis.COMMITTED if self.initiative_id is not None else AumBasis.DECLARED

    @property
    def aum_eur(self) -> Any:
        """The assets this signature stands for: committed to the initiative, or declared
        (direct engagement); None when the organisation stated none. Once the letter is
        sent, what it stated then."""
        if self.stated_basis is not None:
            return self.stated_aum_eur
        if self.aum_basis is AumBasis.COMMITTED:
            return self.committed_aum_eur
        return self.organisation.aum_eur

    def state(self) -> None:
        """Record what the signature stands for now; called as its letter is sent."""
        basis, amount = self.aum_basis, self.aum_eur
        self.stated_basis, self.stated_aum_eur = basis.value, amount

    @classmethod
    def tenant_criteria(cls, org_id: Any) -> sa.ColumnElement[bool]:
        from engage.common.visibility import aliased_table, engagement_visible

        letter = aliased_table("letter", "tenancy_letter")
        return cls.letter_id.in_(
            sa.select(letter.c.id)
            .where(engagement_visible(letter.c.engagement_id, org_id))
            .correlate(None)
        )


class LetterDecline(TenantScoped, Base):
    """An organisation's recorded decision not to sign a letter (who, when, why if said).
    A declined organisation is no signatory; it may still sign while the letter is open."""

    __tablename__ = "letter_decline"

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(sa.ForeignKey("letter.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    declined_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    declined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(sa.Text, default="")

    letter: Mapped[Letter] = relationship(back_populates="declines")
    organisation: Mapped[Organisation] = relationship()
    declined_by: Mapped[User | None] = relationship()

    __table_args__ = (sa.UniqueConstraint("letter_id", "organisation_id"),)

    @classmethod
    def tenant_criteria(cls, org_id: Any) -> sa.ColumnElement[bool]:
        from engage.common.visibility import aliased_table, engagement_visible

        letter = aliased_table("letter", "tenancy_letter_decline")
        return cls.letter_id.in_(
            sa.select(letter.c.id)
            .where(engagement_visible(letter.c.engagement_id, org_id))
            .correlate(None)
        )
