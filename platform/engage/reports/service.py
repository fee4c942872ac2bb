"""The stewardship report of one organisation for a period: the numbers.

One function, :func:`build_report`, runs a fixed set of aggregate queries (their number does
not depend on the data) in the organisation's tenancy scope, so another organisation's
private votes, notes and dialogue never count. Renderers (:mod:`engage.reports.render`)
turn the :class:`StewardshipReport` into HTML, CSV, XLSX and PDF.

An engagement counts for a period when the organisation takes part in it (lead, co-lead,
supporter, or the outsourcing client on whose behalf a provider engages; an observer only
follows) and it was active at some time in the period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from engage.common.bounds import date_range_message, in_range
from engage.common.labels import label
from engage.companies.models import Company
from engage.engagements import progress
from engage.engagements.labels import STAGES as STAGE_WORDS
from engage.engagements.models import (
    STAGES,
    DialogueEntry,
    Engagement,
    EngagementParticipant,
    EngagementStatus,
    Milestone,
    Note,
    Objective,
    ObjectiveStatus,
    ParticipantRole,
)
from engage.escalations.models import Decision, EscalationReview, LadderStep
from engage.extensions import db
from engage.initiatives.models import Initiative, SignOnAttestation
from engage.organisations.models import Organisation, User
from engage.tenancy import TenancyError, current_scope
from engage.votes.models import Vote, VoteStatus


class ReportError(ValueError):
    """The period asked for is not a period."""


# What each section serves: the regulation or code it answers to.
SRD = _l("SRD II art. 3g(1)(b): implementation of the engagement policy")
SFDR = _l("SFDR principal adverse impact statement: engagement policies")
UK9 = _l("UK Stewardship Code Principle 9: engagement")
UK10 = _l("UK Stewardship Code Principle 10: collaboration")
UK11 = _l("UK Stewardship Code Principle 11: escalation")
UK12 = _l("UK Stewardship Code Principle 12: exercising rights (voting)")


@dataclass(frozen=True)
class VoteLine:
    company: str
    agm_on: date
    item: str
    instruction: str
    requested: str | None
    status: str
    rationale: str

    @property
    def matched(self) -> bool | None:
        """Did the vote follow what the engagement asked for? None when nothing was asked."""
        return None if self.requested is None else self.requested == self.instruction


@dataclass(frozen=True)
class Table:
    key: str
    title: Any
    serves: tuple[Any, ...]
    headers: tuple[Any, ...]
    rows: list[tuple[Any, ...]]


@dataclass(frozen=True)
class AttestationLine:
    initiative: str
    organisation: str
    version: int
    accepted_at: datetime
    accepted_by: str
    conflict_of_interest: str


@dataclass(frozen=True)
class NoteLine:
    """One of the organisation's private notes, in its own report only."""

    company: str
    engagement: str
    written_on: date
    author: str
    body: str


