"""What waits for the signed-in organisation to act on, on one list: reviews to decide,
documents to co-sign, votes to instruct, escalation tasks due, invitations and sign-on
requests to answer — each with its deadline (when it has one), the nearest first.

One UNION ALL of the six sources, counted by a window over it and LIMITed, so the dashboard
costs one statement for the list whatever the data size. The statement runs in the
organisation's tenancy scope, and each branch also names the organisation itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import url_for

from engage.companies.models import Company
from engage.db import date_plus_days
from engage.engagements.models import (
    Engagement,
    EngagementInvitation,
    EngagementParticipant,
    EngagementStatus,
    InvitationStatus,
    Letter,
    LetterDecline,
    LetterStatus,
    Milestone,
    Signature,
)
from engage.escalations.models import EscalationTask, Resolution, TaskStatus
from engage.escalations.queries import decidable_reviews
from engage.extensions import db
from engage.initiatives.models import Initiative, InitiativeMember, MemberStatus
from engage.organisations.models import Organisation
from engage.votes.models import Vote, VoteStatus

TODO_SHOWN = 10
KINDS = ("review", "sign", "vote", "task", "invitation", "sign_on")


@dataclass(frozen=True)
class Todo:
    kind: str  # one of KINDS
    due_on: date | None  # None: nothing sets a date by which it must be done
    since: datetime | None  # when it came to wait for the organisation
    title: str
    company: str  # the company; for a sign-on request, the organisation asking
    target_id: int  # the review, letter, vote, task, invitation or membership
    engagement_id: int | None
    other_id: int | None  # the vote's company, the sign-on's initiative
    detail: str  # a letter's kind

    def overdue(self, today: date) -> bool:
        return self.due_on is not None and self.due_on < today

    @property
    def url(self) -> str:
        """Where the thing is done."""
        if self.kind == "review":
            return url_for("escalations.review_page", review_id=self.target_id)
        if self.kind == "sign":  # the document's own page, where it is read and signed
            return url_for("escalations.letter_page", letter_id=self.target_id)
        if self.kind == "vote":  # the votes page lists every vote for an AGM still to come
            return url_for("votes.index") + f"#vote-{self.target_id}"
        if self.kind == "task":
            return (url_for("engagements.show", engagement_id=self.engagement_id)
                    + f"#task-{self.target_id}")
        if self.kind == "invitation":
            return url_for("invitations.index") + f"#invitation-{self.target_id}"
        return url_for("initiatives.show", initiative_id=self.other_id) + f"#member-{self.target_id}"



def _text(value: Any) -> sa.ColumnElement:
    if isinstance(value, str):
        return sa.literal(value, sa.String)
    return sa.cast(value, sa.String)


_NO_DATE = sa.cast(sa.null(), sa.Date)
_NO_ID = sa.cast(sa.null(), sa.Integer)
_NO_TEXT = sa.literal("", sa.String)


def to_do(org_id: int, today: date, *, may_decide: bool,
          limit: int = TODO_SHOWN) -> tuple[list[Todo], int]:
    """The first ``limit`` things the organisation has to act on, the nearest deadline first
    (those without one after, the longest waiting first), and how many there are.
    ``may_decide``: the reader may decide reviews (reviews are left out otherwise)."""

    def row(kind: str, due_on: Any, since: Any, title: Any, company: Any, target_id: Any,
            engagement_id: Any, other_id: Any = _NO_ID, detail: Any = _NO_TEXT) -> sa.Select:
        return sa.select(_text(kind).label("kind"), due_on.label("due_on"), since.label("since"),
                         _text(title).label("title"), _text(company).label("company"),
                         target_id.label("target_id"), engagement_id.label("engagement_id"),
                         other_id.label("other_id"), _text(detail).label("detail"))

    branches: list[sa.Select] = []
    active = Engagement.status == EngagementStatus.ACTIVE
    if may_decide:
        reviews = decidable_reviews(org_id).order_by(None).subquery()
        branches.append(
            row("review", sa.func.coalesce(Milestone.due_on, date_plus_days(reviews.c.due_at, 0)),
                reviews.c.opened_at, sa.func.coalesce(Milestone.title, ""), Company.name,
                reviews.c.id, reviews.c.engagement_id)
            .select_from(reviews)
            .join(Engagement, Engagement.id == reviews.c.engagement_id)
            .join(Company, Company.id == Engagement.company_id)
            .outerjoin(Milestone, Milestone.id == reviews.c.milestone_id))
    # Documents open for co-signing on engagements the organisation acts in, that it has
    # neither signed nor declined. A resolution must be filed by its filing deadline.
    signed = sa.select(Signature.letter_id).where(Signature.organisation_id == org_id)
    declined = sa.select(LetterDecline.letter_id).where(LetterDecline.organisation_id == org_id)
    acting = sa.select(EngagementParticipant.engagement_id).where(
        EngagementParticipant.organisation_id == org_id,
        EngagementParticipant.role.in_(EngagementParticipant.ACTING_ROLES))
    branches.append(
        row("sign", date_plus_days(Resolution.agm_on, -Resolution.filing_days), Letter.opened_at,
            Letter.title, Company.name, Letter.id, Letter.engagement_id, detail=Letter.kind)
        .select_from(Letter)
        .join(Engagement, Engagement.id == Letter.engagement_id)
        .join(Company, Company.id == Engagement.company_id)
        .outerjoin(Resolution, Resolution.letter_id == Letter.id)
        .where(Letter.status == LetterStatus.OPEN_FOR_SIGNING, active,
               Letter.engagement_id.in_(acting), Letter.id.not_in(signed),
               Letter.id.not_in(declined)))
    # Votes an escalation asked for and the organisation has not yet instructed, for an
    # AGM still to come (its own votes only: each organisation decides its own).
    branches.append(
        row("vote", Vote.agm_on, Vote.created_at, Vote.item, Company.name, Vote.id,
            Vote.engagement_id, other_id=Vote.company_id)
        .join(Company, Company.id == Vote.company_id)
        .where(Vote.organisation_id == org_id, Vote.status == VoteStatus.PROPOSED,
               Vote.agm_on >= today))
    branches.append(
        row("task", EscalationTask.due_on, EscalationTask.created_at, EscalationTask.title,
            Company.name, EscalationTask.id, EscalationTask.engagement_id)
        .join(Engagement, Engagement.id == EscalationTask.engagement_id)
        .join(Company, Company.id == Engagement.company_id)
        .where(EscalationTask.owner_organisation_id == org_id,
               EscalationTask.status == TaskStatus.OPEN))
    branches.append(
        row("invitation", _NO_DATE, EngagementInvitation.created_at,
            EngagementInvitation.engagement_title, EngagementInvitation.company_name,
            EngagementInvitation.id, _NO_ID, detail=EngagementInvitation.role)
        .where(EngagementInvitation.organisation_id == org_id,
               EngagementInvitation.status == InvitationStatus.PENDING))
    # Organisations asking to sign on to an initiative the organisation coordinates.
    branches.append(
        row("sign_on", _NO_DATE, InitiativeMember.joined_at, Initiative.title, Organisation.name,
            InitiativeMember.id, _NO_ID, other_id=Initiative.id)
        .select_from(InitiativeMember)
        .join(Initiative, Initiative.id == InitiativeMember.initiative_id)
        .join(Organisation, Organisation.id == InitiativeMember.organisation_id)
        .where(Initiative.coordinator_organisation_id == org_id,
               InitiativeMember.status == MemberStatus.PENDING))
    found = sa.union_all(*branches).subquery("todo")
    rows = db.session.execute(
        sa.select(found, sa.func.count().over().label("total"))
        .order_by(found.c.due_on.is_(None), found.c.due_on, found.c.since.is_(None), found.c.since,
                  found.c.kind,
                  found.c.target_id)
        .limit(limit)).all()
    return ([Todo(r.kind, r.due_on, r.since, r.title, r.company, r.target_id, r.engagement_id,
                  r.other_id, r.detail) for r in rows],
            rows[0].total if rows else 0)
