"""The permission rules of engage.security, one by one: organisation roles and the roles
that come from taking part (coordinator, lead / co-lead / supporter)."""

from __future__ import annotations

import pytest
from flask import g

from engage import security, tenancy
from engage.engagements.models import EngagementParticipant, ParticipantRole
from engage.organisations.models import Organisation, OrgRole, User
from engage.security import Permission, Principal
from tests import factories as f


@pytest.fixture
def coalition(db_session):
    with tenancy.system_scope("test", db_session):
        lead, co_lead, supporter, other = (f.organisation() for _ in range(4))
        init = f.initiative(lead)
        e = f.engagement(f.company(), lead, supporters=(supporter,))
        db_session.add(EngagementParticipant(engagement_id=e.id, organisation_id=co_lead.id,
                                             role=ParticipantRole.CO_LEAD))
        ids = {"lead": lead.id, "co_lead": co_lead.id, "supporter": supporter.id,
               "other": other.id}
        # What the rules read of the objects, as plain stand-ins that outlive the session.
        ids["initiative"] = type("I", (), {"coordinator_organisation_id": init.coordinator_organisation_id})()
        ids["engagement"] = type("E", (), {"id": e.id})()
        db_session.commit()
        return ids


def _allowed(app, db_session, org_id, role, permission, obj=None) -> bool:
    with app.test_request_context():
        g.principal = Principal(user=User(id=1, email="x@x.example", name="X"),
                                organisation=Organisation(id=org_id), role=role)
        with tenancy.as_organisation(org_id, db_session):
            return security.can(permission, obj)


@pytest.mark.parametrize("role, read, write, admin", [
    (OrgRole.ADMIN, True, True, True),
    (OrgRole.MEMBER, True, True, False),
    (OrgRole.VIEWER, True, False, False),
])
def test_organisation_roles(app, db_session, coalition, role, read, write, admin):
    org = coalition["lead"]
    assert _allowed(app, db_session, org, role, Permission.READ) is read
    assert _allowed(app, db_session, org, role, Permission.WRITE) is write
    assert _allowed(app, db_session, org, role, Permission.ADMIN) is admin


@pytest.mark.parametrize("who, lead, participate", [
    ("lead", True, True), ("co_lead", True, True), ("supporter", False, True), ("other", False, False),
])
def test_engagement_roles(app, db_session, coalition, who, lead, participate):
    e = coalition["engagement"]
    org = coalition[who]
    assert _allowed(app, db_session, org, OrgRole.MEMBER, Permission.LEAD_ENGAGEMENT, e) is lead
    assert _allowed(app, db_session, org, OrgRole.MEMBER, Permission.PARTICIPATE_ENGAGEMENT, e) is participate
    # Taking part gives nothing to a viewer: viewers never change anything.
    assert _allowed(app, db_session, org, OrgRole.VIEWER, Permission.LEAD_ENGAGEMENT, e) is False


def test_initiative_coordinator(app, db_session, coalition):
    init = coalition["initiative"]
    assert _allowed(app, db_session, coalition["lead"], OrgRole.MEMBER,
                    Permission.COORDINATE_INITIATIVE, init)
    assert not _allowed(app, db_session, coalition["supporter"], OrgRole.ADMIN,
                        Permission.COORDINATE_INITIATIVE, init)


def test_signed_out_is_refused_everything(app):
    with app.test_request_context():
        g.principal = None
        assert not security.can(Permission.READ)