@dataclass
class StewardshipReport:
    organisation: str
    start: date
    end: date
    companies_engaged: int = 0
    engagements: int = 0
    by_level: dict[str, int] = field(default_factory=dict)
    by_topic: list[tuple[str | None, int]] = field(default_factory=list)
    by_stage: dict[int, int] = field(default_factory=dict)
    # stage -> (engagements with a milestone overdue, with a review open)
    held_back: dict[int, tuple[int, int]] = field(default_factory=dict)
    milestones_met: int = 0
    reviews_opened: int = 0
    escalations: list[tuple[str, int]] = field(default_factory=list)
    extensions: int = 0
    closed_success: int = 0
    closed_no_prospect: int = 0
    dialogue: list[tuple[str, int]] = field(default_factory=list)
    # kind -> (objectives set, met in the period, abandoned in the period, open at its end)
    objectives: list[tuple[str, int, int, int, int]] = field(default_factory=list)
    votes: list[VoteLine] = field(default_factory=list)
    # Sign-ons in the period (its own, and its members' where it coordinates): None unless
    # it asked for them.
    attestations: list[AttestationLine] | None = None
    # The organisation's private notes written in the period: None unless it asked for them.
    notes: list[NoteLine] | None = None

    @property
    def closed(self) -> int:
        return self.closed_success + self.closed_no_prospect

    @property
    def success_rate(self) -> float | None:
        return self.closed_success / self.closed if self.closed else None

    @property
    def votes_with_request(self) -> int:
        return sum(1 for v in self.votes if v.requested is not None)

    @property
    def votes_matched(self) -> int:
        return sum(1 for v in self.votes if v.matched)

    def tables(self) -> list[Table]:
        """The report as titled tables, each saying what it serves (every renderer's input)."""
        rate = "" if self.success_rate is None else f"{self.success_rate:.0%}"
        return [
            Table("engagement", _l("Engagement activity"), (SRD, SFDR, UK9),
                  (_l("Measure"), _l("Number")),
                  [(_l("Companies engaged"), self.companies_engaged),
                   (_l("Engagements"), self.engagements),
                   (_l("Milestones met in the period"), self.milestones_met)]),
            Table("topics", _l("Topics"), (SRD, SFDR, UK9), (_l("Topic"), _l("Engagements")),
                  [(t or _l("(no initiative: direct or outsourced)"), n) for t, n in self.by_topic]),
            Table("levels", _l("Collaborative and direct engagement"), (UK10, SRD),
                  (_l("Level"), _l("Engagements")),
                  [(label("level", level), self.by_level.get(level, 0))
                   for level in ("collaborative", "direct", "outsourced")]),
            Table("progress", _l("Progress of open engagements by stage"), (UK9, SFDR),
                  (_l("Stage"), _l("Description"), _l("Engagements"),
                   _l("With a milestone overdue"), _l("With a review open")),
                  [(stage, STAGE_WORDS[stage], self.by_stage.get(stage, 0),
                    *self.held_back.get(stage, (0, 0))) for stage in STAGES]),
            Table("escalations", _l("Escalations"), (UK11, SFDR),
                  (_l("Step"), _l("Times taken")),
                  [(_l("Reviews opened"), self.reviews_opened),
                   *[(label("step_kind", kind), n) for kind, n in self.escalations],
                   (_l("Deadlines extended"), self.extensions)]),
            Table("outcomes", _l("Outcomes of closed engagements"), (UK9, UK11, SRD),
                  (_l("Outcome"), _l("Engagements")),
                  [(_l("Closed: objectives met"), self.closed_success),
                   (_l("Closed: no prospect of success"), self.closed_no_prospect),
                   (_l("Success rate"), rate)]),
            Table("objectives", _l("Objectives of the engagements"), (SRD, UK9, SFDR),
                  (_l("Objective"), _l("Set"), _l("Met in the period"),
                   _l("Abandoned in the period"), _l("Open")),
                  [(label("objective_kind", kind), *numbers)
                   for kind, *numbers in self.objectives]),
            Table("dialogue", _l("Dialogue with companies"), (SRD, UK9),
                  (_l("Kind"), _l("Entries")),
                  [(label("dialogue", kind), n) for kind, n in self.dialogue]),
            Table("votes", _l("Votes"), (SRD, UK12, SFDR),
                  (_l("Company"), _l("AGM"), _l("Item"), _l("Vote"), _l("Engagement asked"),
                   _l("Matched the ask"), _l("Status"), _l("Rationale")),
                  [(v.company, v.agm_on, v.item, label("vote_instruction", v.instruction),
                    label("vote_instruction", v.requested) if v.requested else "",
                    "" if v.matched is None else (_l("yes") if v.matched else _l("no")),
                    label("vote_status", v.status), v.rationale) for v in self.votes]),
            *([] if self.attestations is None else [
                Table("attestations", _l("Antitrust attestations at sign-on"), (UK10,),
                      (_l("Initiative"), _l("Organisation"), _l("Guardrail version"),
                       _l("Accepted at"), _l("Accepted by"), _l("Conflicts of interest")),
                      [(a.initiative, a.organisation, a.version,
                        a.accepted_at.strftime("%Y-%m-%d %H:%M UTC"), a.accepted_by,
                        a.conflict_of_interest) for a in self.attestations])]),
            *([] if self.notes is None else [
                Table("notes", _l("Our private notes"), (UK9,),
                      (_l("Company"), _l("Engagement"), _l("Written"), _l("By"), _l("Note")),
                      [(n.company, n.engagement, n.written_on, n.author, n.body)
                       for n in self.notes])]),
        ]


def period_of_year(year: int) -> tuple[date, date]:
    if not 1900 < year < 3000:
        raise ReportError(_l("Choose a year between 1901 and 2999."))
    return date(year, 1, 1), date(year, 12, 31)


