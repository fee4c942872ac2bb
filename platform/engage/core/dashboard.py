"""The signed-in organisation's home: its engagements, the reviews it decides, what falls due,
what the coalition did lately, and three charts.

Every section is a fixed number of queries that aggregate in SQL (GROUP BY, MIN, MAX) and
LIMIT what they list, so the page costs the same whatever the data size. All queries run in
the organisation's tenancy scope; "my" engagements are those the organisation takes part in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from engage.companies.models import Company
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
from engage.escalations.models import (
    ApplyStatus,
    Decision,
    DecisionKind,
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
    stage: int
    next_due_on: date | None


def _mine(org_id: int) -> sa.Select:
    """Ids of the engagements the organisation takes part in."""
    return sa.select(EngagementParticipant.engagement_id).where(
        EngagementParticipant.organisation_id == org_id)


def _stage() -> sa.ScalarSelect:
    """An engagement's progress: the furthest stage (0-4) any of its milestones reached."""
    return (
        sa.select(sa.func.coalesce(sa.func.max(Milestone.stage), 0))
        .where(Milestone.engagement_id == Engagement.id)
        .correlate(Engagement)
        .scalar_subquery()
    )


def _next_due() -> sa.ScalarSelect:
    return (
        sa.select(sa.func.min(Milestone.due_on))
        .where(Milestone.engagement_id == Engagement.id, Milestone.met_on.is_(None))
        .correlate(Engagement)
        .scalar_subquery()
    )


def my_engagements(org_id: int, *, limit: int, offset: int = 0) -> tuple[list[EngagementRow], int]:
    """One page of the organisation's engagements, active first, then most severe to people
    (scale x scope x irremediability), then the nearest deadline; and how many there are."""
    next_due = _next_due().label("next_due_on")
    rows = db.session.execute(
        sa.select(Engagement.id, Engagement.title, Company.name, EngagementParticipant.role,
                  Engagement.status, Engagement.severity.label("severity"),
                  _stage().label("stage"), next_due)
        .join(Company, Company.id == Engagement.company_id)
        .join(EngagementParticipant,
              (EngagementParticipant.engagement_id == Engagement.id)
              & (EngagementParticipant.organisation_id == org_id))
        .order_by(Engagement.status != EngagementStatus.ACTIVE, Engagement.severity.desc(),
                  next_due.is_(None), next_due, Engagement.id)
        .limit(limit).offset(offset)
    ).all()
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(Engagement).where(Engagement.id.in_(_mine(org_id))))
    return [EngagementRow(r[0], r[1], r[2], str(r[3]), str(r[4]), r[5], r[6], r[7])
            for r in rows], total


# --- deadlines in the next 30 days ----------------------------------------------------------

@dataclass(frozen=True)
class Deadline:
    kind: str  # milestone | step_wait | task | agm
    due_on: date
    title: str
    engagement_id: int
    engagement_title: str
    company: str


