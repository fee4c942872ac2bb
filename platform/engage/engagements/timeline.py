"""An engagement's timeline: dialogue, reviews opened, decisions and the escalation steps
carried out, newest first, one page at a time.

One UNION ALL of (kind, id, when) picks the page and counts the whole; each kind's table is
outer-joined to the page with what it shows, so a page is one statement whatever the data. The
tenancy filter applies inside the union too: another organisation's private dialogue
never appears.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from engage.engagements.models import DialogueEntry
from engage.escalations.models import (
    ApplyStatus,
    Decision,
    DecisionKind,
    EscalationReview,
)
from engage.extensions import db

DIALOGUE, REVIEW, DECISION, STEP = "dialogue", "review", "decision", "step"


@dataclass(frozen=True)
class Item:
    kind: str
    at: date | datetime
    obj: Any


def _when(column: Any, is_date: bool) -> Any:
    # SQLite keeps dates and datetimes as ISO text, which sorts as it should; PostgreSQL
    # needs one type in a union.
    if is_date and db.session.get_bind().dialect.name == "postgresql":
        return sa.cast(column, sa.DateTime)
    return column


def _union(engagement_id: int) -> sa.Subquery:
    parts = [
        sa.select(sa.literal(DIALOGUE).label("kind"), DialogueEntry.id.label("id"),
                  _when(DialogueEntry.occurred_on, True).label("at"))
        .where(DialogueEntry.engagement_id == engagement_id),
        sa.select(sa.literal(REVIEW).label("kind"), EscalationReview.id,
                  _when(EscalationReview.opened_at, False))
        .where(EscalationReview.engagement_id == engagement_id),
        sa.select(sa.literal(DECISION).label("kind"), Decision.id,
                  _when(Decision.decided_at, False))
        .where(Decision.engagement_id == engagement_id),
        sa.select(sa.literal(STEP).label("kind"), Decision.id,
                  _when(Decision.applied_at, False))
        .where(Decision.engagement_id == engagement_id, Decision.kind == DecisionKind.ESCALATE,
               Decision.apply_status == ApplyStatus.DONE, Decision.applied_at.is_not(None)),
    ]
    return sa.union_all(*parts).subquery("timeline")


def count(engagement_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(_union(engagement_id)))


def page(engagement_id: int, *, limit: int, offset: int) -> tuple[list[Item], int]:
    """One page of the timeline and how many items it has in all, in one statement: the
    page of (kind, id) is picked from the union (counted by a window over it), then each
    kind's table is outer-joined on its own rows with what the page shows."""
    u = _union(engagement_id)
    picked = (
        sa.select(u.c.kind, u.c.id, u.c.at, sa.func.count().over().label("total"))
        .order_by(u.c.at.desc(), u.c.kind, u.c.id.desc())
        .limit(limit).offset(offset)
        .subquery("picked")
    )
    rows = db.session.execute(
        sa.select(picked.c.kind, picked.c.total, DialogueEntry, EscalationReview, Decision)
        .select_from(picked)
        .outerjoin(DialogueEntry,
                   (picked.c.kind == DIALOGUE) & (DialogueEntry.id == picked.c.id))
        .outerjoin(EscalationReview,
                   (picked.c.kind == REVIEW) & (EscalationReview.id == picked.c.id))
        .outerjoin(Decision,
                   picked.c.kind.in_([DECISION, STEP]) & (Decision.id == picked.c.id))
        .order_by(picked.c.at.desc(), picked.c.kind, picked.c.id.desc())
        .options(joinedload(DialogueEntry.organisation), joinedload(DialogueEntry.author),
                 joinedload(EscalationReview.milestone), joinedload(EscalationReview.ladder_step),
                 joinedload(Decision.ladder_step), joinedload(Decision.decided_by),
                 joinedload(Decision.decided_by_organisation))
    ).all()
    items = []
    for kind, _total, dialogue, review, decision in rows:
        if kind == DIALOGUE and dialogue is not None:
            items.append(Item(kind, dialogue.occurred_on, dialogue))
        elif kind == REVIEW and review is not None:
            items.append(Item(kind, review.opened_at, review))
        elif kind == DECISION and decision is not None:
            items.append(Item(kind, decision.decided_at, decision))
        elif kind == STEP and decision is not None:
            items.append(Item(kind, decision.applied_at, decision))
    if rows:
        total = rows[0].total
    elif offset:  # a page past the end: no row to carry the window's count
        total = count(engagement_id)
    else:
        total = 0
    return items, total