def _moment(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def build_report(organisation_id: int, start: date, end: date, *,
                 include_notes: bool = False,
                 include_attestations: bool = False) -> StewardshipReport:
    """The organisation's stewardship numbers for ``start``..``end`` (both included); with
    ``include_notes``, also its own private notes written in the period (never another
    organisation's: the query names the organisation, and the scope is its own); with
    ``include_attestations``, the antitrust attestations of sign-ons in the period (its own,
    and its members' where it coordinates)."""
    if end < start:
        raise ReportError(_l("The period ends before it starts."))
    if not (in_range(start) and in_range(end)):  # the day after the end must exist
        raise ReportError(date_range_message())
    scope = current_scope()
    if scope is None or not (scope.is_system or scope.org_id == organisation_id):
        raise TenancyError("a report is built in its organisation's scope")
    s = db.session
    since, until = _moment(start), _moment(end + timedelta(days=1))

    active = (
        sa.select(Engagement.id)
        .join(EngagementParticipant, EngagementParticipant.engagement_id == Engagement.id)
        .where(EngagementParticipant.organisation_id == organisation_id,
               EngagementParticipant.role != ParticipantRole.OBSERVER,
               Engagement.started_on <= end,
               sa.or_(Engagement.closed_on.is_(None), Engagement.closed_on >= start))
    )
    in_active = Engagement.id.in_(active)

    # The single numbers, in one statement of scalar subqueries.
    single = s.execute(sa.select(
        sa.select(Organisation.name).where(Organisation.id == organisation_id)
        .scalar_subquery().label("organisation"),
        sa.select(sa.func.count(sa.distinct(Engagement.company_id))).where(in_active)
        .scalar_subquery().label("companies"),
        sa.select(sa.func.count(Milestone.id))
        .where(Milestone.engagement_id.in_(active), Milestone.met_on.between(start, end))
        .scalar_subquery().label("milestones_met"),
        sa.select(sa.func.count(EscalationReview.id))
        .where(EscalationReview.engagement_id.in_(active),
               EscalationReview.opened_at >= since, EscalationReview.opened_at < until)
        .scalar_subquery().label("reviews_opened"),
    )).one()
    report = StewardshipReport(single.organisation or "", start, end,
                               companies_engaged=single.companies or 0,
                               milestones_met=single.milestones_met or 0,
                               reviews_opened=single.reviews_opened or 0)

    counts = s.execute(
        sa.select(Engagement.level, sa.func.count()).where(in_active).group_by(Engagement.level)
    ).all()
    report.by_level = {level.value: n for level, n in counts}
    report.engagements = sum(report.by_level.values())

    report.by_topic = [
        (theme, n) for theme, n in s.execute(
            sa.select(Initiative.theme, sa.func.count(Engagement.id))
            .select_from(Engagement).outerjoin(Initiative, Initiative.id == Engagement.initiative_id)
            .where(in_active).group_by(Initiative.theme)
            .order_by(sa.func.count(Engagement.id).desc(), Initiative.theme)
        )
    ]

    # The stage as the pages show it (engagements.progress); a closed engagement counts
    # under its outcome below, not under a stage, as its page shows it.
    # Overdue as of the day after the period, beside each stage as on the pages.
    reached = (
        sa.select(*progress.columns(end + timedelta(days=1)))
        .where(in_active, Engagement.status == EngagementStatus.ACTIVE).subquery()
    )
    for stage, n, overdue, reviewing in s.execute(
        sa.select(reached.c.stage, sa.func.count(),
                  sa.func.sum(sa.case((reached.c.overdue > 0, 1), else_=0)),
                  sa.func.sum(sa.case((reached.c.open_reviews > 0, 1), else_=0)))
        .group_by(reached.c.stage)):
        report.by_stage[stage] = n
        report.held_back[stage] = (int(overdue or 0), int(reviewing or 0))
    decisions = s.execute(
        sa.select(Decision.kind, LadderStep.kind, sa.func.count(Decision.id))
        .select_from(Decision).outerjoin(LadderStep, LadderStep.id == Decision.ladder_step_id)
        .where(Decision.engagement_id.in_(active), Decision.decided_at >= since,
               Decision.decided_at < until)
        .group_by(Decision.kind, LadderStep.kind)
    ).all()
    report.escalations = sorted(
        ((step.value, n) for kind, step, n in decisions if kind.value == "escalate" and step),
        key=lambda pair: (-pair[1], pair[0]))
    report.extensions = sum(n for kind, _step, n in decisions if kind.value == "extend")

    outcomes = dict(s.execute(
        sa.select(Engagement.status, sa.func.count())
        .where(in_active, Engagement.closed_on.between(start, end)).group_by(Engagement.status)
    ).all())
    report.closed_success = outcomes.get(EngagementStatus.CLOSED_SUCCESS, 0)
    report.closed_no_prospect = outcomes.get(EngagementStatus.CLOSED_NO_PROSPECT, 0)

    report.dialogue = [
        (kind.value, n) for kind, n in s.execute(
            sa.select(DialogueEntry.kind, sa.func.count())
            .where(DialogueEntry.engagement_id.in_(active),
                   DialogueEntry.occurred_on.between(start, end))
            .group_by(DialogueEntry.kind).order_by(sa.func.count().desc(), DialogueEntry.kind)
        )
    ]

    # Each kind's objectives on the period's engagements, by what became of them; "open"
    # counts those not closed by the period's end.
    closed_in = Objective.closed_on.between(start, end)
    report.objectives = [
        (kind.value, n, int(met or 0), int(abandoned or 0), int(still_open or 0))
        for kind, n, met, abandoned, still_open in s.execute(
            sa.select(Objective.kind, sa.func.count(),
                      sa.func.sum(sa.case(
                          (closed_in & (Objective.status == ObjectiveStatus.MET), 1), else_=0)),
                      sa.func.sum(sa.case(
                          (closed_in & (Objective.status == ObjectiveStatus.ABANDONED), 1),
                          else_=0)),
                      sa.func.sum(sa.case(
                          (sa.or_(Objective.closed_on.is_(None), Objective.closed_on > end), 1),
                          else_=0)))
            .where(Objective.engagement_id.in_(active),
                   sa.func.date(Objective.created_at) <= end)
            .group_by(Objective.kind).order_by(Objective.kind))
    ]

    report.votes = [
        VoteLine(r.name, r.agm_on, r.item, r.instruction.value,
                 r.requested_instruction.value if r.requested_instruction else None,
                 r.status.value, r.rationale)
        for r in s.execute(
            sa.select(Company.name, Vote.agm_on, Vote.item, Vote.instruction,
                      Vote.requested_instruction, Vote.status, Vote.rationale)
            .join(Company, Company.id == Vote.company_id)
            .where(Vote.organisation_id == organisation_id, Vote.agm_on.between(start, end),
                   Vote.status != VoteStatus.PROPOSED)
            .order_by(Vote.agm_on, Company.name, Vote.item)
        )
    ]

    if include_attestations:
        # Tenancy shows the organisation its own attestations and, where it coordinates, its
        # members'.
        report.attestations = [
            AttestationLine(r.title, r.name, r.version, r.accepted_at, r.user_name or "",
                            r.conflict_of_interest)
            for r in s.execute(
                sa.select(Initiative.title, Organisation.name, SignOnAttestation.version,
                          SignOnAttestation.accepted_at, User.name.label("user_name"),
                          SignOnAttestation.conflict_of_interest)
                .join(Initiative, Initiative.id == SignOnAttestation.initiative_id)
                .join(Organisation, Organisation.id == SignOnAttestation.organisation_id)
                .outerjoin(User, User.id == SignOnAttestation.accepted_by_id)
                .where(SignOnAttestation.accepted_at >= since,
                       SignOnAttestation.accepted_at < until)
                .order_by(Initiative.title, SignOnAttestation.accepted_at, SignOnAttestation.id))
        ]
    if include_notes:
        report.notes = [
            NoteLine(r.company, r.title, r.created_at.date(), r.author or "", r.body)
            for r in s.execute(
                sa.select(Company.name.label("company"), Engagement.title, Note.created_at,
                          User.name.label("author"), Note.body)
                .join(Engagement, Engagement.id == Note.engagement_id)
                .join(Company, Company.id == Engagement.company_id)
                .outerjoin(User, User.id == Note.author_id)
                .where(Note.organisation_id == organisation_id, Note.created_at >= since,
                       Note.created_at < until)
                .order_by(Note.created_at, Note.id)
            )
        ]
    return report
