"""The escalation tests' coalition (``world``), plus a collaborative engagement inside an
initiative for signing on; helpers to act as one organisation's user in the browser."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from engage.audit.models import AuditEvent
from engage.initiatives.models import MemberRole
from engage.organisations.models import OrgRole
from engage.tenancy import system_scope
from tests import factories as f
from tests.conftest import login_as
from tests.escalations.conftest import build_world
from tests.oidc_support import csrf_token

HX = {"HX-Request": "true"}


def act_as(client, user, org) -> str:
    login_as(client, user, org)
    return csrf_token(client)


def post(client, url, token, htmx=False, **form):
    return client.post(url, data={**form, "csrf_token": token}, headers=HX if htmx else {})


def audit_actions(db_session, action: str) -> int:
    with system_scope("test"):
        return db_session.scalar(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


@pytest.fixture
def world(db_session):
    """The escalation tests' world, committed: a failed request's rollback keeps it."""
    built = build_world(db_session)
    db_session.commit()
    return built


@dataclass
class Coalition:
    coordinator: object
    member: object
    co_lead: object
    observer: object
    outsider: object
    coordinator_user: object
    member_user: object
    co_lead_user: object
    observer_user: object
    outsider_user: object
    initiative: object
    engagement: object


@pytest.fixture
def coalition(db_session):
    with system_scope("test coalition"):
        coordinator, member, co_lead, observer, outsider = (
            f.organisation(aum=aum) for aum in
            ("40000000000", "12500000000", "3000000000", "1000000000", "2000000000"))
        users = [f.user(o) for o in (coordinator, member, co_lead, observer, outsider)]
        init = f.initiative(coordinator)
        f.member(init, member, MemberRole.SUPPORTER)
        f.member(init, co_lead, MemberRole.CO_LEAD)
        f.member(init, observer, MemberRole.OBSERVER)
        eng = f.engagement(f.company(), coordinator, init, title="Cobalt sourcing")
        db_session.flush()
        built = Coalition(coordinator, member, co_lead, observer, outsider, *users, init, eng)
    db_session.commit()
    return built


def viewer_of(db_session, org):
    with system_scope("test viewer", db_session):
        viewer = f.user(db_session.get(type(org), org.id), OrgRole.VIEWER)
        db_session.commit()
        return type("U", (), {"id": viewer.id})
