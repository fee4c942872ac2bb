"""Two organisations and their data, with API tokens, in the rolled-back test session.

Organisation A leads an engagement in an initiative it coordinates (neither recruiting),
with a milestone, an open review, coalition and private dialogue, a letter open for
signing, a vote and audit events. Organisation B takes part in none of it: every private
object of A is invisible to B.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from engage.engagements.models import LetterStatus, Visibility
from engage.initiatives.models import InitiativeStatus, MemberRole
from engage.organisations.models import OrgRole
from engage.organisations.tokens import create_token
from engage.tenancy import as_organisation, system_scope

from tests import factories as f
from tests.escalations.conftest import LADDER, NOW, TODAY


@dataclass
class ApiWorld:
    a: Any
    b: Any
    a_admin: Any
    a_member: Any
    a_viewer: Any
    b_admin: Any
    b_member: Any
    company: Any
    initiative: Any  # A coordinates; active (not recruiting): private to its members
    recruiting: Any  # A coordinates; recruiting: everyone sees it and may sign on
    engagement: Any
    milestone: Any
    review: Any
    dialogue: Any
    private_dialogue: Any
    letter: Any
    signature: Any
    vote: Any
    member: Any  # A's own membership of its initiative
    ladder_steps: list
    tokens: dict[str, str]  # name -> secret
    task: Any = None  # a task A owns on its engagement
    import_job: Any = None  # A's background import
    template: Any = None  # A's own ladder template
    note: Any = None  # A's private note on the engagement
    attachment: Any = None  # A's file on the milestone
    resolution: Any = None  # A's resolution document (a Letter), with its filing terms
    divestment: Any = None  # a divestment review of A's engagement, open


def _token(db_session, org, user, scope: str, name: str) -> str:
    with as_organisation(org.id):
        secret = create_token(db_session, organisation=org, name=name, scope=scope,
                              created_by=user).secret
        db_session.flush()
    return secret


def build_api_world(db_session) -> ApiWorld:
    with system_scope("test api world"):
        a, b = f.organisation(), f.organisation()
        a_admin, a_member, a_viewer = (f.user(a, role) for role in
                                       (OrgRole.ADMIN, OrgRole.MEMBER, OrgRole.VIEWER))
        b_admin, b_member = f.user(b, OrgRole.ADMIN), f.user(b, OrgRole.MEMBER)
        company = f.company(isin="NL0000000001")
        initiative = f.initiative(a, status=InitiativeStatus.ACTIVE, title="Living wage")
        recruiting = f.initiative(a, status=InitiativeStatus.RECRUITING, title="Cobalt")
        lad = f.ladder(initiative, kinds=LADDER)
        engagement = f.engagement(company, a, initiative, ladder_id=lad.id)
        f.objective(engagement)
        milestone = f.milestone(engagement, due_on=TODAY - timedelta(days=10))
        review = f.review(engagement, milestone)
        dialogue = f.dialogue(engagement, a)
        private_dialogue = f.dialogue(engagement, a, visibility=Visibility.PRIVATE)
        letter = f.letter(engagement)
        letter.status = LetterStatus.OPEN_FOR_SIGNING
        signature = f.signature(letter, a)
        vote = f.vote(a, company, engagement)
        note = f.note(engagement, a)
        attachment = f.attachment(milestone, a)
        resolution = f.resolution(engagement)
        f.signature(resolution, a)
        f.holding(a, company, "750000")
        divestment = f.divestment_review(engagement)
        from engage.initiatives.models import InitiativeMember

        member = db_session.query(InitiativeMember).filter_by(
            initiative_id=initiative.id, organisation_id=a.id).one()
        assert member.role is MemberRole.LEAD
        db_session.flush()
        from engage.escalations import ladders

        own = ladders.new_ladder("A's own ladder", [{"kind": "letter_to_board", "wait_days": 30}],
                                 is_template=True)
        own.organisation_id = a.id
        db_session.add(own)
        db_session.flush()
        steps = sorted(lad.steps, key=lambda s: s.position)
        world = ApiWorld(a, b, a_admin, a_member, a_viewer, b_admin, b_member, company,
                         initiative, recruiting, engagement, milestone, review, dialogue,
                         private_dialogue, letter, signature, vote, member, steps, {},
                         note=note, attachment=attachment, resolution=resolution,
                         template=own, divestment=divestment)
        world.task = f.task(engagement, a)
        world.import_job = f.import_job(a, a_admin)
        from engage.notifications.models import Notification, NotificationKind

        world.notification = Notification(
            user_id=a_member.id, organisation_id=a.id, kind=NotificationKind.REMINDER,
            subject="A reminder", body="", link="/", dedupe_key="api-world:reminder",
            created_at=NOW)
        db_session.add(world.notification)
        db_session.flush()
    world.tokens = {
        "a_write": _token(db_session, a, a_member, "write", "a write"),
        "a_read": _token(db_session, a, a_member, "read", "a read"),
        "b_write": _token(db_session, b, b_member, "write", "b write"),
        "b_read": _token(db_session, b, b_member, "read", "b read"),
        # Created by admins: these may import (a token never holds more than its creator).
        "a_admin": _token(db_session, a, a_admin, "write", "a admin write"),
        "b_admin": _token(db_session, b, b_admin, "write", "b admin write"),
    }
    with as_organisation(a.id):
        f.audit_event(a)
    # Committed (a savepoint released), as a real world would be: a request that rolls its
    # own work back (a 409, a refused write) must not take the world, tokens included, with
    # it. The objects stay loaded for the tests that read them.
    session = db_session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
    return world


@pytest.fixture
def api_world(db_session) -> ApiWorld:
    return build_api_world(db_session)


class ApiClient:
    """The Flask test client with a bearer token and JSON bodies."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def request(self, method: str, path: str, json: Any = None, **kw):
        headers = {**self.headers, **kw.pop("headers", {})}
        return self.client.open(f"/api/v1{path}", method=method, json=json, headers=headers, **kw)

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw):
        return self.request("POST", path, json=json, **kw)

    def patch(self, path: str, json: Any = None, **kw):
        return self.request("PATCH", path, json=json, **kw)


@pytest.fixture
def as_token(client, api_world):
    def make(name: str) -> ApiClient:
        return ApiClient(client, api_world.tokens[name])

    return make
