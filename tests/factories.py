"""Small factories for tests. Every row that belongs to an organisation requires one.

They run in the caller's tenancy scope and only flush; build a world under
``system_scope`` and assert under ``as_organisation``.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from engage.audit.models import AuditEvent
from engage.companies.models import Company, EsgRating, Holding
from engage.engagements.models import (
    DialogueEntry,
    DialogueKind,
    Engagement,
    EngagementLevel,
    EngagementParticipant,
    EngagementTrigger,
    Letter,
    LetterKind,
    LetterStatus,
    Milestone,
    Note,
    Objective,
    ObjectiveKind,
    ParticipantRole,
    Signature,
    Visibility,
)
from engage.escalations.models import (
    Decision,
    DecisionKind,
    DivestmentReview,
    EscalationLadder,
    EscalationReview,
    LadderStep,
    ReviewReason,
    StepKind,
)
from engage.extensions import db
from engage.initiatives.models import (
    Initiative,
    InitiativeMember,
    InitiativeStatus,
    MemberRole,
    MemberStatus,
)
from engage.organisations.models import (
    ApiToken,
    Organisation,
    OrganisationKind,
    OrgMembership,
    OrgRole,
    User,
)
from engage.votes.models import Vote, VoteInstruction

_seq = itertools.count(1)
TODAY = date(2026, 11, 22)


def _add(obj):
    db.session.add(obj)
    db.session.flush()
    return obj


def organisation(slug: str | None = None, kind=OrganisationKind.BANK, aum="1000000000") -> Organisation:
    n = next(_seq)
    slug = slug or f"org-{n}"
    return _add(Organisation(slug=slug, name=f"Organisation {slug}", kind=kind, aum_eur=Decimal(aum)))


def user(org: Organisation, role=OrgRole.MEMBER, email: str | None = None) -> User:
    n = next(_seq)
    u = _add(User(email=email or f"user{n}@{org.slug}.example", name=f"User {n}"))
    _add(OrgMembership(user_id=u.id, organisation_id=org.id, role=role))
    return u


def company(name: str | None = None, **kw) -> Company:
    n = next(_seq)
    kw.setdefault("country", "NL")
    kw.setdefault("sector", "Apparel")
    return _add(Company(name=name or f"Company {n}", **kw))


def rated_company(rating=EsgRating.CCC, **kw) -> Company:
    return company(esg_rating=rating, rated_on=TODAY - timedelta(days=30), **kw)


def initiative(coordinator: Organisation, status=InitiativeStatus.ACTIVE, **kw) -> Initiative:
    n = next(_seq)
    init = _add(
        Initiative(
            title=kw.pop("title", f"Initiative {n}"),
            theme=kw.pop("theme", "living wage"),
            status=status,
            coordinator_organisation_id=coordinator.id,
            **kw,
        )
    )
    member(init, coordinator, MemberRole.LEAD)
    return init


def member(init: Initiative, org: Organisation, role=MemberRole.SUPPORTER, status=MemberStatus.ADMITTED) -> InitiativeMember:
    return _add(
        InitiativeMember(
            initiative_id=init.id,
            organisation_id=org.id,
            role=role,
            status=status,
            aum_committed_eur=Decimal("500000000"),
        )
    )


def engagement(
    company_: Company,
    lead: Organisation,
    initiative_: Initiative | None = None,
    supporters: tuple[Organisation, ...] = (),
    **kw,
) -> Engagement:
    n = next(_seq)
    level = EngagementLevel.COLLABORATIVE if initiative_ else kw.pop("level", EngagementLevel.DIRECT)
    e = _add(
        Engagement(
            company_id=company_.id,
            initiative_id=initiative_.id if initiative_ else None,
            title=kw.pop("title", f"Engagement {n}"),
            level=level,
            trigger=kw.pop("trigger", EngagementTrigger.REACTIVE),
            issue=kw.pop("issue", "Wages below a living wage in the supply chain"),
            severity_scale=kw.pop("severity_scale", 4),
            severity_scope=kw.pop("severity_scope", 3),
            severity_irremediability=kw.pop("severity_irremediability", 2),
            started_on=kw.pop("started_on", TODAY - timedelta(days=200)),
            **kw,
        )
    )
    _add(EngagementParticipant(engagement_id=e.id, organisation_id=lead.id, role=ParticipantRole.LEAD))
    for org in supporters:
        _add(EngagementParticipant(engagement_id=e.id, organisation_id=org.id, role=ParticipantRole.SUPPORTER))
    return e


def objective(e: Engagement, kind=ObjectiveKind.END_IMPACT) -> Objective:
    return _add(Objective(engagement_id=e.id, kind=kind, description="Pay a living wage"))


def milestone(e: Engagement, due_on: date | None = None, **kw) -> Milestone:
    return _add(
        Milestone(
            engagement_id=e.id,
            title=kw.pop("title", "Company publishes a living-wage roadmap"),
            due_on=due_on or TODAY - timedelta(days=10),
            **kw,
        )
    )


def dialogue(e: Engagement, org: Organisation, visibility=Visibility.COALITION, **kw) -> DialogueEntry:
    return _add(
        DialogueEntry(
            engagement_id=e.id,
            organisation_id=org.id,
            kind=kw.pop("kind", DialogueKind.MEETING),
            occurred_on=kw.pop("occurred_on", TODAY - timedelta(days=5)),
            summary=kw.pop("summary", f"{visibility} entry of {org.slug}"),
            visibility=visibility,
            **kw,
        )
    )


def note(e: Engagement, org: Organisation) -> Note:
    return _add(Note(engagement_id=e.id, organisation_id=org.id, body=f"note of {org.slug}"))


def holding(org: Organisation, company_: Company, value="1000000") -> Holding:
    return _add(Holding(organisation_id=org.id, company_id=company_.id, value_eur=Decimal(value), valued_on=TODAY))


def vote(org: Organisation, company_: Company, e: Engagement | None = None) -> Vote:
    return _add(
        Vote(
            organisation_id=org.id,
            company_id=company_.id,
            engagement_id=e.id if e else None,
            agm_on=TODAY + timedelta(days=120),
            item=f"Re-elect the chair ({next(_seq)})",
            instruction=VoteInstruction.AGAINST,
        )
    )


def api_token(org: Organisation) -> ApiToken:
    return _add(ApiToken(organisation_id=org.id, name="portfolio sync", token_hash=f"hash-{next(_seq)}"))


def audit_event(org: Organisation) -> AuditEvent:
    return _add(AuditEvent(organisation_id=org.id, action="test.event", context="test"))


def ladder(init: Initiative | None = None, kinds=(StepKind.LETTER_TO_BOARD, StepKind.VOTE_AGAINST_DIRECTORS)) -> EscalationLadder:
    lad = _add(EscalationLadder(name="Ladder", initiative_id=init.id if init else None))
    for pos, kind in enumerate(kinds, start=1):
        _add(LadderStep(ladder_id=lad.id, position=pos, kind=kind, wait_days=60))
    return lad


def review(e: Engagement, m: Milestone) -> EscalationReview:
    from datetime import datetime, timezone

    return _add(
        EscalationReview(
            engagement_id=e.id,
            milestone_id=m.id,
            deadline_version=m.deadline_version,
            trigger_key=f"milestone:{m.id}:v{m.deadline_version}",
            reason=ReviewReason.MILESTONE_OVERDUE,
            due_at=datetime.combine(m.due_on, datetime.min.time(), tzinfo=timezone.utc),
        )
    )


def decision(r: EscalationReview, org: Organisation, step: LadderStep) -> Decision:
    return _add(
        Decision(
            review_id=r.id,
            engagement_id=r.engagement_id,
            kind=DecisionKind.ESCALATE,
            ladder_step_id=step.id,
            reason="No credible plan after two reminders",
            decided_by_organisation_id=org.id,
        )
    )


def letter(e: Engagement) -> Letter:
    return _add(Letter(engagement_id=e.id, kind=LetterKind.LETTER_TO_BOARD, title="To the board", body_html="<p>Dear board</p>"))


def resolution(e: Engagement, agm_on=None, threshold="1000000") -> Letter:
    """A resolution open for co-filing, with its filing terms."""
    from engage.escalations.models import Resolution

    lt = _add(Letter(engagement_id=e.id, kind=LetterKind.RESOLUTION, title="A resolution",
                     body_html="<p>The general meeting requests the Board</p>",
                     status=LetterStatus.OPEN_FOR_SIGNING))
    _add(Resolution(letter_id=lt.id, engagement_id=e.id, agm_on=agm_on or TODAY + timedelta(days=120),
                    filing_days=60, threshold_eur=Decimal(threshold) if threshold else None))
    return lt


def signature(lt: Letter, org: Organisation) -> Signature:
    return _add(Signature(letter_id=lt.id, organisation_id=org.id))


def divestment_review(e: Engagement) -> DivestmentReview:
    return _add(DivestmentReview(engagement_id=e.id))


def task(e: Engagement, org: Organisation, title: str = "Request a meeting with the board"):
    from engage.escalations.models import EscalationTask, StepKind

    return _add(EscalationTask(engagement_id=e.id, kind=StepKind.MEETING_WITH_BOARD, title=title,
                               owner_organisation_id=org.id, due_on=date(2026, 12, 1)))


def import_job(org: Organisation, by: User, kind: str = "holdings"):
    import secrets

    from engage.companies.models import ImportJob, ImportStatus

    return _add(ImportJob(organisation_id=org.id, kind=kind, filename="positions.csv",
                          stored_as=f"{secrets.token_hex(16)}.csv", created_by_id=by.id,
                          status=ImportStatus.FAILED, lines_total=3, errors=["line 2: no"],
                          error_total=1, created_at=datetime(2026, 11, 1, tzinfo=timezone.utc),
                          finished_at=datetime(2026, 11, 1, tzinfo=timezone.utc)))


def attachment(parent, org: Organisation, data: bytes = b"%PDF-1.4\n%%EOF\n",
               filename: str = "minutes.pdf"):
    """A file on a dialogue entry, milestone or letter, its content in the app's storage."""
    import hashlib

    from engage.attachments import kinds, service
    from engage.attachments.models import Attachment
    from engage.attachments.storage import storage

    kind = kinds.detect(data)
    parent_kind = service.parent_kind_of(parent)
    digest = hashlib.sha256(data).hexdigest()
    storage().put(digest, data)
    return _add(Attachment(
        engagement_id=parent.engagement_id, organisation_id=org.id, parent_kind=parent_kind,
        filename=filename, kind=kind.key, size=len(data), sha256=digest,
        **{service._COLUMN[parent_kind]: parent.id}))
