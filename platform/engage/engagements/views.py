"""Engagements: the list (by severity to people) and one engagement's page."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template
from sqlalchemy.orm import selectinload

from engage.companies.models import Company
from engage.core.paging import current_page
from engage.engagements.models import Engagement, EngagementStatus, Letter, Milestone
from engage.escalations.models import (
    Decision,
    DivestmentReview,
    EscalationLadder,
    EscalationReview,
    EscalationTask,
)
from engage.extensions import db
from engage.security import Permission, can, current_org, engagement_role, load_or_404, requires
from engage.votes.models import Vote

bp = Blueprint("engagements", __name__, url_prefix="/engagements")


def load_engagement(engagement_id: int) -> Engagement:
    return load_or_404(Engagement, engagement_id)


@bp.get("")
@requires(Permission.READ)
def index():
    """Every engagement the organisation can see, most severe for people first."""
    page = current_page()
    next_due = (
        sa.select(sa.func.min(Milestone.due_on))
        .where(Milestone.engagement_id == Engagement.id, Milestone.met_on.is_(None))
        .correlate(Engagement)
        .scalar_subquery()
    )
    query = (
        sa.select(Engagement, Company.name, next_due.label("next_due_on"))
        .join(Company, Company.id == Engagement.company_id)
        .order_by(Engagement.status != EngagementStatus.ACTIVE, Engagement.severity.desc(),
                  Engagement.id)
    )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Engagement))
    rows = db.session.execute(query.limit(page.size).offset(page.offset)).all()
    return render_template("engagements/index.html", rows=rows, page=page.number, total=total,
                           pages=page.count(total))


@bp.get("/<int:engagement_id>")
@requires(Permission.READ, load=load_engagement)
def show(engagement: Engagement):
    reviews = db.session.scalars(
        sa.select(EscalationReview)
        .where(EscalationReview.engagement_id == engagement.id)
        .options(selectinload(EscalationReview.decision).selectinload(Decision.ladder_step),
                 selectinload(EscalationReview.milestone))
        .order_by(EscalationReview.opened_at.desc())
    ).all()
    ladder = None
    if engagement.ladder_id:
        ladder = db.session.scalar(
            sa.select(EscalationLadder).where(EscalationLadder.id == engagement.ladder_id)
            .options(selectinload(EscalationLadder.steps))
        )
    letters = db.session.scalars(
        sa.select(Letter).where(Letter.engagement_id == engagement.id)
        .options(selectinload(Letter.signatures)).order_by(Letter.id.desc())
    ).all()
    tasks = db.session.scalars(
        sa.select(EscalationTask).where(EscalationTask.engagement_id == engagement.id)
        .order_by(EscalationTask.due_on)
    ).all()
    votes = db.session.scalars(
        sa.select(Vote).where(Vote.engagement_id == engagement.id).order_by(Vote.agm_on)
    ).all()  # tenancy: only this organisation's own votes
    divestment_reviews = db.session.scalars(
        sa.select(DivestmentReview).where(DivestmentReview.engagement_id == engagement.id)
        .order_by(DivestmentReview.id)
    ).all()
    role = engagement_role(current_org.id, engagement.id)
    may_decide = can(Permission.LEAD_ENGAGEMENT, engagement)
    return render_template(
        "engagements/show.html",
        engagement=engagement,
        milestones=engagement.milestones,
        reviews=reviews,
        ladder=ladder,
        letters=letters,
        tasks=tasks,
        votes=votes,
        divestment_reviews=divestment_reviews,
        my_role=role,
        may_decide=may_decide,
    )
