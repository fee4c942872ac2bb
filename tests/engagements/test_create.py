"""Starting an engagement: the form, the rules on who may start one in an initiative, and
a clear message for each kind of bad input."""

from __future__ import annotations

import re

import sqlalchemy as sa

from engage.engagements.models import (
    Engagement,
    EngagementLevel,
    EngagementParticipant,
    Milestone,
    Objective,
    ParticipantRole,
)
from engage.escalations import ladder_templates
from engage.tenancy import as_organisation, system_scope
from tests import factories as f
from tests.engagements.conftest import HX, act_as, audit_actions, post, viewer_of


def _form(company, **over):
    form = {
        "company_id": str(company), "title": "Living wage at the suppliers",
        "issue": "Wages below a living wage in the supply chain", "rights_holders": "garment workers",
        "trigger": "reactive", "severity_scale": "4", "severity_scope": "5",
        "severity_irremediability": "3", "started_on": "2026-09-01",
        "objective_kind": "end_impact", "objective": "Pay a living wage by 2028",
        "milestone_title": "Publish a living-wage roadmap", "milestone_due_on": "2027-03-31",
    }
    form.update(over)
    return form


def test_starting_a_direct_engagement(client, db_session, world):
    token = act_as(client, world.outsider_user, world.outsider)
    page = client.get("/engagements/new")
    assert page.status_code == 200 and 'name="company_id"' in page.get_data(as_text=True)
    assert "scale × scope × irremediability" in page.get_data(as_text=True)
    response = post(client, "/engagements/new", token, **_form(world.company.id))
    assert response.status_code == 303
    engagement_id = int(re.search(r"/engagements/(\d+)$", response.headers["Location"]).group(1))
    with as_organisation(world.outsider.id):
        e = db_session.get(Engagement, engagement_id)
        assert e.level is EngagementLevel.DIRECT and e.initiative_id is None and e.severity == 60
        # A direct engagement climbs the study's escalation strategy that the migration installs.
        assert e.ladder is not None and e.ladder.is_template
        assert e.ladder.name == ladder_templates.TEMPLATES[0]["name"]
        role = db_session.scalar(sa.select(EngagementParticipant.role).where(
            EngagementParticipant.engagement_id == e.id))
        assert role is ParticipantRole.LEAD
        objective = db_session.scalar(sa.select(Objective).where(Objective.engagement_id == e.id))
        milestone = db_session.scalar(sa.select(Milestone).where(Milestone.engagement_id == e.id))
        assert objective.description == "Pay a living wage by 2028"
        assert milestone.objective_id == objective.id and str(milestone.due_on) == "2027-03-31"
    assert audit_actions(db_session, "engagement.create") >= 1
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Living wage at the suppliers" in shown and "Publish a living-wage roadmap" in shown
    # The list links to the form.
    assert 'href="/engagements/new"' in client.get("/engagements").get_data(as_text=True)


def test_starting_one_in_an_initiative(client, db_session, coalition):
    c = coalition
    with system_scope("test", db_session):
        lad = f.ladder(db_session.get(type(c.initiative), c.initiative.id))
        company = f.company(name="Glencore", isin="JE00B4T3BW64")
        db_session.commit()
        ladder_id, company_id = lad.id, company.id
    token = act_as(client, c.co_lead_user, c.co_lead)
    page = client.get(f"/engagements/new?initiative={c.initiative.id}").get_data(as_text=True)
    assert f'<option value="{c.initiative.id}" selected>' in page
    # The company search narrows the list (by name or ISIN), as an htmx fragment too.
    found = client.get("/engagements/new?q=JE00B4", headers={**HX, "HX-Target": "company-choices"})
    text = found.get_data(as_text=True)
    assert text.startswith("<select") and "Glencore" in text and "<html" not in text
    response = post(client, "/engagements/new", token,
                    **_form(company_id, initiative_id=str(c.initiative.id)))
    assert response.status_code == 303
    with system_scope("test"):
        e = db_session.scalar(sa.select(Engagement).where(Engagement.company_id == company_id))
        assert e.level is EngagementLevel.COLLABORATIVE and e.ladder_id == ladder_id
    # A supporter member may not start one in the initiative.
    token = act_as(client, c.member_user, c.member)
    refused = post(client, "/engagements/new", token,
                   **_form(company_id, initiative_id=str(c.initiative.id)))
    assert refused.status_code == 400
    assert "admitted lead and co-lead members" in refused.get_data(as_text=True)


def test_bad_input_is_explained_and_nothing_is_written(client, db_session, world):
    token = act_as(client, world.lead_user, world.lead)
    with system_scope("test"):
        before = db_session.scalar(sa.select(sa.func.count()).select_from(Engagement))
    for over, message in [
        ({"title": "x" * 201}, "At most 200 characters"),
        ({"title": "  "}, "cannot be empty"),
        ({"severity_scale": "6"}, "from 1 to 5"),
        ({"severity_scope": "many"}, "not a whole number"),
        ({"started_on": "1st of May"}, "is not a date"),
        ({"trigger": "accidental"}, "is not one of the options"),
        ({"company_id": "999999"}, "Choose a company"),
        ({"milestone_due_on": ""}, "Give a date"),
        ({"milestone_due_on": "2020-01-01"}, "before the engagement starts"),
        ({"level": "collaborative"}, "belongs to an initiative"),
    ]:
        response = post(client, "/engagements/new", token, **_form(world.company.id, **over))
        text = response.get_data(as_text=True)
        assert response.status_code == 400, over
        assert message in text and 'role="alert"' in text, over
    with system_scope("test"):
        assert db_session.scalar(sa.select(sa.func.count()).select_from(Engagement)) == before


def test_a_viewer_cannot_start_an_engagement(client, db_session, world):
    viewer = viewer_of(db_session, world.lead)
    token = act_as(client, viewer, world.lead)
    assert client.get("/engagements/new").status_code == 403
    assert post(client, "/engagements/new", token, **_form(world.company.id)).status_code == 403
