"""Correcting the record without losing it: the facts, a severity re-assessment (history
kept, lists re-ordered), a cancelled milestone (kept, out of the sweep and the progress), a
dialogue entry corrected by its organisation (earlier version kept, shown as edited)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from engage.engagements import progress
from engage.engagements.models import (
    DialogueEntry,
    DialogueRevision,
    Engagement,
    Milestone,
    SeverityAssessment,
)
from engage.engagements.queries import engagement_list
from engage.escalations import service as engine
from engage.escalations.models import EscalationReview
from engage.tenancy import as_organisation, system_scope
from tests import factories as f
from tests.engagements.conftest import HX, act_as, audit_actions, post
from tests.escalations.conftest import NOW, TODAY


def _get(db_session, model, ident):
    with system_scope("test"):
        obj = db_session.get(model, ident)
        db_session.refresh(obj)
        return obj


def test_a_lead_corrects_the_facts(client, db_session, world):
    eid = world.engagement.id
    token = act_as(client, world.co_lead_user, world.co_lead)
    refused = post(client, f"/engagements/{eid}/facts", token, htmx=True, title="",
                   issue="Typed and kept", rights_holders="", trigger="reactive")
    assert refused.status_code == 400 and "Typed and kept" in refused.get_data(as_text=True)
    assert _get(db_session, Engagement, eid).issue == "Wages below a living wage in the supply chain"
    done = post(client, f"/engagements/{eid}/facts", token, title="Living wage, tier 1",
                issue="Wages below a living wage at tier-1 suppliers",
                rights_holders="garment workers and their families", trigger="proactive")
    assert done.status_code == 303
    e = _get(db_session, Engagement, eid)
    assert (e.title, e.trigger.value, e.rights_holders) == (
        "Living wage, tier 1", "proactive", "garment workers and their families")
    assert audit_actions(db_session, "engagement.update") >= 1
    token = act_as(client, world.supporter_user, world.supporter)
    assert post(client, f"/engagements/{eid}/facts", token, title="x").status_code == 403
    token = act_as(client, world.outsider_user, world.outsider)
    assert post(client, f"/engagements/{eid}/facts", token, title="x").status_code == 404


def test_a_severity_reassessment_keeps_the_earlier_scores_and_reorders_the_lists(
        client, db_session, world):
    eid = world.engagement.id
    with system_scope("test"):
        other = f.engagement(f.company(), world.lead, severity_scale=4, severity_scope=4,
                             severity_irremediability=4)
        db_session.commit()
        other_id = other.id
    with as_organisation(world.lead.id):
        before = [e.id for e in db_session.scalars(engagement_list())]
    assert before.index(other_id) < before.index(eid)
    e = _get(db_session, Engagement, eid)
    old = (e.severity_scale, e.severity_scope, e.severity_irremediability)
    token = act_as(client, world.lead_user, world.lead)
    refused = post(client, f"/engagements/{eid}/severity", token, htmx=True,
                   severity_scale="5", severity_scope="9", severity_irremediability="5",
                   reason="")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Say why the severity is re-assessed." in text
    same = post(client, f"/engagements/{eid}/severity", token, severity_scale=str(old[0]),
                severity_scope=str(old[1]), severity_irremediability=str(old[2]), reason="x")
    assert same.status_code == 400 and "These are the current scores" in same.get_data(as_text=True)
    done = post(client, f"/engagements/{eid}/severity", token, severity_scale="5",
                severity_scope="5", severity_irremediability="5",
                reason="Deaths reported at two suppliers")
    assert done.status_code == 303
    with system_scope("test"):
        rows = db_session.scalars(sa.select(SeverityAssessment)
                                  .where(SeverityAssessment.engagement_id == eid)).all()
        assert [(r.previous_scale, r.previous_scope, r.previous_irremediability,
                 r.scale, r.scope, r.irremediability, r.reason, r.assessed_by_id,
                 r.organisation_id) for r in rows] == [
            (*old, 5, 5, 5, "Deaths reported at two suppliers", world.lead_user.id,
             world.lead.id)]
    assert _get(db_session, Engagement, eid).severity == 125
    with as_organisation(world.lead.id):
        after = [e.id for e in db_session.scalars(engagement_list())]
    assert after.index(eid) < after.index(other_id)
    page = client.get(f"/engagements/{eid}").get_data(as_text=True)
    assert "Deaths reported at two suppliers" in page and "5 × 5 × 5" in page
    assert f"{old[0]} × {old[1]} × {old[2]}" in page
    assert audit_actions(db_session, "severity_assessment.create") == 1
    # Another organisation's lead cannot, a participant that is not a lead cannot.
    token = act_as(client, world.supporter_user, world.supporter)
    assert post(client, f"/engagements/{eid}/severity", token, severity_scale="1",
                severity_scope="1", severity_irremediability="1",
                reason="x").status_code == 403
    assert "Deaths reported at two suppliers" in client.get(f"/engagements/{eid}").get_data(as_text=True)


def test_a_cancelled_milestone_stays_struck_out_and_leaves_the_sweep(client, db_session, world):
    eid, mid = world.engagement.id, world.milestone.id  # overdue by ten days
    token = act_as(client, world.lead_user, world.lead)
    refused = post(client, f"/engagements/milestones/{mid}/cancel", token, htmx=True, reason="")
    assert refused.status_code == 400
    assert "Say why the milestone is cancelled." in refused.get_data(as_text=True)
    assert _get(db_session, Milestone, mid).cancelled_on is None
    done = post(client, f"/engagements/milestones/{mid}/cancel", token,
                reason="The supplier closed the factory; replaced by a new milestone")
    assert done.status_code == 303
    m = _get(db_session, Milestone, mid)
    assert m.cancelled_on is not None and m.cancelled_by_id == world.lead_user.id
    row = client.get(f"/engagements/{eid}").get_data(as_text=True)
    assert f'data-cancelled="{m.cancelled_on.isoformat()}"' in row and "<del>" in row
    assert "The supplier closed the factory" in row
    # Out of the progress (SQL and Python agree) and out of the sweep: no review opens.
    with as_organisation(world.lead.id):
        e = db_session.get(Engagement, eid)
        stage, overdue = db_session.execute(
            sa.select(progress.stage_sql(), progress.overdue_sql(TODAY))
            .where(Engagement.id == eid)).one()
        milestones = db_session.scalars(sa.select(Milestone).where(
            Milestone.engagement_id == eid)).all()
        assert (stage, overdue) == (0, 0)
        assert progress.stage_of(milestones, e.status) == 0
        assert progress.overdue_of(milestones, e.status, TODAY) == 0
    engine.open_overdue_reviews(NOW + timedelta(days=1))
    with system_scope("test"):
        assert db_session.scalar(sa.select(sa.func.count()).select_from(EscalationReview).where(
            EscalationReview.milestone_id == mid)) == 0
    again = post(client, f"/engagements/milestones/{mid}/cancel", token, reason="again")
    assert again.status_code == 400
    assert audit_actions(db_session, "milestone.update") >= 1


def _entry(db_session, world, visibility=None):
    from engage.engagements.models import Visibility

    with system_scope("test"):
        entry = f.dialogue(world.engagement, world.co_lead,
                           visibility=visibility or Visibility.COALITION,
                           summary="Met the CFO; a roadmap promised by June")
        db_session.commit()
        return entry.id


def test_an_organisation_corrects_its_dialogue_and_the_earlier_text_stays(client, db_session,
                                                                           world):
    eid = world.engagement.id
    entry_id = _entry(db_session, world)
    token = act_as(client, world.co_lead_user, world.co_lead)
    form = client.get(f"/engagements/dialogue/{entry_id}/edit", headers=HX)
    assert form.status_code == 200 and 'name="company_level"' in form.get_data(as_text=True)
    refused = post(client, f"/engagements/dialogue/{entry_id}", token, htmx=True,
                   summary="Met the CFO and the chair", reason="")
    assert refused.status_code == 400 and "Met the CFO and the chair" in refused.get_data(as_text=True)
    done = post(client, f"/engagements/dialogue/{entry_id}", token,
                summary="Met the CFO and the chair; a roadmap promised by September",
                company_level="chair", mode="in_person", follow_up="Call in October",
                reason="The month was wrong")
    assert done.status_code == 303
    entry = _get(db_session, DialogueEntry, entry_id)
    assert (entry.company_level.value, entry.mode.value, entry.follow_up) == (
        "chair", "in_person", "Call in October")
    assert entry.edited_at is not None
    with system_scope("test"):
        revisions = db_session.scalars(sa.select(DialogueRevision)).all()
        assert [(r.summary, r.reason, r.replaced_by_id) for r in revisions] == [
            ("Met the CFO; a roadmap promised by June", "The month was wrong",
             world.co_lead_user.id)]
    # Every participant sees it marked edited and can read the earlier version.
    act_as(client, world.supporter_user, world.supporter)
    page = client.get(f"/engagements/{eid}").get_data(as_text=True)
    assert 'data-edited=' in page and "Earlier versions" in page and "Call in October" in page
    history = client.get(f"/engagements/dialogue/{entry_id}/history", headers=HX)
    assert "a roadmap promised by June" in history.get_data(as_text=True)
    # ... but only the author's organisation corrects it.
    token = act_as(client, world.lead_user, world.lead)
    assert post(client, f"/engagements/dialogue/{entry_id}", token, summary="Lead's words",
                reason="x").status_code == 403
    assert client.get(f"/engagements/dialogue/{entry_id}/edit").status_code == 403
    token = act_as(client, world.outsider_user, world.outsider)
    assert post(client, f"/engagements/dialogue/{entry_id}", token, summary="x",
                reason="x").status_code == 404
    assert client.get(f"/engagements/dialogue/{entry_id}/history").status_code == 404


def test_a_private_entry_and_its_earlier_versions_stay_private(client, db_session, world):
    from engage.engagements.models import Visibility

    entry_id = _entry(db_session, world, Visibility.PRIVATE)
    token = act_as(client, world.co_lead_user, world.co_lead)
    assert post(client, f"/engagements/dialogue/{entry_id}", token, summary="Private, corrected",
                reason="Typo").status_code == 303
    with as_organisation(world.lead.id):
        assert db_session.scalar(sa.select(sa.func.count()).select_from(DialogueRevision)) == 0
    with as_organisation(world.co_lead.id):
        assert db_session.scalar(sa.select(sa.func.count()).select_from(DialogueRevision)) == 1
    act_as(client, world.lead_user, world.lead)
    assert client.get(f"/engagements/dialogue/{entry_id}/history").status_code == 404


def test_dialogue_is_logged_with_how_it_was_held(client, db_session, world):
    eid = world.engagement.id
    token = act_as(client, world.supporter_user, world.supporter)
    bad = post(client, f"/engagements/{eid}/dialogue", token, kind="meeting",
               occurred_on=TODAY.isoformat(), summary="Kept", company_level="ceo", mode="")
    assert bad.status_code == 400 and "is not one of the options" in bad.get_data(as_text=True)
    done = post(client, f"/engagements/{eid}/dialogue", token, kind="meeting",
                occurred_on=(TODAY - timedelta(days=1)).isoformat(),
                summary="Board meeting on wages", company_level="independent_director",
                mode="virtual", follow_up="The company sends its wage data by March")
    assert done.status_code == 303
    with system_scope("test"):
        entry = db_session.scalar(sa.select(DialogueEntry).where(
            DialogueEntry.summary == "Board meeting on wages"))
        assert (entry.company_level.value, entry.mode.value, entry.follow_up) == (
            "independent_director", "virtual", "The company sends its wage data by March")
    page = client.get(f"/engagements/{eid}").get_data(as_text=True)
    assert "An independent director" in page and "The company sends its wage data by March" in page
