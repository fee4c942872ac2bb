"""The coordinator writes the initiative's escalation ladder; steps in use are retired, never
deleted or changed under a review or decision."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from engage.audit.models import AuditEvent
from engage.escalations import ladder_templates, ladders
from engage.escalations.models import (
    Decision,
    DecisionKind,
    EscalationLadder,
    LadderStep,
    StepKind,
)
from engage.initiatives import service
from engage.tenancy import as_organisation, system_scope

from tests import factories as f
from tests.conftest import login_as
from tests.oidc_support import csrf_token

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)


def _steps(db_session, ladder_id):
    with system_scope("test", db_session):
        return [(s.position, s.kind.value, s.wait_days, s.description) for s in db_session.scalars(
            sa.select(LadderStep).where(LadderStep.ladder_id == ladder_id,
                                        LadderStep.retired_at.is_(None))
            .order_by(LadderStep.position))]


def _step_ids(db_session, ladder_id):
    with system_scope("test", db_session):
        return list(db_session.scalars(sa.select(LadderStep.id).where(
            LadderStep.ladder_id == ladder_id, LadderStep.retired_at.is_(None))
            .order_by(LadderStep.position)))


def _as(client, user, org) -> str:
    login_as(client, user, org)
    return csrf_token(client)


def test_the_coordinator_adds_reorders_and_removes_steps_in_the_page(client, coalition, db_session):
    c = coalition
    token = _as(client, c.coordinator_user, c.coordinator)
    page = client.get(f"/initiatives/{c.initiative.id}/ladder")
    assert page.status_code == 200
    assert 'name="steps-1-kind"' in page.get_data(as_text=True)
    letter, vote = _step_ids(db_session, c.ladder.id)
    response = client.post(f"/initiatives/{c.initiative.id}/ladder", data={
        "csrf_token": token,
        "steps-1-id": str(letter), "steps-1-kind": "letter_to_board", "steps-1-order": "2",
        "steps-1-wait_days": "30", "steps-1-description": "Write to the chair.",
        "steps-2-id": str(vote), "steps-2-kind": "vote_against_directors", "steps-2-order": "3",
        "steps-2-wait_days": "60", "steps-2-description": "", "steps-2-remove": "1",
        "steps-3-id": "", "steps-3-kind": "meeting_with_board", "steps-3-order": "1",
        "steps-3-wait_days": "45", "steps-3-description": "Meet the board.",
    })
    assert response.status_code == 303, response.get_data(as_text=True)
    assert _steps(db_session, c.ladder.id) == [
        (1, "meeting_with_board", 45, "Meet the board."),
        (2, "letter_to_board", 30, "Write to the chair.")]
    with system_scope("test", db_session):
        # The unused step is gone, not kept; every change is in the audit trail.
        assert db_session.scalar(sa.select(sa.func.count()).select_from(LadderStep)
                                 .where(LadderStep.ladder_id == c.ladder.id)) == 2
        audited = set(db_session.scalars(sa.select(AuditEvent.object_type)))
    assert {"ladder_step"} <= {str(t).lower() for t in audited} or "LadderStep" in audited
    shown = client.get(f"/initiatives/{c.initiative.id}").get_data(as_text=True)
    assert "Meet the board." in shown


def test_bad_input_is_refused_with_the_input_kept(client, coalition, db_session):
    c = coalition
    token = _as(client, c.coordinator_user, c.coordinator)
    before = _steps(db_session, c.ladder.id)
    response = client.post(f"/initiatives/{c.initiative.id}/ladder", data={
        "csrf_token": token,
        "steps-1-id": "", "steps-1-kind": "bribe_the_board", "steps-1-wait_days": "-4",
        "steps-1-description": "Typed by hand", "steps-1-order": "1",
    })
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Typed by hand" in body and 'value="-4"' in body and "aria-invalid" in body
    assert _steps(db_session, c.ladder.id) == before
    # Without the CSRF token nothing is written either.
    refused = client.post(f"/initiatives/{c.initiative.id}/ladder", data={
        "steps-1-kind": "letter_to_board", "steps-1-wait_days": "5"})
    assert refused.status_code == 400
    assert _steps(db_session, c.ladder.id) == before


def test_only_the_coordinator_writes_the_ladder(client, coalition, db_session):
    c = coalition
    token = _as(client, c.member_user, c.member)
    assert client.get(f"/initiatives/{c.initiative.id}/ladder").status_code in (403, 404)
    response = client.post(f"/initiatives/{c.initiative.id}/ladder", data={
        "csrf_token": token, "steps-1-kind": "letter_to_board", "steps-1-wait_days": "5"})
    assert response.status_code in (403, 404)
    assert len(_steps(db_session, c.ladder.id)) == 2


def test_copying_the_installed_template_gives_its_twelve_steps(client, coalition, db_session):
    c = coalition
    token = _as(client, c.coordinator_user, c.coordinator)
    with system_scope("test", db_session):
        study = db_session.scalar(sa.select(EscalationLadder.id).where(
            EscalationLadder.name == ladder_templates.TEMPLATES[0]["name"]))
    response = client.post(f"/initiatives/{c.initiative.id}/ladder/copy",
                           data={"csrf_token": token, "copy_from": str(study)})
    assert response.status_code == 303
    steps = _steps(db_session, c.ladder.id)
    assert [kind for _, kind, _, _ in steps] == [k.value for k in StepKind]
    # The template itself is untouched.
    assert len(_steps(db_session, study)) == 12
    refused = client.post(f"/initiatives/{c.initiative.id}/ladder/copy",
                          data={"csrf_token": token, "copy_from": "999999"})
    assert refused.status_code == 400


@pytest.fixture
def used_step(coalition, db_session):
    """A decision escalated the coalition's engagement to the ladder's first step."""
    c = coalition
    with system_scope("test", db_session):
        letter, vote = _step_ids(db_session, c.ladder.id)
        engagement = db_session.get(type(c.engagement), c.engagement.id)
        engagement.ladder_id = c.ladder.id
        engagement.current_step_id = letter
        milestone = f.milestone(engagement, due_on=NOW.date())
        review = f.review(engagement, milestone)
        decision = Decision(engagement_id=engagement.id, review_id=review.id,
                            kind=DecisionKind.ESCALATE, ladder_step_id=letter,
                            reason="No answer", decided_by_organisation_id=c.coordinator.id)
        db_session.add(decision)
        db_session.flush()
        ids = (letter, vote, decision.id)
        db_session.commit()
    return ids


def test_a_used_step_is_retired_not_deleted_and_the_decision_keeps_it(coalition, db_session,
                                                                      used_step):
    c = coalition
    letter, vote, decision_id = used_step
    with as_organisation(c.coordinator.id):
        initiative = db_session.get(type(c.initiative), c.initiative.id)
        service.write_ladder(initiative, actor=c.coordinator_user, now=NOW,
                             organisation_id=c.coordinator.id, steps=[
                                 dict(id=vote, kind="vote_against_directors", wait_days=60,
                                      description="")])
        db_session.commit()
    assert _step_ids(db_session, c.ladder.id) == [vote]
    with system_scope("test", db_session):
        retired = db_session.get(LadderStep, letter)
        assert retired is not None and retired.retired_at is not None
        decision = db_session.get(Decision, decision_id)
        assert decision.ladder_step_id == letter
        assert decision.ladder_step.kind is StepKind.LETTER_TO_BOARD
    # The engagement page still names the step the decision took.
    assert retired.kind is StepKind.LETTER_TO_BOARD


def test_changing_a_used_step_makes_a_new_step(coalition, db_session, used_step):
    c = coalition
    letter, vote, decision_id = used_step
    with as_organisation(c.coordinator.id):
        initiative = db_session.get(type(c.initiative), c.initiative.id)
        service.write_ladder(initiative, actor=c.coordinator_user, now=NOW,
                             organisation_id=c.coordinator.id, steps=[
                                 dict(id=letter, kind="letter_to_board", wait_days=15,
                                      description=""),
                                 dict(id=vote, kind="vote_against_directors", wait_days=90,
                                      description="")])
        db_session.commit()
    new_letter, same_vote = _step_ids(db_session, c.ladder.id)
    assert new_letter != letter and same_vote == vote  # the unused step changed in place
    assert _steps(db_session, c.ladder.id) == [(1, "letter_to_board", 15, ""),
                                               (2, "vote_against_directors", 90, "")]
    with system_scope("test", db_session):
        old = db_session.get(LadderStep, letter)
        assert old.retired_at is not None and old.wait_days == 60
        assert db_session.get(Decision, decision_id).ladder_step_id == letter


def test_a_retired_step_is_not_escalated_to(coalition, db_session, used_step):
    from engage.escalations.decisions import DecisionError, _step

    c = coalition
    letter, vote, _decision = used_step
    with system_scope("test", db_session):
        assert ladders.steps_in_use([letter, vote]) == {letter}
    with as_organisation(c.coordinator.id):
        initiative = db_session.get(type(c.initiative), c.initiative.id)
        service.write_ladder(initiative, actor=c.coordinator_user, now=NOW,
                             organisation_id=c.coordinator.id, steps=[
                                 dict(id=vote, kind="vote_against_directors", wait_days=60)])
        db_session.commit()
    with system_scope("test", db_session):
        engagement = db_session.get(type(c.engagement), c.engagement.id)
        with pytest.raises(DecisionError):
            _step(engagement, letter)
        assert _step(engagement, None).id == vote