def upcoming_deadlines(org_id: int, today: date, days: int = DEADLINE_DAYS,
                       limit: int = DEADLINES_SHOWN) -> tuple[list[Deadline], int]:
    """Milestones due, escalation steps whose waiting time runs out (a review opens then),
    the organisation's open escalation tasks, and AGMs of the companies it engages with,
    between today and ``days`` ahead: the nearest ``limit`` of them, and how many in all."""
    until = today + timedelta(days=days)
    active_mine = sa.and_(Engagement.id.in_(_mine(org_id)),
                          Engagement.status == EngagementStatus.ACTIVE)
    found: list[Deadline] = []
    total = 0

    def collect(kind: str, stmt: sa.Select, count: sa.Select) -> None:
        nonlocal total
        total += db.session.scalar(count) or 0
        found.extend(Deadline(kind, r.due_on, r.title, r.engagement_id, r.engagement_title,
                              r.company) for r in db.session.execute(stmt.limit(limit)))

    where = (Milestone.met_on.is_(None), Milestone.due_on >= today, Milestone.due_on <= until,
             active_mine)
    collect("milestone",
            sa.select(Milestone.due_on, Milestone.title, Milestone.engagement_id,
                      Engagement.title.label("engagement_title"), Company.name.label("company"))
            .join(Engagement, Engagement.id == Milestone.engagement_id)
            .join(Company, Company.id == Engagement.company_id)
            .where(*where).order_by(Milestone.due_on, Milestone.id),
            sa.select(sa.func.count(Milestone.id))
            .join(Engagement, Engagement.id == Milestone.engagement_id).where(*where))

    where = (EscalationTask.status == TaskStatus.OPEN,
             EscalationTask.owner_organisation_id == org_id,
             EscalationTask.due_on >= today, EscalationTask.due_on <= until, active_mine)
    collect("task",
            sa.select(EscalationTask.due_on, EscalationTask.title, EscalationTask.engagement_id,
                      Engagement.title.label("engagement_title"), Company.name.label("company"))
            .join(Engagement, Engagement.id == EscalationTask.engagement_id)
            .join(Company, Company.id == Engagement.company_id)
            .where(*where).order_by(EscalationTask.due_on, EscalationTask.id),
            sa.select(sa.func.count(EscalationTask.id))
            .join(Engagement, Engagement.id == EscalationTask.engagement_id).where(*where))

    # One row per company, for the first of its engagements (an AGM is the company's).
    first = (sa.select(sa.func.min(Engagement.id).label("engagement_id"),
                       Engagement.company_id)
             .where(active_mine).group_by(Engagement.company_id).subquery())
    where = (Company.next_agm_on >= today, Company.next_agm_on <= until)
    collect("agm",
            sa.select(Company.next_agm_on.label("due_on"), Company.name.label("title"),
                      first.c.engagement_id, Engagement.title.label("engagement_title"),
                      Company.name.label("company"))
            .join(first, first.c.company_id == Company.id)
            .join(Engagement, Engagement.id == first.c.engagement_id)
            .where(*where).order_by(Company.next_agm_on, Company.id),
            sa.select(sa.func.count()).select_from(Company)
            .join(first, first.c.company_id == Company.id).where(*where))

    # The step an engagement stands on: its latest decision, if that escalated and has been
    # carried out. Its waiting time (days) then runs out at applied_at + wait_days; the date
    # arithmetic differs per database, so the (at most one per engagement) rows are dated here.
    latest = (sa.select(sa.func.max(Decision.id).label("id"))
              .where(Decision.engagement_id.in_(_mine(org_id)))
              .group_by(Decision.engagement_id).subquery())
    step_rows = db.session.execute(
        sa.select(Decision.applied_at, LadderStep.wait_days, LadderStep.kind,
                  Decision.engagement_id, Engagement.title, Company.name)
        .join(latest, latest.c.id == Decision.id)
        .join(LadderStep, LadderStep.id == Decision.ladder_step_id)
        .join(Engagement, Engagement.id == Decision.engagement_id)
        .join(Company, Company.id == Engagement.company_id)
        .where(Decision.kind == DecisionKind.ESCALATE, Decision.apply_status == ApplyStatus.DONE,
               Decision.applied_at.is_not(None), active_mine)
    ).all()
    for applied_at, wait_days, kind, engagement_id, title, company in step_rows:
        due_on = (applied_at + timedelta(days=wait_days)).date()
        if today <= due_on <= until:
            total += 1
            found.append(Deadline("step_wait", due_on, str(kind), engagement_id, title, company))

    found.sort(key=lambda d: (d.due_on, d.kind, d.engagement_id))
    return found[:limit], total


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
    visible; private dialogue is left out even for its author (this is the coalition's feed)."""
    def run(kind: str, stmt: sa.Select) -> list[Activity]:
        return [Activity(kind, r[0], r[1] or "", str(r[2]), r[3], r[4])
                for r in db.session.execute(stmt.limit(limit))]

    def about(stmt: sa.Select, engagement_id: sa.ColumnElement) -> sa.Select:
        return stmt.join(Engagement, Engagement.id == engagement_id)

    items = run("dialogue", about(
        sa.select(DialogueEntry.created_at, Organisation.name, DialogueEntry.kind,
                  DialogueEntry.engagement_id, Engagement.title)
        .join(Organisation, Organisation.id == DialogueEntry.organisation_id),
        DialogueEntry.engagement_id)
        .where(DialogueEntry.visibility == Visibility.COALITION)
        .order_by(DialogueEntry.created_at.desc(), DialogueEntry.id.desc()))
    items += run("decision", about(
        sa.select(Decision.decided_at, Organisation.name, Decision.kind,
                  Decision.engagement_id, Engagement.title)
        .join(Organisation, Organisation.id == Decision.decided_by_organisation_id),
        Decision.engagement_id)
        .order_by(Decision.decided_at.desc(), Decision.id.desc()))
    lead = (sa.select(Organisation.name)
            .join(EngagementParticipant, EngagementParticipant.organisation_id == Organisation.id)
            .where(EngagementParticipant.engagement_id == Letter.engagement_id,
                   EngagementParticipant.role == "lead")
            .correlate(Letter).limit(1).scalar_subquery())
    items += run("letter", about(
        sa.select(Letter.created_at, lead, Letter.title, Letter.engagement_id, Engagement.title),
        Letter.engagement_id)
        .where(Letter.status.in_([LetterStatus.OPEN_FOR_SIGNING, LetterStatus.SENT]))
        .order_by(Letter.created_at.desc(), Letter.id.desc()))
    items += run("signature", about(
        sa.select(Signature.signed_at, Organisation.name, Letter.title, Letter.engagement_id,
                  Engagement.title)
        .join(Letter, Letter.id == Signature.letter_id)
        .join(Organisation, Organisation.id == Signature.organisation_id),
        Letter.engagement_id)
        .order_by(Signature.signed_at.desc(), Signature.id.desc()))
    items.sort(key=lambda a: a.at, reverse=True)
    return items[:limit]


# --- charts -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Charts:
    stages: list[tuple[int, int]]  # (stage 0-4, engagements)
    steps: list[tuple[str, int]]  # (step kind, escalations carried out), ladder order
    quarters: list[tuple[str, int, int]]  # ("2026-3", closed with success, with no prospect)
    has_outcomes: bool = field(default=False)


def charts(org_id: int) -> Charts:
    """Three aggregates over the organisation's engagements, one GROUP BY each."""
    per_engagement = (
        sa.select(Engagement.id, _stage().label("stage"))
        .where(Engagement.id.in_(_mine(org_id)), Engagement.status == EngagementStatus.ACTIVE)
        .subquery()
    )
    by_stage = dict(db.session.execute(
        sa.select(per_engagement.c.stage, sa.func.count())
        .group_by(per_engagement.c.stage)).all())
    stages = [(s, by_stage.get(s, 0)) for s in range(5)]

    by_step = dict(db.session.execute(
        sa.select(LadderStep.kind, sa.func.count(Decision.id))
        .join(LadderStep, LadderStep.id == Decision.ladder_step_id)
        .where(Decision.engagement_id.in_(_mine(org_id)), Decision.kind == DecisionKind.ESCALATE,
               Decision.apply_status == ApplyStatus.DONE)
        .group_by(LadderStep.kind)).all())
    steps = [(str(kind), by_step[kind]) for kind in StepKind if by_step.get(kind)]

    year = sa.extract("year", Engagement.closed_on)
    month = sa.extract("month", Engagement.closed_on)
    rows = db.session.execute(
        sa.select(year, month, Engagement.status, sa.func.count())
        .where(Engagement.id.in_(_mine(org_id)), Engagement.closed_on.is_not(None))
        .group_by(year, month, Engagement.status)
    ).all()
    counts: dict[tuple[int, int], list[int]] = {}
    for y, m, status, n in rows:
        key = (int(y), (int(m) - 1) // 3 + 1)
        slot = 0 if status == EngagementStatus.CLOSED_SUCCESS else 1
        counts.setdefault(key, [0, 0])[slot] += n
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
