"""An engagement's timeline: dialogue, reviews opened, decisions and the escalation steps
carried out, newest first, one page at a time.

One UNION ALL of (kind, id, when) picks the page; each kind's rows are then loaded by id
with what they show eagerly, so the number of queries does not depend on the data. The
tenancy filter applies inside the union too: another organisation's private dialogue
never appears.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

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


def page(engagement_id: int, *, limit: int, offset: int) -> list[Item]:
    u = _union(engagement_id)
    rows = db.session.execute(
        sa.select(u.c.kind, u.c.id).order_by(u.c.at.desc(), u.c.kind, u.c.id.desc())
        .limit(limit).offset(offset)
    ).all()
    ids: dict[str, list[int]] = {DIALOGUE: [], REVIEW: [], DECISION: [], STEP: []}
    for kind, ident in rows:
        ids[kind].append(ident)
    dialogue = _load(DialogueEntry, ids[DIALOGUE], selectinload(DialogueEntry.organisation),
                     selectinload(DialogueEntry.author))
    reviews = _load(EscalationReview, ids[REVIEW], selectinload(EscalationReview.milestone),
                    selectinload(EscalationReview.ladder_step))
    decisions = _load(Decision, ids[DECISION] + ids[STEP], selectinload(Decision.ladder_step),
                      selectinload(Decision.decided_by),
                      selectinload(Decision.decided_by_organisation))
    items = []
    for kind, ident in rows:
        if kind == DIALOGUE and ident in dialogue:
            items.append(Item(kind, dialogue[ident].occurred_on, dialogue[ident]))
        elif kind == REVIEW and ident in reviews:
            items.append(Item(kind, reviews[ident].opened_at, reviews[ident]))
        elif kind == DECISION and ident in decisions:
            items.append(Item(kind, decisions[ident].decided_at, decisions[ident]))
        elif kind == STEP and ident in decisions:
            items.append(Item(kind, decisions[ident].applied_at, decisions[ident]))
    return items


def _load(model: type, ids: list[int], *options: Any) -> dict[int, Any]:
    if not ids:
        return {}
    rows = db.session.scalars(sa.select(model).where(model.id.in_(ids)).options(*options)).all()
    return {row.id: row for row in rows}
