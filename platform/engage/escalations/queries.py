"""Reads of reviews that pages share: the open reviews an organisation decides (the reviews
inbox and the home page list them)."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from engage.common.listing import Filter, Order
from engage.common.search import matches_folded
from engage.companies.models import Company
from engage.engagements.models import (
    Engagement,
    EngagementParticipant,
    EngagementStatus,
    Milestone,
    ParticipantRole,
)
from engage.engagements.queries import steps_of_kind
from engage.escalations.models import (
    EscalationReview,
    ReviewReason,
    ReviewStatus,
    StepKind,
)
from engage.extensions import db


def decidable_reviews(organisation_id: int) -> sa.Select:
    """The open reviews the organisation decides (it leads or co-leads the engagement),
    oldest first: the reviews inbox and the home page list them."""
    return (
        sa.select(EscalationReview)
        .join(EngagementParticipant,
              (EngagementParticipant.engagement_id == EscalationReview.engagement_id)
              & (EngagementParticipant.organisation_id == organisation_id))
        .where(EscalationReview.status == ReviewStatus.OPEN,
               EngagementParticipant.leads)
        .order_by(EscalationReview.opened_at, EscalationReview.id)
    )


def count_decidable_reviews(organisation_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(
            decidable_reviews(organisation_id).order_by(None).subquery()))


# --- the reviews page: filters and orders (engage.common.listing) ----------------------------

LIST_FILTERS = (
    Filter("q", _l("Search"), kind="text"),
    Filter("initiative", _l("Initiative"), kind="id"),
    Filter("reason", _l("Why"), choices=[r.value for r in ReviewReason]),
    Filter("step", _l("Escalation step"), choices=[k.value for k in StepKind]),
    Filter("role", _l("My role"), choices=[r.value for r in EngagementParticipant.LEAD_ROLES]),
    Filter("overdue", _l("Overdue"), kind="flag"),
)
LIST_ORDERS = {
    "opened": Order(_l("Opened"), lambda: (EscalationReview.opened_at,)),
    "deadline": Order(_l("Deadline"), lambda: (EscalationReview.due_at,)),
    "company": Order(_l("Company"), lambda: (Company.name_key,)),
    "engagement": Order(_l("Engagement"), lambda: (Engagement.title_key,)),
}


def still_overdue(today: date) -> sa.ColumnElement[bool]:
    """The deadline that opened the review is still unmet: its milestone is pending past its
    date, or the step's waiting time ran out (nothing but a decision answers that). On an
    active engagement only: a closed engagement is never overdue."""
    return sa.and_(
        Engagement.status == EngagementStatus.ACTIVE,
        sa.or_(EscalationReview.reason == ReviewReason.STEP_WAIT_ELAPSED,
               sa.exists().where(Milestone.id == EscalationReview.milestone_id,
                                 Milestone.pending, Milestone.due_on < today)))


def listed_reviews(organisation_id: int, listing: Any, today: date) -> tuple[sa.Select, sa.Select]:
    """(rows, count): the open reviews the organisation decides, each with whether it is
    still overdue, filtered and ordered as ``listing`` says."""
    overdue = still_overdue(today)
    stmt = (decidable_reviews(organisation_id).add_columns(overdue.label("overdue"))
            .join(Engagement, Engagement.id == EscalationReview.engagement_id)
            .join(Company, Company.id == Engagement.company_id))
    found = matches_folded(listing.q, Company.name_key, Engagement.title_key)
    if found is not None:
        stmt = stmt.where(found)
    if listing.initiative is not None:
        stmt = stmt.where(Engagement.initiative_id == listing.initiative)
    if listing.reason:
        stmt = stmt.where(EscalationReview.reason == ReviewReason(listing.reason))
    if listing.step:
        stmt = stmt.where(Engagement.current_step_id.in_(steps_of_kind(listing.step)))
    if listing.role:
        stmt = stmt.where(EngagementParticipant.role == ParticipantRole(listing.role))
    if listing.overdue:
        stmt = stmt.where(overdue)
    count = sa.select(sa.func.count()).select_from(
        stmt.order_by(None).with_only_columns(EscalationReview.id).subquery())
    rows = stmt.order_by(None).order_by(*listing.order_by(LIST_ORDERS, EscalationReview.id))
    return rows, count
