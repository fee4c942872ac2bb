"""A review on one screen: what was missed and how late, the engagement and its company, the
ladder with the steps taken (and when) and the one proposed next, the latest dialogue, and
what each decision does; the decision form for those who may decide.

The page costs the same few statements whatever the engagement's history: the review with
its milestone and decision, the engagement with its company and ladder, the participants,
the escalation decisions, the latest dialogue and (for a lead) its own holding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import render_template
from sqlalchemy.orm import joinedload

from engage import clock
from engage.clock import local_date
from engage.engagements import labels
from engage.engagements.models import PARTICIPANT_ORDER, DialogueEntry, EngagementParticipant
from engage.engagements.pages import load_engagement, next_step_id, own_holding
from engage.escalations.models import (
    ApplyStatus,
    Decision,
    DecisionKind,
    EscalationReview,
    LadderStep,
)
from engage.extensions import db
from engage.security import Permission, can, current_org, load_or_404

DIALOGUE_SHOWN = 3


def load_review_for_page(review_id: int) -> EscalationReview:
    """The review with what its page heads with (its milestone, its decision if any)."""
    review = db.session.scalar(
        sa.select(EscalationReview).where(EscalationReview.id == review_id)
        .options(joinedload(EscalationReview.milestone),
                 joinedload(EscalationReview.ladder_step),
                 joinedload(EscalationReview.decision).joinedload(Decision.ladder_step)))
    return review if review is not None else load_or_404(EscalationReview, review_id)


@dataclass(frozen=True)
class Taken:
    """An escalation decided on the engagement: when, and whether it has been carried out."""

    decided_on: date
    status: str  # ApplyStatus value


@dataclass
class Rung:
    """One step of the ladder as the review page shows it."""

    step: LadderStep
    taken: list[Taken] = field(default_factory=list)
    current: bool = False
    proposed: bool = False


def days_late(review: EscalationReview, today: date) -> int:
    """Days since the deadline the review is about passed: the milestone's due date while it
    is unmet, else the moment the review fell due (a step's waiting time ran out)."""
    due = (review.milestone.due_on if review.milestone is not None
           else local_date(review.due_at))
    return max((today - due).days, 0)


def context(review: EscalationReview, *, errors: dict[str, str] | None = None,
            values: dict[str, str] | None = None) -> dict[str, Any]:
    """Everything the review page draws."""
    engagement = load_engagement(review.engagement_id)
    participants = db.session.scalars(
        sa.select(EngagementParticipant)
        .where(EngagementParticipant.engagement_id == engagement.id)
        .options(joinedload(EngagementParticipant.organisation))
        .order_by(*PARTICIPANT_ORDER)).all()
    role = next((p.role for p in participants if p.organisation_id == current_org.id), None)
    may_decide = can(Permission.LEAD_ENGAGEMENT, engagement, role=role)
    escalations = db.session.scalars(
        sa.select(Decision)
        .where(Decision.engagement_id == engagement.id, Decision.kind == DecisionKind.ESCALATE)
        .options(joinedload(Decision.ladder_step))
        .order_by(Decision.decided_at, Decision.id)).all()
    proposed_id = next_step_id(engagement, escalations)
    ladder = engagement.ladder
    rungs = [Rung(step, current=step.id == engagement.current_step_id,
                  proposed=step.id == proposed_id)
             for step in (ladder.steps if ladder else ())]
    by_step = {r.step.id: r for r in rungs}
    for d in escalations:
        if d.ladder_step_id in by_step:
            by_step[d.ladder_step_id].taken.append(
                Taken(local_date(d.decided_at), d.apply_status.value))
    # Steps since retired from the ladder, taken before: still part of what was tried.
    earlier = [d for d in escalations if d.ladder_step_id not in by_step and d.ladder_step]
    dialogue = db.session.scalars(
        sa.select(DialogueEntry).where(DialogueEntry.engagement_id == engagement.id)
        .options(joinedload(DialogueEntry.organisation))
        .order_by(DialogueEntry.occurred_on.desc(), DialogueEntry.id.desc())
        .limit(DIALOGUE_SHOWN)).all()
    today = clock.today()
    return {
        **labels.context(),
        "review": review,
        "engagement": engagement,
        "ladder": ladder,
        "rungs": rungs,
        "retired_taken": earlier,
        "tried": [d for d in escalations if d.ladder_step is not None],
        "next_step_id": proposed_id,
        "today": today,
        "days_late": days_late(review, today),
        "dialogue": dialogue,
        "deciders": [p for p in participants if p.role in EngagementParticipant.LEAD_ROLES],
        "may_decide": may_decide,
        "my_holding": own_holding(engagement.company_id) if may_decide else None,
        "errors": errors or {},
        "values": values or {},
        "apply_waiting": (ApplyStatus.PENDING.value, ApplyStatus.RUNNING.value),
    }


def draw(review: EscalationReview, **kwargs: Any) -> str:
    return render_template("escalations/review.html", **context(review, **kwargs))


def draw_form(review: EscalationReview, **kwargs: Any) -> str:
    """The decision form alone, as htmx swaps it in with its messages."""
    return render_template("escalations/_decision_form.html", **context(review, **kwargs),
                           from_review_page=True)
