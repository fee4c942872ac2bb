from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.db import Base, OrgPrivate, StrEnum, TimestampMixin, UTCDateTime, enum_type
from engage.organisations.models import User


class NotificationKind(StrEnum):
    REVIEW_OPENED = "review_opened"
    REMINDER = "reminder"
    LETTER_TO_SIGN = "letter_to_sign"
    VOTE_REQUESTED = "vote_requested"
    TASK_ASSIGNED = "task_assigned"
    DIVESTMENT_REVIEW = "divestment_review"
    DECISION_FAILED = "decision_failed"
    INITIATIVE_APPLICATION = "initiative_application"  # to the coordinator: someone signed on
    MEMBERSHIP_DECIDED = "membership_decided"  # to the applicant: admitted or declined
    COMPANY_ENGAGEMENT = "company_engagement"  # to followers: a new engagement on the company
    COMPANY_VOTE = "company_vote"  # to followers: their organisation recorded a vote on it
    # To the invited organisation (an invitation) and to the inviting lead (the answer).
    ENGAGEMENT_INVITATION = "engagement_invitation"
    # To an organisation whose signature or decline was withdrawn: the document is a draft again.
    SIGNATURE_WITHDRAWN = "signature_withdrawn"


class Notification(OrgPrivate, TimestampMixin, Base):
    """A message to one user, private to the user's organisation.

    ``dedupe_key`` names the event and the user (``review:12:user:7``), so an event that is
    processed twice notifies once; ``emailed_at`` is set before sending, so a notification
    is e-mailed at most once.

    ``message`` and ``params`` say what it tells, as a key and data: its subject and body are
    written when it is read, in the reader's language (:meth:`text`). ``subject`` and
    ``body`` hold the text as first written, in the recipient's language then: what a row
    without a known message shows.
    """

    __tablename__ = "notification"
    __tenant_owner__ = "organisation_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[NotificationKind] = mapped_column(enum_type(NotificationKind, "notification_kind"))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    link: Mapped[str] = mapped_column(sa.String(500), default="")
    message: Mapped[str] = mapped_column(sa.String(64), default="", server_default="")
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict, server_default=sa.text("'{}'"))
    engagement_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("engagement.id", ondelete="CASCADE")
    )
    dedupe_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def text(self) -> tuple[str, str]:
        """The subject and body in the current language (the stored text if the message is
        not known)."""
        from engage.notifications.messages import render

        return render(self.message, self.params, self.subject, self.body)

    __table_args__ = (
        # The mailer's question, "what is not yet e-mailed", answered from an index.
        sa.Index(
            "ix_notification_unsent", "created_at",
            sqlite_where=sa.text("emailed_at IS NULL"),
            postgresql_where=sa.text("emailed_at IS NULL"),
        ),
    )
