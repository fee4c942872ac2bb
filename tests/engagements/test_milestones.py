"""Milestones edited in place by the leads: the row becomes a form and comes back saved;
a new due date is a new deadline version for the escalation engine."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from engage.engagements.models import Milestone
from engage.escalations import service as engine
from engage.escalations.models import EscalationReview
from engage.tenancy import system_scope
from tests.engagements.conftest import HX, act_as, audit_actions, post, viewer_of
from tests.escalations.conftest import NOW, TODAY


def _milestone(db_session, milestone_id) -> Milestone:
    with system_scope("test"):
        m = db_session.get(Milestone, milestone_id)
        return type("M", (), {k: getattr(m, k) for k in (
            "title", "due_on", "stage", "met_on", "evidence", "deadline_version")})


def test_the_lead_edits_a_milestone_in_place(client, db_session, world):
    mid = world.milestone.id
    token = act_as(client, world.lead_user, world.lead)
    page = client.get(f"/engagements/{world.engagement.id}").get_data(as_text=True)
    assert f'hx-get="/engagements/milestones/{mid}/edit"' in page
    form = client.get(f"/engagements/milestones/{mid}/edit", headers=HX)
    text = form.get_data(as_text=True)
    assert form.status_code == 200 and text.lstrip().startswith("<tr") and "<html" not in text
    assert f'hx-post="/engagements/milestones/{mid}"' in text and "credible plan" in text
    new_due = TODAY + timedelta(days=60)
    saved = post(client, f"/engagements/milestones/{mid}", token, htmx=True,
                 title="Roadmap published", due_on=new_due.isoformat(), stage="3", met_on="",
                 evidence="Roadmap on the website", outcome_for_people="")
    row = saved.get_data(as_text=True)
    assert saved.status_code == 200 and row.lstrip().startswith("<tr")
    assert 'data-stage="3"' in row and "credible plan" in row and "Roadmap published" in row
    m = _milestone(db_session, mid)
    assert (m.title, m.due_on, m.stage, m.deadline_version) == ("Roadmap published", new_due, 3, 2)
    assert audit_actions(db_session, "milestone.update") >= 1
    # Cancel puts the row back.
    assert 'data-stage="3"' in client.get(f"/engagements/milestones/{mid}", headers=HX).get_data(as_text=True)


def test_without_javascript_edit_is_a_page_and_save_redirects(client, db_session, world):
    mid = world.milestone.id
    token = act_as(client, world.lead_user, world.lead)
    page = client.get(f"/engagements/milestones/{mid}/edit").get_data(as_text=True)
    assert "<html" in page and 'name="due_on"' in page
    saved = post(client, f"/engagements/milestones/{mid}", token, stage="2")
    assert saved.status_code == 303
    assert saved.headers["Location"].endswith(f"/engagements/{world.engagement.id}#milestone-{mid}")
    m = _milestone(db_session, mid)
    assert m.stage == 2 and m.deadline_version == 1  # the date did not move


def test_a_new_due_date_is_a_new_deadline_for_the_engine(client, db_session, world):
    """The overdue milestone has had its review; moved into the past again, its new
    deadline gets a review of its own (per deadline version), never a duplicate."""
    mid = world.milestone.id
    assert engine.open_overdue_reviews(NOW) == [f"milestone:{mid}:v1"]
    token = act_as(client, world.lead_user, world.lead)
    post(client, f"/engagements/milestones/{mid}", token, due_on=(TODAY - timedelta(days=3)).isoformat())
    assert engine.open_overdue_reviews(NOW) == [f"milestone:{mid}:v2"]
    assert engine.open_overdue_reviews(NOW) == []
    with system_scope("test"):
        assert db_session.scalar(sa.select(sa.func.count()).select_from(EscalationReview)) == 2


def test_bad_milestone_input_gets_400_and_the_form_again(client, db_session, world):
    mid = world.milestone.id
    token = act_as(client, world.lead_user, world.lead)
    for form, message in [
        ({"stage": "5"}, "from 0 to 4"),
        ({"due_on": "31/12/2026"}, "is not a date"),
        ({"title": "x" * 301}, "At most 300 characters"),
        ({"title": ""}, "cannot be empty"),
        ({"met_on": (TODAY + timedelta(days=400)).isoformat()}, "in the future"),
    ]:
        for htmx in (True, False):
            response = post(client, f"/engagements/milestones/{mid}", token, htmx=htmx, **form)
            text = response.get_data(as_text=True)
            assert response.status_code == 400 and message in text and 'role="alert"' in text, form
            assert ("<html" in text) is not htmx
    m = _milestone(db_session, mid)
    assert m.stage == 0 and m.deadline_version == 1


def test_adding_a_milestone(client, db_session, world):
    token = act_as(client, world.lead_user, world.lead)
    url = f"/engagements/{world.engagement.id}/milestones"
    response = post(client, url, token, htmx=True, title="Audit of the suppliers",
                    due_on=(TODAY + timedelta(days=90)).isoformat(), horizon="mid")
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="milestones"' in text and "Audit of the suppliers" in text
    bad = post(client, url, token, htmx=True, title="Later", due_on="soon")
    assert bad.status_code == 400 and "is not a date" in bad.get_data(as_text=True)
    plain = post(client, url, token, title="Living wage paid", due_on="2028-01-01", horizon="long")
    assert plain.status_code == 303 and "#milestone-" in plain.headers["Location"]
    with system_scope("test"):
        titles = set(db_session.scalars(sa.select(Milestone.title)).all())
    assert {"Audit of the suppliers", "Living wage paid"} <= titles and "Later" not in titles


def test_who_may_edit_milestones(client, db_session, world):
    mid = world.milestone.id
    # A supporter sees the milestone but cannot edit it.
    token = act_as(client, world.supporter_user, world.supporter)
    assert "/edit" not in client.get(f"/engagements/{world.engagement.id}").get_data(as_text=True)
    assert client.get(f"/engagements/milestones/{mid}/edit").status_code == 403
    refused = post(client, f"/engagements/milestones/{mid}", token, stage="4")
    assert refused.status_code == 403 and "lead and co-lead" in refused.get_data(as_text=True)
    assert post(client, f"/engagements/{world.engagement.id}/milestones", token,
                title="x", due_on="2027-01-01").status_code == 403
    # An outsider cannot learn that it exists.
    token = act_as(client, world.outsider_user, world.outsider)
    assert post(client, f"/engagements/milestones/{mid}", token, stage="4").status_code == 404
    assert client.get(f"/engagements/milestones/{mid}", headers=HX).status_code == 404
    # A viewer of the lead organisation reads only.
    token = act_as(client, viewer_of(db_session, world.lead), world.lead)
    assert post(client, f"/engagements/milestones/{mid}", token, stage="4").status_code == 403
    assert _milestone(db_session, mid).stage == 0
