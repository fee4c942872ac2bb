"""What the workflow writes when it carries out a decision (letters, votes, tasks, the
notifications that tell people) is in the audit trail of the organisation that decided, each
entry naming the decision; a row private to another organisation (its own vote, its
people's notifications) is in that organisation's trail instead, never in the decider's."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from engage.audit.models import AuditEvent
from engage.escalations import service
from engage.escalations.models import ApplyStatus, EscalationReview
from engage.organisations.models import OrgRole
from engage.tenancy import system_scope
from tests import factories as f
from tests.conftest import login_ids
from tests.escalations.conftest import NOW

SKIP = "The board refused every letter; the milder steps would not help"


@pytest.fixture
def review_id(world, db_session):
    service.open_overdue_reviews(NOW)
    with system_scope("test"):
        return db_session.scalar(sa.select(EscalationReview.id))


def _apply(world, review_id, step, **kw):
    decision = service.record_decision(
        review_id, "escalate", actor=world.lead_user, organisation_id=world.lead.id, now=NOW,
        reason="No credible plan after two letters", ladder_step_id=step.id, **kw)
    assert service.apply_decision(decision.id, NOW) == ApplyStatus.DONE
    return decision.id


def _created(db_session, table: str) -> list[AuditEvent]:
    with system_scope("test"):
        return db_session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == f"{table}.create").order_by(AuditEvent.id)).all()


def test_the_drafted_letter_is_in_the_deciders_trail_naming_the_decision(
        world, review_id, db_session):
    decision_id = _apply(world, review_id, world.steps[0])
    [letter] = _created(db_session, "letter")
    assert letter.organisation_id == world.lead.id
    assert letter.after["decision_id"] == decision_id
    assert letter.context == f"system:apply-decision via decision:{decision_id}"
    assert letter.actor_id is None  # the workflow wrote it, not a person
    # The step taken is recorded on the engagement in the same trail.
    with system_scope("test"):
        moved = db_session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "engagement.update",
            AuditEvent.context.endswith(f"decision:{decision_id}"))).all()
    assert [e.organisation_id for e in moved] == [world.lead.id]
    assert moved[0].after == {"current_step_id": world.steps[0].id}
    # Nothing the decision caused is left without an organisation.
    with system_scope("test"):
        orphans = db_session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
            AuditEvent.context.endswith(f"decision:{decision_id}"),
            AuditEvent.organisation_id.is_(None)))
    assert orphans == 0


def test_each_participants_vote_is_in_its_own_trail(world, review_id, db_session):
    decision_id = _apply(world, review_id, world.steps[3], skip_reason=SKIP)
    votes = _created(db_session, "vote")
    assert sorted(e.organisation_id for e in votes) == sorted(
        [world.lead.id, world.co_lead.id, world.supporter.id])
    for event in votes:
        assert event.after["organisation_id"] == event.organisation_id
        assert event.after["decision_id"] == decision_id
    # The notifications that ask for the votes are the recipients' organisations' rows.
    asked = [e for e in _created(db_session, "notification")
             if e.context.endswith(f"decision:{decision_id}")]
    assert {e.after["kind"] for e in asked} == {"vote_requested"}
    assert sorted(e.organisation_id for e in asked) == sorted(e.after["organisation_id"]
                                                              for e in asked)
    assert {e.organisation_id for e in asked} >= {world.co_lead.id, world.supporter.id}


def test_the_task_is_in_the_deciders_trail(world, review_id, db_session):
    decision_id = _apply(world, review_id, world.steps[1], skip_reason=SKIP)
    [task] = _created(db_session, "escalation_task")
    assert task.organisation_id == world.lead.id and task.after["decision_id"] == decision_id


def test_the_admins_read_what_the_decision_did_on_the_audit_trail_page(
        client, world, review_id, db_session):
    decision_id = _apply(world, review_id, world.steps[3], skip_reason=SKIP)
    with system_scope("test"):
        lead_admin = f.user(db_session.get(type(world.lead), world.lead.id), role=OrgRole.ADMIN)
        supporter_admin = f.user(db_session.get(type(world.supporter), world.supporter.id),
                                 role=OrgRole.ADMIN)
        db_session.commit()
        ids = {"lead_admin": lead_admin.id, "supporter_admin": supporter_admin.id,
               "lead": (world.lead.id, world.lead.slug),
               "supporter": (world.supporter.id, world.supporter.slug)}
    via = f"via decision:{decision_id}"
    login_ids(client, ids["lead_admin"], *ids["lead"])
    html = client.get("/organisation/audit?action=create&object_type=vote").get_data(as_text=True)
    assert html.count("Vote created") == 1 and via in html  # its own vote, not the others'
    html = client.get("/organisation/audit?object_type=letter").get_data(as_text=True)
    assert "No entries match" in html  # a vote step drafts no letter
    login_ids(client, ids["supporter_admin"], *ids["supporter"])
    html = client.get("/organisation/audit?action=create&object_type=vote").get_data(as_text=True)
    assert html.count("Vote created") == 1 and via in html
    html = client.get("/organisation/audit?object_type=engagement").get_data(as_text=True)
    assert via not in html  # the step taken is the decider's entry
