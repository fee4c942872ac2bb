"""Every main page runs the same number of SQL statements, at most 12, however much the
organisation sees: each page is measured in a small world, then again after a lot more
engagements, milestones, dialogue, reviews, decisions, letters, resolutions, tasks, votes,
invitations, sign-on requests, holdings, followers and notifications were added for the same organisation. PostgreSQL counts the
scope hand-over (set_config) too."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

import pytest

from engage.audit.models import AuditEvent
from engage.companies.models import CompanyFollow
from engage.engagements.models import (
    Engagement,
    EngagementInvitation,
    Letter,
    LetterDecline,
    LetterStatus,
    ParticipantRole,
    Visibility,
)
from engage.escalations.models import EscalationLadder, EscalationTask, StepKind
from engage.initiatives.models import Initiative, MemberStatus
from engage.notifications.models import Notification, NotificationKind
from engage.organisations.models import Organisation, OrgRole
from engage.tenancy import system_scope
from engage.votes.models import VoteInstruction, VoteItemKind
from tests import factories as f
from tests.conftest import login_ids

BUDGET = 12
_serial = count(1)

PAGES = [
    "/",
    "/engagements",
    # The list filtered and sorted (engage.common.listing): still one count and one page.
    "/engagements?overdue=1&initiative={initiative}&role=lead&q=engagement&sort=-company",
    "/engagements?status=active&step=letter_to_board&severity=8&sort=next_due",
    "/engagements?status=bogus&sort=nonsense&page=1",
    "/engagements/{engagement}",
    "/engagements/{engagement}/timeline",
    "/engagements/{engagement}/ladder",
    "/ladders/templates",
    "/letters/{letter}",
    "/initiatives",
    "/initiatives?q=initiative&status=active&mine=lead&overdue=1&sort=-coordinator",
    "/initiatives?theme=nonsense&sort=theme",
    "/initiatives/{initiative}",
    "/companies",
    "/companies?q=company&sector=Apparel&country=NL&exclusion=not_excluded&overdue=1&sort=-rating",
    "/companies?rating=CCC&exclusion=tobacco&sort=country",
    "/companies/{company}",
    "/reviews",
    "/reviews/{review}",
    "/reviews?q=company&initiative={initiative}&reason=milestone_overdue&role=lead&overdue=1&sort=-company",
    "/reviews?step=letter_to_board&sort=deadline",
    "/reports",
    "/votes",
    "/votes?period=all&flagged=1",
    "/votes/export.csv?period=all",
    "/notifications",
    "/calendar",
    "/profile",
    "/organisation/users",
    "/organisation/sso",
    "/organisation/tokens",
    "/organisation/audit",
    "/organisation/audit?actor=user&action=update&object_type=engagement&since=2000-01-01&until=2099-12-31",
]


def _grow(db_session, ids: dict[str, int], n: int) -> None:
    """``n`` more of everything the pages list or count, visible to the organisation."""
    with system_scope("test", db_session):
        org = db_session.get(Organisation, ids["org"])
        partner = db_session.get(Organisation, ids["partner"])
        initiative = db_session.get(Initiative, ids["initiative"])
        first = db_session.get(Engagement, ids["engagement"])
        step = db_session.get(EscalationLadder, ids["ladder"]).steps[0]
        for _ in range(n):
            company = f.company(next_agm_on=f.TODAY + timedelta(days=10))
            e = f.engagement(company, org, initiative_=initiative, supporters=(partner,))
            for target in (first, e):
                f.objective(target)
                m = f.milestone(target, due_on=f.TODAY + timedelta(days=5))
                f.milestone(target, due_on=f.TODAY - timedelta(days=3))
                f.dialogue(target, org)
                f.dialogue(target, partner)
                f.dialogue(target, org, visibility=Visibility.PRIVATE)
                decision = f.decision(f.review(target, m), org, step)
                f.signature(f.letter(target), partner)
                f.signature(f.resolution(target), partner)
                # A letter open for co-signing that the organisation has yet to sign.
                f.letter(target).status = LetterStatus.OPEN_FOR_SIGNING
                f.vote(org, company, target)
                db_session.add(EscalationTask(
                    engagement_id=target.id, decision_id=decision.id, kind=StepKind.LETTER_TO_BOARD,
                    title="Write to the board", owner_organisation_id=org.id,
                    due_on=f.TODAY + timedelta(days=7)))
            f.holding(org, company)
            # The company is under escalation, and the organisation's vote for its directors
            # is flagged on the votes page.
            e.current_step_id = step.id
            board = f.vote(org, company, e)
            board.item_kind, board.instruction = VoteItemKind.DIRECTORS, VoteInstruction.FOR
            signer, decliner = f.organisation(), f.organisation()
            f.signature(db_session.get(Letter, ids["letter"]), signer)
            db_session.add(LetterDecline(letter_id=ids["letter"], organisation_id=decliner.id,
                                         reason="Not now"))
            f.member(initiative, f.organisation())
            # Sign-on requests for the organisation to answer, and invitations to it.
            f.member(initiative, f.organisation(), status=MemberStatus.PENDING)
            elsewhere = f.engagement(f.company(), partner)
            db_session.flush()
            db_session.add(EngagementInvitation(
                engagement_id=elsewhere.id, organisation_id=org.id,
                invited_by_organisation_id=partner.id, role=ParticipantRole.SUPPORTER,
                engagement_title=elsewhere.title, company_name="Invited Co"))
            f.user(org)
            db_session.add(CompanyFollow(company_id=company.id, user_id=ids["user"],
                                         organisation_id=org.id))
            db_session.add(Notification(
                user_id=ids["user"], organisation_id=org.id, kind=NotificationKind.REMINDER,
                subject="Milestone due", dedupe_key=f"budget:{next(_serial)}"))
            f.api_token(org)
            # The audit trail: entries by the admin about records with pages of their own
            # (linked when visible) and about an engagement's records.
            letter = f.letter(e)
            for kind, record, after in (
                    ("engagement", e.id, {"title": "Renamed"}),
                    ("initiative", initiative.id, {"title": "=1+1"}),
                    ("letter", letter.id, {"status": "sent"}),
                    ("company", company.id, {"name": "Renamed N.V."}),
                    ("milestone", m.id, {"engagement_id": e.id, "due_on": "2026-12-01"})):
                db_session.add(AuditEvent(
                    organisation_id=org.id, actor_id=ids["user"], action=f"{kind}.update",
                    object_type=kind, object_id=str(record), after=after, context="budget"))
        db_session.commit()


@pytest.fixture
def world(db_session) -> dict[str, int]:
    with system_scope("test", db_session):
        org = f.organisation()
        partner = f.organisation()
        user = f.user(org, role=OrgRole.ADMIN)
        initiative = f.initiative(org)
        f.member(initiative, partner)
        ladder = f.ladder(initiative, kinds=(StepKind.LETTER_TO_BOARD,))
        company = f.company()
        engagement = f.engagement(company, org, initiative_=initiative, supporters=(partner,))
        engagement.ladder_id = ladder.id
        letter = f.letter(engagement)
        review = f.review(engagement, f.milestone(engagement, due_on=f.TODAY - timedelta(days=9)))
        db_session.flush()
        ids = {"org": org.id, "partner": partner.id, "user": user.id, "slug": org.slug,
               "initiative": initiative.id, "ladder": ladder.id, "company": company.id,
               "engagement": engagement.id, "letter": letter.id, "review": review.id}
        db_session.commit()
    _grow(db_session, ids, 1)
    return ids


def _login(client, ids: dict[str, int]) -> None:
    login_ids(client, ids["user"], ids["org"], ids["slug"])


@pytest.mark.parametrize("path", PAGES)
def test_statements_per_page_do_not_grow_and_stay_within_budget(
        path, client, db_session, world, count_queries):
    _login(client, world)
    url = path.format(**world)
    with count_queries() as small:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    _grow(db_session, world, 12)
    with count_queries() as large:
        response = client.get(url)
    assert response.status_code == 200
    assert small.count == large.count, (url, small.statements, large.statements)
    assert large.count <= BUDGET, (url, large.count, large.statements)
