"""An engagement's objectives: several, each of a kind, open, met or abandoned with a reason,
served by milestones; kept by the leads on the page and through the API, audited."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from engage import clock
from engage.engagements.models import Milestone, Objective, ObjectiveStatus
from engage.reports.service import build_report
from engage.tenancy import as_organisation, system_scope
from tests.engagements.conftest import HX, act_as, audit_actions, post
from tests.escalations.conftest import TODAY


def _objectives(db_session, engagement_id) -> list[tuple]:
    with system_scope("test"):
        return [(o.kind.value, o.description, o.status.value, o.closed_on, o.reason)
                for o in db_session.scalars(sa.select(Objective).where(
                    Objective.engagement_id == engagement_id).order_by(Objective.id))]


def _first_objective_id(db_session, engagement_id) -> int:
    with system_scope("test"):
        return db_session.scalar(sa.select(sa.func.min(Objective.id))
                                 .where(Objective.engagement_id == engagement_id))


def test_a_lead_adds_several_objectives_and_closes_them(client, db_session, world):
    eid = world.engagement.id
    token = act_as(client, world.co_lead_user, world.co_lead)
    page = client.get(f"/engagements/{eid}").get_data(as_text=True)
    assert 'id="objectives"' in page and "Add an objective" in page
    added = post(client, f"/engagements/{eid}/objectives", token, htmx=True,
                 kind="provide_remedy", description="Pay back the wages owed since 2024")
    fragment = added.get_data(as_text=True)
    assert added.status_code == 200 and fragment.lstrip().startswith(("{#", "<div")) \
        and "<html" not in fragment
    assert "Pay back the wages owed since 2024" in fragment and "Provide remedy" in fragment
    added = post(client, f"/engagements/{eid}/objectives", token,
                 kind="stakeholder_voice", description="Set up a workers' grievance channel")
    assert added.status_code == 303 and "#objective-" in added.headers["Location"]
    rows = _objectives(db_session, eid)
    assert [r[0] for r in rows] == ["end_impact", "provide_remedy", "stakeholder_voice"]
    assert all(r[2] == "open" and r[3] is None for r in rows)
    assert audit_actions(db_session, "objective.create") >= 2

    first = _first_objective_id(db_session, eid)
    met = post(client, f"/engagements/objectives/{first}", token, htmx=True, status="met",
               reason="The living wage is paid at all tier-1 suppliers")
    assert met.status_code == 200 and 'data-objective-status="met"' in met.get_data(as_text=True)
    assert _objectives(db_session, eid)[0][2:4] == ("met", clock.today())
    assert audit_actions(db_session, "objective.update") >= 1
    # Reopened: open again, the day and the reason gone from the row (the trail keeps them).
    post(client, f"/engagements/objectives/{first}", token, status="open")
    assert _objectives(db_session, eid)[0][2:] == ("open", None, "")


def test_abandoning_needs_a_reason_and_bad_input_keeps_what_was_typed(client, db_session, world):
    eid = world.engagement.id
    first = _first_objective_id(db_session, eid)
    token = act_as(client, world.lead_user, world.lead)
    refused = post(client, f"/engagements/objectives/{first}", token, htmx=True,
                   status="abandoned", reason="", description="Reworded while abandoning")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Say why the objective is abandoned." in text
    assert "Reworded while abandoning" in text and 'aria-invalid="true"' in text
    assert _objectives(db_session, eid)[0][1:3] == ("Pay a living wage", "open")  # nothing written
    # Without JavaScript: the page again, 400, the message and the text kept.
    page = post(client, f"/engagements/objectives/{first}", token, status="abandoned",
                description="Kept text", reason="")
    assert page.status_code == 400 and "<html" in page.get_data(as_text=True)
    assert "Kept text" in page.get_data(as_text=True)
    bad = post(client, f"/engagements/{eid}/objectives", token, kind="nonsense", description="")
    assert bad.status_code == 400
    assert "is not one of the options" in bad.get_data(as_text=True)
    assert len(_objectives(db_session, eid)) == 1
    done = post(client, f"/engagements/objectives/{first}", token, status="abandoned",
                reason="The supplier was sold; the new owner is engaged separately")
    assert done.status_code == 303
    assert _objectives(db_session, eid)[0][2:] == (
        "abandoned", clock.today(), "The supplier was sold; the new owner is engaged separately")


def test_only_the_leads_keep_objectives_and_outsiders_see_none(client, db_session, world):
    eid = world.engagement.id
    first = _first_objective_id(db_session, eid)
    token = act_as(client, world.supporter_user, world.supporter)
    page = client.get(f"/engagements/{eid}").get_data(as_text=True)
    assert "Pay a living wage" in page and "Add an objective" not in page
    assert post(client, f"/engagements/{eid}/objectives", token, kind="other",
                description="x").status_code == 403
    assert post(client, f"/engagements/objectives/{first}", token, status="met").status_code == 403
    token = act_as(client, world.outsider_user, world.outsider)
    assert post(client, f"/engagements/{eid}/objectives", token, kind="other",
                description="x").status_code == 404
    assert post(client, f"/engagements/objectives/{first}", token,
                status="met").status_code == 404
    assert client.post(f"/engagements/objectives/{first}", data={"status": "met"}).status_code == 400
    assert _objectives(db_session, eid)[0][2] == "open" and len(_objectives(db_session, eid)) == 1


def test_a_milestone_serves_an_objective_of_its_own_engagement_only(client, db_session, world):
    from tests import factories as f

    eid, mid = world.engagement.id, world.milestone.id
    first = _first_objective_id(db_session, eid)
    with system_scope("test"):
        other = f.engagement(f.company(), world.outsider)
        foreign = f.objective(other).id
        db_session.commit()
    token = act_as(client, world.lead_user, world.lead)
    form = client.get(f"/engagements/milestones/{mid}/edit", headers=HX).get_data(as_text=True)
    assert 'name="objective_id"' in form
    refused = post(client, f"/engagements/milestones/{mid}", token, htmx=True,
                   objective_id=str(foreign))
    assert refused.status_code == 400
    assert "Choose one of this engagement" in refused.get_data(as_text=True)
    assert post(client, f"/engagements/milestones/{mid}", token,
                objective_id=str(first)).status_code == 303
    with system_scope("test"):
        assert db_session.get(Milestone, mid).objective_id == first
    page = client.get(f"/engagements/{eid}").get_data(as_text=True)
    assert "Milestones serving it:" in page and f'href="#milestone-{mid}"' in page


def test_the_new_engagement_form_asks_for_an_objective(client, db_session, world):
    token = act_as(client, world.lead_user, world.lead)
    form = {"company_id": str(world.company.id), "level": "direct", "title": "Wages",
            "issue": "Wages below a living wage", "trigger": "reactive",
            "severity_scale": "3", "severity_scope": "3", "severity_irremediability": "3",
            "started_on": "2026-01-05", "objective_kind": "transparency", "objective": ""}
    refused = post(client, "/engagements/new", token, **form)
    assert refused.status_code == 400
    assert "State at least one objective" in refused.get_data(as_text=True)
    assert 'value="Wages"' in refused.get_data(as_text=True)
    created = post(client, "/engagements/new", token,
                   **{**form, "objective": "Publish the wages paid by supplier"})
    assert created.status_code == 303
    eid = int(created.headers["Location"].rsplit("/", 1)[1])
    assert _objectives(db_session, eid) == [
        ("transparency", "Publish the wages paid by supplier", "open", None, "")]


def test_a_closed_engagement_keeps_its_objectives_as_they_were(db_session, world):
    from engage.engagements.models import EngagementStatus
    from engage.engagements.objectives import add_objective
    from engage.engagements.service import EngagementError

    with system_scope("test"):
        e = db_session.get(type(world.engagement), world.engagement.id)
        e.status, e.closed_on = EngagementStatus.CLOSED_SUCCESS, TODAY
        db_session.flush()
        lead_user = db_session.get(type(world.lead_user), world.lead_user.id)
        try:
            add_objective(e, actor=lead_user, organisation_id=world.lead.id, kind="other",
                          description="Too late")
            raise AssertionError("a closed engagement took a new objective")
        except EngagementError as exc:
            assert "closed" in str(exc)


def test_the_report_counts_objectives_by_kind_and_outcome(db_session, world):
    from engage.engagements.objectives import update_objective
    from engage.organisations.models import User
    from tests.escalations.conftest import NOW

    with as_organisation(world.lead.id):
        objective = db_session.get(Objective, _first_objective_id(db_session,
                                                                  world.engagement.id))
        lead_user = db_session.get(User, world.lead_user.id)
        update_objective(objective, actor=lead_user, organisation_id=world.lead.id, now=NOW,
                         status="met")
        db_session.flush()
    with as_organisation(world.lead.id):
        report = build_report(world.lead.id, date(TODAY.year, 1, 1), date(TODAY.year, 12, 31))
    assert report.objectives == [("end_impact", 1, 1, 0, 0)]
    table = next(t for t in report.tables() if t.key == "objectives")
    assert str(table.rows[0][0]) == "End the negative impact"
    assert ObjectiveStatus.MET.value == "met"
