"""The signed-in organisation's home: its engagements, the reviews it decides, what falls due,
what the coalition did lately, and three charts.

Every section is one query that aggregates in SQL (GROUP BY, MIN, MAX), merges its sources
with UNION ALL, counts with a window (``count(*) over ()``) and LIMITs what it lists, so the
page costs the same number of statements whatever the data size. All queries run in
the organisation's tenancy scope; "my" engagements are those the organisation takes part in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from engage.companies.models import Company
from engage.db import date_plus_days
from engage.engagements.models import (
    DialogueEntry,
    Engagement,
    EngagementParticipant,
    EngagementStatus,
    Letter,
    LetterStatus,
    Milestone,
    Signature,
    Visibility,
)
from engage.engagements import progress
from engage.engagements.queries import MOST_SEVERE_FIRST, next_due_on
from engage.escalations.queries import decidable_reviews
from engage.escalations.models import (
    ApplyStatus,
    Decision,
    DecisionKind,
    EscalationReview,
    EscalationTask,
    LadderStep,
    StepKind,
    TaskStatus,
)
from engage.extensions import db
from engage.organisations.models import Organisation

DEADLINE_DAYS = 30
DEADLINES_SHOWN = 12
ACTIVITY_SHOWN = 10
QUARTERS_SHOWN = 8


# --- my engagements ---------------------------------------------------------------------------

@dataclass(frozen=True)
class EngagementRow:
    id: int
    title: str
    company: str
    role: str
    status: str
    severity: int
    stage: int  # engagements.progress: what the engagement as a whole has reached
    next_due_on: date | None
    overdue: int = 0  # milestones overdue (0 once closed)
    open_reviews: int = 0


def _mine(org_id: int) -> sa.Select:
    """Ids of the engagements the organisation takes part in."""
    return sa.select(EngagementParticipant.engagement_id).where(
        EngagementParticipant.organisation_id == org_id)


def my_engagements(org_id: int, *, limit: int, offset: int = 0,
                   today: date) -> tuple[list[EngagementRow], int]:
    """One page of the organisation's engagements, active first, then most severe to people
    (scale x scope x irremediability), then the nearest deadline; and how many there are
    (a window count over the same rows, so one query gives both)."""
    next_due = next_due_on().label("next_due_on")
    stage, overdue, open_reviews = progress.columns(today)
    rows = db.session.execute(
        sa.select(Engagement.id, Engagement.title, Company.name, EngagementParticipant.role,
                  Engagement.status, Engagement.severity.label("severity"),
                  stage, next_due, overdue, open_reviews,
                  sa.func.count().over().label("total"))
        .join(Company, Company.id == Engagement.company_id)
        .join(EngagementParticipant,
              (EngagementParticipant.engagement_id == Engagement.id)
              & (EngagementParticipant.organisation_id == org_id))
        .order_by(*MOST_SEVERE_FIRST, next_due.is_(None), next_due, Engagement.id)
        .limit(limit).offset(offset)
    ).all()
    if rows:
        total = rows[0].total
    elif offset:  # a page past the end: the window had no row to report the total on
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Engagement)
                                  .where(Engagement.id.in_(_mine(org_id))))
    else:
        total = 0
    return [EngagementRow(r[0], r[1], r[2], str(r[3]), str(r[4]), r[5], r[6], r[7], r[8], r[9])
            for r in rows], total


def reviews_waiting(org_id: int, limit: int) -> tuple[list[EscalationReview], int]:
    """The first open reviews the organisation decides, with what the list shows joined in,
    and how many there are: one query."""
    rows = db.session.execute(
        decidable_reviews(org_id)
        .add_columns(sa.func.count().over().label("total"))
        .options(joinedload(EscalationReview.engagement).joinedload(Engagement.company),
                 joinedload(EscalationReview.milestone))
        .limit(limit)
    ).all()
    return [r[0] for r in rows], (rows[0].total if rows else 0)


# --- deadlines in the next 30 days ----------------------------------------------------------

@dataclass(frozen=True)
class Deadline:
    kind: str  # milestone | step_wait | task | agm
    due_on: date
    title: str
    engagement_id: int
    engagement_title: str
    company: str


def _text(value: Any) -> sa.ColumnElement:
    """A literal or an enum column as plain text, so the branches of a union agree."""
    if isinstance(value, str):
        return sa.literal(value, sa.String)
    return sa.cast(value, sa.String)


def upcoming_deadlines(org_id: int, today: date, days: int = DEADLINE_DAYS,
                       limit: int = DEADLINES_SHOWN) -> tuple[list[Deadline], int]:
    """Milestones due, escalation steps whose waiting time runs out (a review opens then),
    the organisation's open escalation tasks, and AGMs of the companies it engages with,
    between today and ``days`` ahead: the nearest ``limit`` of them, and how many in all.
    One UNION ALL of the four sources, counted by a window over it."""
    until = today + timedelta(days=days)
    active_mine = sa.and_(Engagement.id.in_(_mine(org_id)),
                          Engagement.status == EngagementStatus.ACTIVE)

    def branch(kind: str, due_on: Any, title: Any, engagement_id: Any) -> sa.Select:
        return sa.select(_text(kind).label("kind"), due_on.label("due_on"),
                         title.label("title"), engagement_id.label("engagement_id"),
                         Engagement.title.label("engagement_title"),
                         Company.name.label("company"))

    milestones = (
        branch("milestone", Milestone.due_on, Milestone.title, Milestone.engagement_id)
        .join(Engagement, Engagement.id == Milestone.engagement_id)
        .join(Company, Company.id == Engagement.company_id)
        .where(Milestone.pending, Milestone.due_on >= today, Milestone.due_on <= until,
               active_mine))
    tasks = (
        branch("task", EscalationTask.due_on, EscalationTask.title, EscalationTask.engagement_id)
        .join(Engagement, Engagement.id == EscalationTask.engagement_id)
        .join(Company, Company.id == Engagement.company_id)
        .where(EscalationTask.status == TaskStatus.OPEN,
               EscalationTask.owner_organisation_id == org_id,
               EscalationTask.due_on >= today, EscalationTask.due_on <= until, active_mine))
    # One row per company, for the first of its engagements (an AGM is the company's).
    first = (sa.select(sa.func.min(Engagement.id).label("engagement_id"),
                       Engagement.company_id)
             .where(active_mine).group_by(Engagement.company_id).subquery())
    agms = (
        branch("agm", Company.next_agm_on, Company.name, first.c.engagement_id)
        .select_from(Company)
        .join(first, first.c.company_id == Company.id)
        .join(Engagement, Engagement.id == first.c.engagement_id)
        .where(Company.next_agm_on >= today, Company.next_agm_on <= until))
    # The step an engagement stands on: its latest decision, if that escalated and has been
    # carried out. Its waiting time (days) then runs out at applied_at + wait_days.
    latest = (sa.select(sa.func.max(Decision.id).label("id"))
              .where(Decision.engagement_id.in_(_mine(org_id)))
              .group_by(Decision.engagement_id).subquery())
    step_due = date_plus_days(Decision.applied_at, LadderStep.wait_days)
    steps = (
        branch("step_wait", step_due, _text(LadderStep.kind), Decision.engagement_id)
        .select_from(Decision)
        .join(latest, latest.c.id == Decision.id)
        .join(LadderStep, LadderStep.id == Decision.ladder_step_id)
        .join(Engagement, Engagement.id == Decision.engagement_id)
        .join(Company, Company.id == Engagement.company_id)
        .where(Decision.kind == DecisionKind.ESCALATE, Decision.apply_status == ApplyStatus.DONE,
               Decision.applied_at.is_not(None), active_mine,
               step_due >= today, step_due <= until))
    found = sa.union_all(milestones, tasks, agms, steps).subquery("deadline")
    rows = db.session.execute(
        sa.select(found, sa.func.count().over().label("total"))
        .order_by(found.c.due_on, found.c.kind, found.c.engagement_id, found.c.title)
        .limit(limit)
    ).all()
    return ([Deadline(r.kind, r.due_on, r.title, r.engagement_id, r.engagement_title, r.company)
             for r in rows], rows[0].total if rows else 0)


# --- recent coalition activity ----------------------------------------------------------------

@dataclass(frozen=True)
class Activity:
    kind: str  # dialogue | decision | letter | signature
    at: datetime
    organisation: str
    detail: str  # dialogue kind, decision kind or letter title: shown through the template
    engagement_id: int
    engagement_title: str


def recent_activity(limit: int = ACTIVITY_SHOWN) -> list[Activity]:
    """The newest coalition-visible events on engagements the organisation can see: dialogue
    entries, decisions, letters opened for signing and signatures. Tenancy decides what is
    visible; private dialogue is left out even for its author (this is the coalition's feed).
    Each source gives its newest ``limit`` (an index walk), one UNION ALL merges them."""
    def newest(kind: str, at: Any, organisation: Any, detail: Any, engagement_id: Any,
               order_id: Any, stmt: Callable[[sa.Select], sa.Select]) -> sa.Select:
        inner = stmt(
            sa.select(_text(kind).label("kind"), at.label("at"),
                      organisation.label("organisation"), _text(detail).label("detail"),
                      engagement_id.label("engagement_id"),
                      Engagement.title.label("engagement_title"))
        ).join(Engagement, Engagement.id == engagement_id).order_by(at.desc(), order_id.desc())
        return sa.select(inner.limit(limit).subquery())

    lead = (sa.select(Organisation.name)
            .join(EngagementParticipant, EngagementParticipant.organisation_id == Organisation.id)
            .where(EngagementParticipant.engagement_id == Letter.engagement_id,
                   EngagementParticipant.role == "lead")
            .correlate(Letter).limit(1).scalar_subquery())
    merged = sa.union_all(
        newest("dialogue", DialogueEntry.created_at, Organisation.name, DialogueEntry.kind,
               DialogueEntry.engagement_id, DialogueEntry.id,
               lambda s: s.select_from(DialogueEntry)
               .join(Organisation, Organisation.id == DialogueEntry.organisation_id)
               .where(DialogueEntry.visibility == Visibility.COALITION)),
        newest("decision", Decision.decided_at, Organisation.name, Decision.kind,
               Decision.engagement_id, Decision.id,
               lambda s: s.select_from(Decision)
               .join(Organisation, Organisation.id == Decision.decided_by_organisation_id)),
        newest("letter", Letter.created_at, lead, Letter.title, Letter.engagement_id, Letter.id,
               lambda s: s.select_from(Letter)
               .where(Letter.status.in_([LetterStatus.OPEN_FOR_SIGNING, LetterStatus.SENT]))),
        newest("signature", Signature.signed_at, Organisation.name, Letter.title,
               Letter.engagement_id, Signature.id,
               lambda s: s.select_from(Signature)
               .join(Letter, Letter.id == Signature.letter_id)
               .join(Organisation, Organisation.id == Signature.organisation_id)),
    ).subquery("activity")
    rows = db.session.execute(
        sa.select(merged).order_by(merged.c.at.desc(), merged.c.kind).limit(limit)).all()
    return [Activity(r.kind, r.at, r.organisation or "", r.detail, r.engagement_id,
                     r.engagement_title) for r in rows]


# --- charts -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Charts:
    stages: list[tuple[int, int]]  # (stage 0-4, engagements)
    steps: list[tuple[str, int]]  # (step kind, escalations carried out), ladder order
    quarters: list[tuple[str, int, int]]  # ("2026-3", closed with success, with no prospect)
    has_outcomes: bool = field(default=False)


def charts(org_id: int) -> Charts:
    """Three aggregates over the organisation's engagements, one GROUP BY each, read in one
    UNION ALL of (chart, key, year, month, count)."""
    per_engagement = (
        sa.select(Engagement.id, progress.stage_sql().label("stage"))
        .where(Engagement.id.in_(_mine(org_id)), Engagement.status == EngagementStatus.ACTIVE)
        .subquery()
    )
    no_number = sa.cast(sa.null(), sa.Integer)
    by_stage = (sa.select(_text("stage").label("chart"), _text(per_engagement.c.stage).label("key"),
                          no_number.label("year"), no_number.label("month"),
                          sa.func.count().label("n"))
                .group_by(per_engagement.c.stage))
    by_step = (sa.select(_text("step"), _text(LadderStep.kind), no_number, no_number,
                         sa.func.count(Decision.id))
               .select_from(Decision)
               .join(LadderStep, LadderStep.id == Decision.ladder_step_id)
               .where(Decision.engagement_id.in_(_mine(org_id)),
                      Decision.kind == DecisionKind.ESCALATE,
                      Decision.apply_status == ApplyStatus.DONE)
               .group_by(LadderStep.kind))
    year = sa.cast(sa.extract("year", Engagement.closed_on), sa.Integer)
    month = sa.cast(sa.extract("month", Engagement.closed_on), sa.Integer)
    by_outcome = (sa.select(_text("outcome"), _text(Engagement.status), year, month,
                            sa.func.count())
                  .where(Engagement.id.in_(_mine(org_id)), Engagement.closed_on.is_not(None))
                  .group_by(year, month, Engagement.status))
    rows = db.session.execute(sa.union_all(by_stage, by_step, by_outcome)).all()

    stage_counts = {int(r.key): r.n for r in rows if r.chart == "stage"}
    stages = [(s, stage_counts.get(s, 0)) for s in range(5)]
    step_counts = {r.key: r.n for r in rows if r.chart == "step"}
    steps = [(str(kind), step_counts[kind.value]) for kind in StepKind
             if step_counts.get(kind.value)]
    counts: dict[tuple[int, int], list[int]] = {}
    for r in rows:
        if r.chart != "outcome":
            continue
        key = (int(r.year), (int(r.month) - 1) // 3 + 1)
        slot = 0 if r.key == EngagementStatus.CLOSED_SUCCESS.value else 1
        counts.setdefault(key, [0, 0])[slot] += r.n
    quarters = []
    if counts:
        last = max(counts)
        y, q = last
        for _ in range(QUARTERS_SHOWN):  # the last eight quarters, empty ones included
            success, no_prospect = counts.get((y, q), [0, 0])
            quarters.append((f"{y}-{q}", success, no_prospect))
            y, q = (y, q - 1) if q > 1 else (y - 1, 4)
        quarters.reverse()
    return Charts(stages, steps, quarters, has_outcomes=bool(counts))
