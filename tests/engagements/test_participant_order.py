"""Participants are listed lead first — then co-leads, supporters, observers and the
outsourcing client — on the engagement page, its review pages and in the API, whatever
order they joined in. (The role is stored as text: sorted as text, a co-lead or the client
came before the lead.)"""

from __future__ import annotations

import re

import pytest
from engage.engagements.models import EngagementLevel, EngagementParticipant, ParticipantRole
from engage.organisations.models import OrgRole
from engage.tenancy import system_scope

from tests import factories as f
from tests.conftest import login_ids

# The order they join in: the lead (the factory), then these.
JOINERS = (ParticipantRole.SUPPORTER, ParticipantRole.CLIENT, ParticipantRole.CO_LEAD,
           ParticipantRole.OBSERVER)
EXPECTED = ["lead", "co_lead", "supporter", "observer", "client"]


@pytest.fixture
def engagement_with_everyone(db_session):
    with system_scope("test participant order", db_session):
        lead = f.organisation()
        lead_user = f.user(lead, OrgRole.MEMBER)
        engagement = f.engagement(f.company("Tailings plc"), lead, level=EngagementLevel.OUTSOURCED,
                                  title="Tailings dam safety")
        for role in JOINERS:
            f._add(EngagementParticipant(engagement_id=engagement.id,
                                         organisation_id=f.organisation().id, role=role))
        db_session.commit()
        return engagement.id, lead_user.id, lead.id, lead.slug


def test_the_page_and_the_api_list_the_lead_first(client, engagement_with_everyone):
    engagement_id, user_id, org_id, slug = engagement_with_everyone
    login_ids(client, user_id, org_id, slug)

    listed = client.get(f"/api/v1/engagements/{engagement_id}/participants")
    assert listed.status_code == 200
    assert [p["role"] for p in listed.get_json()["items"]] == EXPECTED

    one = client.get(f"/api/v1/engagements/{engagement_id}")
    assert one.status_code == 200
    assert [p["role"] for p in one.get_json()["participants"]] == EXPECTED

    page = client.get(f"/engagements/{engagement_id}")
    assert page.status_code == 200
    assert re.findall(r'data-participant="\d+" data-role="(\w+)"',
                      page.get_data(as_text=True)) == EXPECTED
