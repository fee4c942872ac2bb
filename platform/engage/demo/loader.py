"""Turns :mod:`engage.demo.data` into rows: one transaction, two flushes and a commit.

Every date is computed from ``today``, so the demo always has milestones already overdue,
milestones due within the next month and milestones met, and the same ``today`` always
gives the same rows.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage import config
from engage.common.labels import aum_in_documents
from engage.companies.models import Company, EsgRating, ExclusionCategory, Holding
from engage.demo import data
from engage.engagements.models import (
    DialogueEntry,
    DialogueKind,
    Engagement,
    EngagementLevel,
    EngagementParticipant,
    EngagementStatus,
    EngagementTrigger,
    Horizon,
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
from engage.escalations import ladder_templates, ladders
from engage.escalations.models import EscalationLadder
from engage.initiatives.models import (
    Initiative,
    InitiativeMember,
    InitiativeStatus,
    MemberRole,
    MemberStatus,
)
from engage.organisations.models import Organisation, OrganisationKind, OrgMembership, OrgRole, User
from engage.tenancy import system_scope
from engage.votes.models import Vote, VoteInstruction, VoteItemKind, VoteStatus

SCOPE_REASON = "demo data"
ROLE_ORDER = {OrgRole.ADMIN: 0, OrgRole.MEMBER: 1, OrgRole.VIEWER: 2}


class DemoError(RuntimeError):
    """The demo cannot be loaded (the database is not empty, or its content is missing)."""


@dataclass
class DemoSummary:
    """What :func:`load_demo` wrote. ``overdue_milestones`` counts the unmet milestones due
    before ``today`` on active engagements (the ones the escalation sweep will act on)."""

    today: date
    organisations: int = 0
    users: int = 0
    initiatives: int = 0
    companies: int = 0
    excluded_companies: int = 0
    engagements: int = 0
    milestones: int = 0
    overdue_milestones: int = 0
    dialogue_entries: int = 0
    holdings: int = 0
    votes: int = 0
    # (organisation name, user e-mail, user name, role), organisation by organisation
    demo_users: list[tuple[str, str, str, str]] = field(default_factory=list)

    COUNTS: ClassVar[tuple[str, ...]] = (
        "organisations", "users", "initiatives", "companies", "excluded_companies",
        "engagements", "milestones", "overdue_milestones", "dialogue_entries", "holdings",
        "votes",
    )

    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.COUNTS}

    def describe(self) -> str:
        lines = [f"Demo data loaded for {self.today.isoformat()}:"]
        for name, value in self.counts().items():
            lines.append(f"  {name.replace('_', ' '):<20} {value:>5}")
        lines.append("")
        lines.append("Demo users (sign in as any of them):")
        widths = [max([len(h)] + [len(row[i]) for row in self.demo_users])
                  for i, h in enumerate(("Organisation", "E-mail", "Name", "Role"))]
        header = ("Organisation", "Role", "Name", "E-mail")
        order = (0, 3, 2, 1)
        lines.append("  " + "  ".join(h.ljust(widths[i]) for h, i in zip(header, order)).rstrip())
        previous = None
        for row in self.demo_users:
            org = row[0] if row[0] != previous else ""
            previous = row[0]
            cells = (org, row[3], row[2], row[1])
            text = "  ".join(c.ljust(widths[i]) for c, i in zip(cells, order))
            lines.append(("  " + text).rstrip())
        return "\n".join(lines)


def load_demo(today: date) -> DemoSummary:
    """Load the demo into an empty, migrated database, in one transaction."""
    from engage.extensions import db

    session = db.session()
    with system_scope(SCOPE_REASON, session):
        try:
            existing = session.scalar(sa.select(sa.func.count()).select_from(Organisation))
            if existing:
                raise DemoError(
                    f"the database already has {existing} organisation(s); the demo loads "
                    "into an empty, migrated database only"
                )
            summary = _Loader(session, today).run()
            session.commit()
        except BaseException:
            session.rollback()
            raise
    return summary


def _at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.utc)


def _quarter_end_before(today: date) -> date:
    return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1) - timedelta(days=1)


class _Loader:
    def __init__(self, session: Session, today: date) -> None:
        self.session = session
        self.today = today
        self.orgs: dict[str, Organisation] = {}
        self.authors: dict[str, User] = {}
        self.companies: dict[str, Company] = {}
        self.initiatives: dict[str, Initiative] = {}
        self.ladders: dict[str, EscalationLadder] = {}
        self.engagements: dict[str, Engagement] = {}
        self.summary = DemoSummary(today=today)

    def days(self, offset: int) -> date:
        return self.today + timedelta(days=offset)

    def run(self) -> DemoSummary:
        self.session.add_all(self._organisations_and_users())
        self.session.add_all(self._companies())
        self.session.add_all(self._initiatives())
        self.session.flush()  # ids for the ladders, notes and holdings
        self.session.add_all(self._ladders())
        self.session.add_all(self._engagements())
        self.session.add_all(self._holdings())
        self.session.flush()  # engagement ids for the votes
        self.session.add_all(self._votes())
        self.session.add_all(self._letters())
        self.session.flush()
        return self.summary

    # --- organisations, people, companies ------------------------------------------------------

    def _organisations_and_users(self) -> Iterable[object]:
        domains = {}
        for slug, name, kind, aum, domain in data.ORGANISATIONS:
            self.orgs[slug] = Organisation(
                slug=slug, name=name, kind=OrganisationKind(kind), aum_eur=Decimal(aum)
            )
            domains[slug] = domain
            yield self.orgs[slug]
        users = sorted(data.USERS, key=lambda u: (list(self.orgs).index(u[0]),
                                                  ROLE_ORDER[OrgRole(u[3])]))
        for slug, local, name, role, locale in users:
            user = User(email=f"{local}@{domains[slug]}", name=name, locale=locale)
            if role == "member":
                self.authors.setdefault(slug, user)
            yield user
            yield OrgMembership(user=user, organisation=self.orgs[slug], role=OrgRole(role))
            self.summary.demo_users.append((self.orgs[slug].name, user.email, name, role))
        self.summary.organisations = len(self.orgs)
        self.summary.users = len(users)

    def _member_of(self, slug: str) -> User:
        """The organisation's first user with the member role: who logs its dialogue."""
        return self.authors[slug]

    def _companies(self) -> Iterable[Company]:
        path = config.PROJECT_ROOT.joinpath(*data.EXCLUSION_LIST_FILE)
        if not path.is_file():
            raise DemoError(f"the exclusion list {path} is missing")
        excluded_on = date(*data.EXCLUDED_ON)
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        for row in rows:
            name, category = row["company"].strip(), row["category"].strip()
            rating = data.EXCLUDED_RATINGS.get(name)
            company = Company(
                name=name,
                country=row["country"].strip().upper(),
                sector=data.EXCLUDED_SECTOR_OVERRIDES.get(
                    name, data.EXCLUDED_SECTOR_BY_CATEGORY.get(category)
                ),
                esg_rating=EsgRating(rating[0]) if rating else None,
                rated_on=self.days(-rating[1]) if rating else None,
                controversies=data.EXCLUDED_CONTROVERSIES.get(name, ""),
                exclusion_category=ExclusionCategory(category),
                exclusion_reason=data.EXCLUSION_REASONS[category],
                excluded_on=excluded_on,
            )
            self.companies[name] = company
            yield company
        for alias, name in data.COMPANY_ALIASES.items():
            self.companies[alias] = self.companies[name]
        for key, name, isin, lei, country, sector, rating, rated, controversies in data.COMPANIES:
            company = Company(
                name=name, isin=isin, lei=lei, country=country, sector=sector,
                esg_rating=EsgRating(rating), rated_on=self.days(-rated),
                controversies=controversies,
            )
            self.companies[key] = company
            yield company
        self.summary.companies = len(rows) + len(data.COMPANIES)
        self.summary.excluded_companies = len(rows)

    # --- initiatives and ladders ---------------------------------------------------------------

    def _initiatives(self) -> Iterable[Initiative]:
        for key, spec in data.INITIATIVES.items():
            initiative = Initiative(
                title=spec["title"], theme=spec["theme"], description=spec["description"],
                common_goals=spec["common_goals"], preparation=spec["preparation"],
                status=InitiativeStatus(spec["status"]),
                coordinator=self.orgs[spec["coordinator"]],
            )
            start = spec["started_days_ago"]
            for i, (slug, role, status, resources, aum, conflict) in enumerate(spec["members"]):
                admitted = status == "admitted"
                joined = self.days(-(start - 15 * i)) if admitted else self.days(-12)
                initiative.members.append(InitiativeMember(
                    organisation=self.orgs[slug], role=MemberRole(role),
                    status=MemberStatus(status), committed_resources=resources,
                    aum_committed_eur=None if aum is None else Decimal(aum),
                    conflict_of_interest=conflict, joined_at=_at(joined),
                    admitted_at=_at(joined + timedelta(days=7)) if admitted else None,
                ))
            self.initiatives[key] = initiative
            yield initiative
        self.summary.initiatives = len(self.initiatives)

    def _ladders(self) -> Iterable[EscalationLadder]:
        """The installed templates (made here by the same service when the database was built
        without the migration that installs them), each initiative's copy of the study's
        strategy with its own waits, and the ladders tailored to one organisation."""
        installed = {lad.name: lad for lad in self.session.scalars(
            sa.select(EscalationLadder).where(EscalationLadder.is_template.is_(True)))}
        for spec in ladder_templates.TEMPLATES:
            if spec["name"] not in installed:
                yield ladders.template_ladder(spec["key"])
        study = next(t for t in ladder_templates.TEMPLATES if t["key"] == ladder_templates.STUDY)
        template = ladders.template_spec_steps(study)
        by_kind = {step["kind"]: step for step in template}
        for key, initiative in self.initiatives.items():
            overrides = data.LADDER_WAIT_OVERRIDES.get(key, {})
            ladder = ladders.new_ladder(
                f"{initiative.title}: common escalation strategy",
                [dict(step, wait_days=overrides.get(step["kind"], step["wait_days"]))
                 for step in template],
                initiative_id=initiative.id)
            self.ladders[key] = ladder
            yield ladder
        for key, (name, kinds_waits) in data.TAILORED_LADDERS.items():
            self.ladders[key] = ladders.new_ladder(
                name, [dict(by_kind[kind], wait_days=wait) for kind, wait in kinds_waits])
            yield self.ladders[key]

    # --- engagements ---------------------------------------------------------------------------

    def _engagements(self) -> Iterable[Engagement]:
        index = 0
        for company_key, initiative_key, profile, lead, co_lead in data.COLLABORATIVE:
            spec = data.INITIATIVES[initiative_key]
            roles = {lead: ParticipantRole.LEAD}
            if co_lead:
                roles[co_lead] = ParticipantRole.CO_LEAD
            for slug, role, status, *_ in spec["members"]:
                if status == "admitted" and role != "observer":
                    roles.setdefault(slug, ParticipantRole.SUPPORTER)
            company = self.companies[company_key]
            yield self._engagement(
                index, company_key, initiative_key, profile,
                title=f"{spec['short']}: {company.name}", level=EngagementLevel.COLLABORATIVE,
                trigger=spec["trigger"], issue=spec["issue"],
                rights_holders=spec["rights_holders"], severity=spec["severity"],
                roles=roles, initiative=self.initiatives[initiative_key],
                ladder=self.ladders[initiative_key],
            )
            index += 1
        for company_key, spec in data.SOLO.items():
            yield self._engagement(
                index, company_key, company_key, spec["profile"], title=spec["title"],
                level=EngagementLevel(spec["level"]), trigger=spec["trigger"],
                issue=spec["issue"], rights_holders=spec["rights_holders"],
                severity=spec["severity"],
                roles={slug: ParticipantRole(role) for slug, role in spec["participants"]},
                initiative=None, ladder=self.ladders[spec["ladder"]],
                started=spec.get("started"), closed=spec.get("closed"),
                offsets=spec.get("milestones"),
            )
            index += 1
        self._special_dialogue()
        self._notes()
        self.summary.engagements = len(self.engagements)

    def _engagement(self, index, company_key, content_key, profile_name, *, title, level,
                    trigger, issue, rights_holders, severity, roles, initiative, ladder,
                    started=None, closed=None, offsets=None) -> Engagement:
        profile = data.PROFILES[profile_name]
        shift = index % 4
        started_on = self.days(-((started or profile["started"]) + (index * 7) % 30))
        closed_days = closed or profile["closed"]
        status = EngagementStatus(profile["status"])
        engagement = Engagement(
            company=self.companies[company_key], initiative=initiative, title=title,
            level=level, trigger=EngagementTrigger(trigger), issue=issue,
            rights_holders=rights_holders, severity_scale=severity[0],
            severity_scope=severity[1], severity_irremediability=severity[2], status=status,
            started_on=started_on,
            closed_on=self.days(-closed_days) if closed_days else None,
            ladder=ladder,
            current_step=ladder.steps[0] if status == EngagementStatus.ACTIVE else None,
        )
        for slug, role in roles.items():
            engagement.participants.append(EngagementParticipant(
                organisation=self.orgs[slug], role=role, joined_at=_at(started_on)))
        objectives = {}
        for kind, text in data.OBJECTIVES[content_key].items():
            objectives[kind] = Objective(kind=ObjectiveKind(kind), description=text)
            engagement.objectives.append(objectives[kind])
        plan = data.MILESTONE_PLANS[content_key]
        for (title_, horizon, kind, evidence, outcome), (due, stage, met) in zip(
            plan, offsets or profile["milestones"]
        ):
            milestone = Milestone(
                title=title_, horizon=Horizon(horizon), objective=objectives[kind],
                due_on=self.days(due + shift), stage=stage,
                met_on=None if met is None else self.days(met + shift),
                evidence=evidence if met is not None else "", outcome_for_people=outcome,
            )
            engagement.milestones.append(milestone)
            self.summary.milestones += 1
            if (milestone.met_on is None and milestone.due_on < self.today
                    and status == EngagementStatus.ACTIVE):
                self.summary.overdue_milestones += 1
        lead = next(slug for slug, role in roles.items() if role == ParticipantRole.LEAD)
        aum = aum_in_documents(sum(self.orgs[s].aum_eur for s in roles))
        signed_by = (f"{len(roles)} investors with {aum} under management" if len(roles) > 1
                     else f"{self.orgs[lead].name} ({aum} under management)")
        context = {"company": engagement.company.name, "topic": data.TOPICS[content_key],
                   "signed_by": signed_by}
        for profiles, kind, anchor, offset, summary, outcome in data.GENERIC_DIALOGUE:
            if profiles is None or profile_name in profiles:
                self._dialogue(engagement, lead, kind, anchor, offset, "coalition",
                               self._participants(roles, engagement.company.name),
                               summary.format(**context), outcome)
        self.engagements[company_key] = engagement
        return engagement

    def _participants(self, roles, company_name: str) -> str:
        names = [f"{self.orgs[s].name} ({r.value.replace('_', '-')})" for s, r in roles.items()]
        return "; ".join(names) + f"; {company_name}"

    def _dialogue(self, engagement, slug, kind, anchor, offset, visibility, participants,
                  summary, outcome) -> None:
        base = {"start": engagement.started_on, "today": self.today,
                "closed": engagement.closed_on}[anchor]
        occurred = min(base + timedelta(days=offset), self.today)
        engagement.dialogue.append(DialogueEntry(
            organisation=self.orgs[slug], author=self._member_of(slug),
            kind=DialogueKind(kind), occurred_on=occurred, participants=participants,
            summary=summary, outcome=outcome, visibility=Visibility(visibility),
        ))
        self.summary.dialogue_entries += 1

    def _special_dialogue(self) -> None:
        for company, kind, anchor, offset, slug, visibility, participants, summary, outcome \
                in data.DIALOGUE:
            self._dialogue(self.engagements[company], slug, kind, anchor, offset, visibility,
                           participants, summary, outcome)

    def _notes(self) -> None:
        for company, slug, body in data.NOTES:
            self.engagements[company].notes.append(Note(
                organisation_id=self.orgs[slug].id, author=self._member_of(slug), body=body))

    # --- holdings and votes --------------------------------------------------------------------

    def _holdings(self) -> Iterable[Holding]:
        valued_on = _quarter_end_before(self.today)
        for slug, positions in data.HOLDINGS.items():
            for company, thousands in positions:
                self.summary.holdings += 1
                yield Holding(organisation_id=self.orgs[slug].id,
                              company=self.companies[company],
                              value_eur=Decimal(thousands) * 1000, valued_on=valued_on)

    def _letters(self) -> Iterable[Letter]:
        """Letters open for co-signing, with the signatures gathered so far."""
        for company, title, body_html, signers in data.LETTERS:
            engagement = self.engagements[company]
            letter = Letter(engagement_id=engagement.id, kind=LetterKind.LETTER_TO_BOARD,
                            title=title, body_html=body_html,
                            status=LetterStatus.OPEN_FOR_SIGNING,
                            created_by_id=self._member_of(signers[0]).id,
                            created_at=_at(self.days(-6)))
            for slug in signers:
                letter.signatures.append(Signature(
                    organisation_id=self.orgs[slug].id, signed_by_id=self._member_of(slug).id,
                    signed_at=_at(self.days(-5))))
            yield letter

    def _votes(self) -> Iterable[Vote]:
        for slug, company, agm, item, instruction, requested, status, rationale in data.VOTES:
            engagement = self.engagements.get(company)
            self.summary.votes += 1
            yield Vote(
                organisation_id=self.orgs[slug].id, company_id=self.companies[company].id,
                engagement_id=engagement.id if engagement is not None else None,
                agm_on=self.days(agm), item=item,
                item_kind=VoteItemKind(data.VOTE_ITEM_KINDS.get(item, "other")),
                instruction=VoteInstruction(instruction),
                requested_instruction=VoteInstruction(requested) if requested else None,
                status=VoteStatus(status), rationale=rationale,
            )
