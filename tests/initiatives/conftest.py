"""A recruiting initiative, its coordinator, an admitted member and an outsider organisation."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from engage.initiatives.models import InitiativeStatus, MemberRole
from engage.organisations.models import OrgRole
from engage.tenancy import system_scope

from tests import factories as f


@dataclass
class Coalition:
    coordinator: object
    member: object
    applicant: object
    stranger: object
    coordinator_user: object
    member_user: object
    applicant_user: object
    applicant_viewer: object
    stranger_user: object
    initiative: object
    private_initiative: object
    company: object
    engagement: object
    ladder: object


@pytest.fixture
def coalition(db_session) -> Coalition:
    with system_scope("test coalition"):
        coordinator, member, applicant, stranger = (f.organisation() for _ in range(4))
        coordinator_user, member_user, applicant_user = (
            f.user(o, OrgRole.ADMIN) for o in (coordinator, member, applicant))
        applicant_viewer = f.user(applicant, OrgRole.VIEWER)
        stranger_user = f.user(stranger)
        initiative = f.initiative(
            coordinator, InitiativeStatus.RECRUITING, title="Living wage in garment supply chains",
            theme="living wage", description="A coalition for living wages.",
            common_goals="A board-owned commitment to a living wage.",
            preparation="Each lead assesses its companies before the first meeting.")
        f.member(initiative, member, MemberRole.SUPPORTER)
        # A draft initiative of the stranger: nobody else may see it.
        private = f.initiative(stranger, InitiativeStatus.DRAFT, title="Stranger's draft")
        ladder = f.ladder(initiative)
        company = f.company("Garment Group plc", isin="GB0000000001")
        engagement = f.engagement(company, coordinator, initiative, supporters=(member,),
                                  title="Living wage at Garment Group")
        world = Coalition(coordinator, member, applicant, stranger, coordinator_user,
                          member_user, applicant_user, applicant_viewer, stranger_user,
                          initiative, private, company, engagement, ladder)
        # Committed (a savepoint of the test's transaction), so a request that rolls back
        # its own work keeps the world; ids are read again before the scope detaches them.
        db_session.commit()
        for obj in vars(world).values():
            assert obj.id
        return world
