"""The dashboard's to-do panel: reviews to decide, documents to co-sign, votes to instruct,
tasks due and invitations or sign-on requests to answer; each for the organisation that acts
on it and for no other, the nearest deadline first, the overdue ones flagged."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest

from engage import clock
from engage.engagements.models import EngagementInvitation, LetterStatus, ParticipantRole
from engage.escalations.models import TaskStatus
from engage.initiatives.models import MemberStatus
from engage.organisations.models import OrgRole
from engage.tenancy import system_scope
from engage.votes.models import VoteStatus
from tests import factories as f
from tests.conftest import login_ids

TODAY = clock.today()


@dataclass
class Who:
    org_id: int
    slug: str
    user_id: int


@dataclass
class World:
    lead: Who
    supporter: Who
    outsider: Who
    lead_viewer: int
    engagement: int
    company: int
    ids: dict


def _who(org, user) -> Who:
    return Who(org.id, org.slug, user.id)


@pytest.fixture
def world(db_session) -> World:
    with system_scope("test to-do world", db_session):
        lead, supporter, outsider = (f.organisation() for _ in range(3))
        users = [f.user(o) for o in (lead, supporter, outsider)]
        viewer = f.user(lead, role=OrgRole.VIEWER)
        company = f.company(name="Threadline Apparel")
        e = f.engagement(company, lead, supporters=(supporter,), title="Living wage at Threadline")
        review = f.review(e, f.milestone(e, due_on=TODAY - timedelta(days=10), title="Roadmap"))
        letter = f.letter(e)
        letter.status, letter.opened_at = LetterStatus.OPEN_FOR_SIGNING, clock.now() - timedelta(days=1)
        signed = f.letter(e)
        signed.status, signed.title = LetterStatus.OPEN_FOR_SIGNING, "Signed already"
        f.signature(signed, supporter)
        f.signature(signed, lead)
        draft = f.letter(e)
        draft.title = "Still a draft"
        resolution = f.resolution(e, agm_on=TODAY + timedelta(days=120))  # filed by +60
        vote = f.vote(lead, company, e)
        vote.agm_on, vote.status = TODAY + timedelta(days=30), VoteStatus.PROPOSED
        past = f.vote(lead, company, e)
        past.agm_on = TODAY - timedelta(days=5)
        instructed = f.vote(lead, company, e)
        instructed.status = VoteStatus.INSTRUCTED
        supporter_vote = f.vote(supporter, company, e)
        supporter_vote.agm_on = TODAY + timedelta(days=20)
        late_task = f.task(e, lead, title="Request a meeting with the chair")
        late_task.due_on = TODAY - timedelta(days=2)
        done_task = f.task(e, lead, title="Done already")
        done_task.status, done_task.done_at = TaskStatus.DONE, clock.now()
        supporter_task = f.task(e, supporter, title="Check your holding")
        supporter_task.due_on = TODAY + timedelta(days=3)
        db_session.flush()
        invitation = EngagementInvitation(
            engagement_id=e.id, organisation_id=outsider.id, invited_by_organisation_id=lead.id,
            role=ParticipantRole.SUPPORTER, engagement_title=e.title, company_name=company.name)
        db_session.add(invitation)
        initiative = f.initiative(lead, title="Living wage coalition")
        applicant = f.member(initiative, outsider, status=MemberStatus.PENDING)
        db_session.flush()
        ids = {"review": review.id, "letter": letter.id, "signed": signed.id,
               "resolution": resolution.id, "vote": vote.id, "past": past.id,
               "instructed": instructed.id, "supporter_vote": supporter_vote.id,
               "late_task": late_task.id, "supporter_task": supporter_task.id,
               "invitation": invitation.id, "applicant": applicant.id,
               "initiative": initiative.id, "draft": draft.id}
        made = World(_who(lead, users[0]), _who(supporter, users[1]), _who(outsider, users[2]),
                     viewer.id, e.id, company.id, ids)
        db_session.commit()
    return made


def _todo(client, who: Who, user_id: int | None = None) -> list[tuple[str, int, bool, str]]:
    """(kind, id, overdue, date shown) of each to-do, in the order shown."""
    login_ids(client, user_id or who.user_id, who.org_id, who.slug)
    html = client.get("/").get_data(as_text=True)
    panel = re.search(r'data-section="todo">(.*?)</section>', html, re.S)
    assert panel, "no to-do panel"
    items = re.findall(r'<li data-todo="(\w+)" data-todo-id="(\d+)"( data-overdue)?[^>]*>\s*'
                       r'(?:<time datetime="([\d-]+)")?', panel.group(1))
    return [(kind, int(i), bool(late), shown) for kind, i, late, shown in items]


def test_the_lead_sees_what_it_has_to_act_on_nearest_deadline_first(client, world):
    items = _todo(client, world.lead)
    ids = world.ids
    assert [(k, i) for k, i, _, _ in items] == [
        ("review", ids["review"]),  # the roadmap was due 10 days ago
        ("task", ids["late_task"]),  # due 2 days ago
        ("vote", ids["vote"]),  # AGM in 30 days
        ("sign", ids["resolution"]),  # filing deadline in 60 days
        ("sign", ids["letter"]),  # no deadline, after the dated ones
        ("sign_on", ids["applicant"]),
    ]
    assert [late for _, _, late, _ in items] == [True, True, False, False, False, False]
    assert items[0][3] == (TODAY - timedelta(days=10)).isoformat()
    assert items[3][3] == (TODAY + timedelta(days=60)).isoformat()
    assert items[4][3] == ""  # said to have no deadline


def test_each_item_links_to_where_it_is_done(client, world):
    login_ids(client, world.lead.user_id, world.lead.org_id, world.lead.slug)
    html = client.get("/").get_data(as_text=True)
    ids, e = world.ids, world.engagement
    assert f'href="/reviews/{ids["review"]}"' in html
    assert f'href="/letters/{ids["letter"]}"' in html
    assert f'href="/engagements/{e}#task-{ids["late_task"]}"' in html
    assert f'href="/initiatives/{ids["initiative"]}#member-{ids["applicant"]}"' in html
    assert f'href="/votes#vote-{ids["vote"]}"' in html
    assert "10 days overdue" in html and "2 days overdue" in html
    assert "Answer" in html and "request to sign on" in html


def test_the_supporter_and_the_outsider_see_their_own_only(client, world):
    ids = world.ids
    assert [(k, i) for k, i, _, _ in _todo(client, world.supporter)] == [
        ("task", ids["supporter_task"]), ("vote", ids["supporter_vote"]),
        ("sign", ids["resolution"]), ("sign", ids["letter"])]
    # The outsider: only the invitation addressed to it (its own sign-on request waits for
    # the coordinator, not for it).
    assert [(k, i) for k, i, _, _ in _todo(client, world.outsider)] == [
        ("invitation", ids["invitation"])]


def test_a_viewer_gets_no_to_do_list(client, world):
    login_ids(client, world.lead_viewer, world.lead.org_id, world.lead.slug)
    html = client.get("/").get_data(as_text=True)
    assert 'data-section="todo"' not in html and "data-todo=" not in html
    assert f'data-review="{world.ids["review"]}"' in html  # followed, not decided


def test_the_panel_in_dutch(client, world, db_session):
    from engage.organisations.models import User

    with system_scope("test", db_session):
        db_session.get(User, world.lead.user_id).locale = "nl"
        db_session.commit()
    login_ids(client, world.lead.user_id, world.lead.org_id, world.lead.slug)
    html = client.get("/").get_data(as_text=True)
    assert "Te doen" in html and "Neem een besluit over de beoordeling" in html
    assert "dagen te laat" in html and "geen termijn" in html
