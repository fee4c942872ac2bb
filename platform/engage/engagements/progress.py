"""An engagement's stage, defined once: in SQL for the lists, charts and reports, and in Python
for a page that already holds the milestones. Both must agree (tests/engagements/test_progress.py).

The stage is where the engagement as a whole stands, not the furthest any milestone got:

- while milestones are open (not met), the stage of the next one: the earliest due, overdue
  ones first (on the same day, the lower stage) — where the engagement is now, or is stuck —
  and never 4: an open milestone's outcome is by definition not verified yet. Not the lowest
  of all open milestones: a target set two years out is naturally at 0, and would make an
  engagement that met three milestones read "not started";
- once every milestone is met, the lowest stage among them: 4 ("plan implemented, outcome for
  people verified") only when every milestone was met at stage 4;
- with no milestone, 0 ("not started"): nothing checkable has been agreed yet;
- an engagement closed with "no prospect of success" never shows 4; the pages show its
  outcome rather than a stage.

A cancelled milestone (kept in the record with its reason) counts in none of this.

Beside the stage the pages show what holds it back: the milestones overdue on an active
engagement and the reviews still open.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import with_expression

from engage.engagements.models import Engagement, EngagementStatus, Milestone

VERIFIED = 4
# An open milestone is at most "credible plan": verification is what meeting it means.
OPEN_CEILING = 3


def _counted(milestones: Iterable[Any]) -> list[Any]:
    return [m for m in milestones if getattr(m, "cancelled_on", None) is None]


def stage_of(milestones: Iterable[Any], status: Any = EngagementStatus.ACTIVE) -> int:
    """The engagement's stage from its milestones (objects with ``stage``, ``due_on`` and
    ``met_on``; those with a ``cancelled_on`` do not count)."""
    milestones = _counted(milestones)
    if not milestones:
        return 0
    still_open = [m for m in milestones if m.met_on is None]
    if still_open:
        following = min(still_open, key=lambda m: (m.due_on, m.stage))
        stage = min(following.stage, OPEN_CEILING)
    else:
        stage = min(m.stage for m in milestones)
    if str(status) == EngagementStatus.CLOSED_NO_PROSPECT.value:
        stage = min(stage, OPEN_CEILING)
    return stage


def stage_sql() -> sa.ColumnElement[int]:
    """The same as ``stage_of``, as a column correlated to Engagement: scalar subqueries, so
    a list computes it in its one statement."""
    capped = sa.case((Milestone.stage > OPEN_CEILING, OPEN_CEILING), else_=Milestone.stage)
    following = (
        sa.select(capped)
        .where(Milestone.engagement_id == Engagement.id, Milestone.pending)
        .order_by(Milestone.due_on, Milestone.stage)
        .limit(1)
        .correlate(Engagement)
        .scalar_subquery()
    )
    all_met = (
        sa.select(sa.func.min(Milestone.stage))
        .where(Milestone.engagement_id == Engagement.id, Milestone.cancelled_on.is_(None))
        .correlate(Engagement)
        .scalar_subquery()
    )
    reached = sa.func.coalesce(following, all_met, 0)
    return sa.case(
        ((Engagement.status == EngagementStatus.CLOSED_NO_PROSPECT)
         & (reached > OPEN_CEILING), OPEN_CEILING),
        else_=reached)


def overdue_of(milestones: Iterable[Any], status: Any, today: date) -> int:
    """How many milestones are overdue: unmet, due before today, on an active engagement."""
    if str(status) != EngagementStatus.ACTIVE.value:
        return 0
    return sum(1 for m in _counted(milestones) if m.met_on is None and m.due_on < today)


def overdue_sql(today: date) -> sa.ColumnElement[int]:
    """``overdue_of`` as a column correlated to Engagement (0 on a closed engagement)."""
    count = (
        sa.select(sa.func.count(Milestone.id))
        .where(Milestone.engagement_id == Engagement.id, Milestone.pending,
               Milestone.due_on < today)
        .correlate(Engagement)
        .scalar_subquery()
    )
    return sa.case((Engagement.status == EngagementStatus.ACTIVE, count), else_=0)


def open_reviews_of(reviews: Iterable[Any]) -> int:
    return sum(1 for r in reviews if str(r.status) == "open")


def open_reviews_sql() -> sa.ColumnElement[int]:
    """How many of the engagement's reviews are still open, correlated to Engagement."""
    from engage.escalations.models import EscalationReview, ReviewStatus

    return (
        sa.select(sa.func.count(EscalationReview.id))
        .where(EscalationReview.engagement_id == Engagement.id,
               EscalationReview.status == ReviewStatus.OPEN)
        .correlate(Engagement)
        .scalar_subquery()
    )


def columns(today: date) -> tuple[sa.Label, sa.Label, sa.Label]:
    """The three progress columns every engagement list adds: stage, overdue, open_reviews."""
    return (stage_sql().label("stage"), overdue_sql(today).label("overdue"),
            open_reviews_sql().label("open_reviews"))


def expressions(today: date) -> tuple[Any, ...]:
    """Loader options that fill Engagement.stage, .overdue_milestones and .open_reviews in the
    statement that loads the engagements (no statement of their own)."""
    return (with_expression(Engagement.stage, stage_sql()),
            with_expression(Engagement.overdue_milestones, overdue_sql(today)),
            with_expression(Engagement.open_reviews, open_reviews_sql()))


def stage_for(engagement: Engagement) -> int:
    """The loaded expression, else the same rule over its milestones (one engagement)."""
    if engagement.stage is not None:
        return engagement.stage
    return stage_of(engagement.milestones, engagement.status)


def overdue_for(engagement: Engagement, today: date) -> int:
    if engagement.overdue_milestones is not None:
        return engagement.overdue_milestones
    return overdue_of(engagement.milestones, engagement.status, today)


def open_reviews_for(engagement: Engagement) -> int:
    if engagement.open_reviews is not None:
        return engagement.open_reviews
    return open_reviews_of(engagement.reviews)


class Progress:
    """What ``_progress.html`` draws for one engagement (the page's, from loaded rows)."""

    def __init__(self, status: Any, stage: int, overdue: int, open_reviews: int) -> None:
        self.status = str(status)
        self.stage = stage
        self.overdue = overdue
        self.open_reviews = open_reviews


def of_engagement(engagement: Engagement, milestones: Iterable[Any], reviews: Iterable[Any],
                  today: date) -> Progress:
    milestones = list(milestones)
    return Progress(engagement.status, stage_of(milestones, engagement.status),
                    overdue_of(milestones, engagement.status, today), open_reviews_of(reviews))
