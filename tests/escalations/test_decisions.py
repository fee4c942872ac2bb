"""Recording a decision (validation, nothing half-written) and applying it (each kind, once)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from engage.audit.models import AuditEvent
from engage.engagements.models import Engagement, EngagementStatus, Letter, LetterStatus, Milestone
from engage.escalations import actions, service
from engage.escalations.models import (
    ApplyStatus,
    Decision,
    DecisionKind,
    DivestmentReview,
    EscalationReview,
    EscalationTask,
    ReviewStatus,
    StepKind,
)
from engage.notifications.models import Notification, NotificationKind
from engage.audit.service import set_actor
from engage.tenancy import as_organisation, system_scope
from engage.votes.models import Vote, VoteInstruction, VoteItemKind, VoteStatus
from tests.escalations.conftest import NOW, TODAY

SKIP = "The board refused every letter; the milder steps would not help"


@pytest.fixture
def review_id(world):
    service.open_overdue_reviews(NOW)
    with system_scope("test"):
        from engage.extensions import db

        return db.session.scalar(sa.select(EscalationReview.id))


def _decide(world, review_id, kind="escalate", actor=None, org=None, **kw):
    kw.setdefault("reason", "No credible plan after two letters")
    return service.record_decision(
        review_id, kind, actor=actor or world.lead_user, organisation_id=(org or world.lead).id,
        now=NOW, **kw)


def _count(db_session, model, *where):
    with system_scope("test"):
        return db_session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _get(db_session, model, row_id):
    with system_scope("test"):
        row = db_session.get(model, row_id)
        db_session.refresh(row)
        return row


@pytest.mark.parametrize("kwargs, error, message", [
    ({"kind": "surrender"}, service.DecisionError, "“surrender” is not one of the options"),
    ({"reason": "  "}, service.DecisionError, "needs a reason"),
    ({"kind": "extend", "new_due_on": TODAY}, service.DecisionError, "after today"),
    ({"kind": "extend"}, service.DecisionError, "after today"),
    ({"kind": "close"}, service.DecisionError, "Choose one of the options"),
    ({"kind": "close", "close_outcome": "maybe"}, service.DecisionError, "“maybe” is not one of the options"),
    ({"kind": "close", "close_outcome": "success", "new_due_on": TODAY}, service.DecisionError, "only an extension"),
    ({"ladder_step_id": -1}, service.DecisionError, "not on this engagement's escalation ladder"),
])
def test_bad_input_is_refused_and_nothing_is_written(app, world, review_id, db_session, kwargs, error, message):
    with pytest.raises(error, match=message):
        _decide(world, review_id, **kwargs)
    assert _count(db_session, Decision) == 0
    assert _get(db_session, EscalationReview, review_id).status == ReviewStatus.OPEN


def test_only_leads_and_co_leads_decide(app, world, review_id, db_session):
    with pytest.raises(service.NotALead):
        _decide(world, review_id, actor=world.supporter_user, org=world.supporter)
    with pytest.raises(service.ReviewNotOpen):  # the outsider does not even see the review
        _decide(world, review_id, actor=world.outsider_user, org=world.outsider)
    with pytest.raises(service.NotALead, match="does not act for"):
        _decide(world, review_id, actor=world.supporter_user, org=world.lead)
    assert _count(db_session, Decision) == 0
    decision = _decide(world, review_id, actor=world.co_lead_user, org=world.co_lead)
    assert decision.decided_by_organisation_id == world.co_lead.id


def test_a_review_is_decided_once(app, world, review_id, db_session):
    _decide(world, review_id)
    with pytest.raises(service.ReviewNotOpen, match="decided already"):
        _decide(world, review_id, kind="close", close_outcome="success")
    assert _count(db_session, Decision) == 1


def test_escalate_defaults_to_the_next_step_and_is_recorded_pending(app, world, review_id, db_session):
    decision = _decide(world, review_id)
    assert decision.kind == DecisionKind.ESCALATE
    assert decision.ladder_step_id == world.steps[0].id  # no current step yet: the first
    assert decision.apply_status == ApplyStatus.PENDING and decision.flow_run_id is None
    assert _get(db_session, EscalationReview, review_id).status == ReviewStatus.DECIDED
    with system_scope("test"):
        actors = db_session.scalars(
            sa.select(AuditEvent.actor_id).where(AuditEvent.object_type == "decision")).all()
    assert actors == [world.lead_user.id]


def _apply_twice(decision_id):
    assert service.apply_decision(decision_id, NOW) == ApplyStatus.DONE
    assert service.apply_decision(decision_id, NOW) is None  # done: nothing to claim


def test_escalating_to_a_letter_drafts_it_for_the_leads_once(app, world, review_id, db_session):
    from engage.escalations.signing import open_for_signing

    decision = _decide(world, review_id)
    _apply_twice(decision.id)
    with system_scope("test"):
        letter = db_session.scalars(sa.select(Letter)).one()
        stored_pdf = letter.pdf
        reason = db_session.get(Decision, decision.id).reason
        assert db_session.get(Engagement, world.engagement.id).current_step_id == world.steps[0].id
    # A draft for the leads to edit: nobody signs it, nobody is asked to yet.
    assert letter.status == LetterStatus.DRAFT and letter.decision_id == decision.id
    assert stored_pdf is None  # rendered when asked for, never a stored copy
    assert "Pay a living wage" in letter.body_text and "Pay a living wage" in letter.body_html
    assert letter.contact_email == world.lead_user.email
    # Internal notes stay internal: no dialogue summary, no decision reason, no signatories.
    assert "no commitment to a roadmap" not in letter.body_text
    assert reason not in letter.body_text and "Signed" not in letter.body_text
    assert _count(db_session, Notification, Notification.kind == NotificationKind.LETTER_TO_SIGN) == 0
    # Opened for signing, every participant is asked to sign.
    with as_organisation(world.lead.id, db_session):
        set_actor(world.lead_user.id)
        open_for_signing(db_session.get(Letter, letter.id), actor=world.lead_user,
                         organisation_id=world.lead.id, now=NOW)
        db_session.commit()
    to_sign = _count(db_session, Notification, Notification.kind == NotificationKind.LETTER_TO_SIGN)
    assert to_sign == 3  # one user in each participant: lead, co-lead, supporter
    with system_scope("test"):
        links = set(db_session.scalars(sa.select(Notification.link).where(
            Notification.kind == NotificationKind.LETTER_TO_SIGN)))
    assert links == {f"/letters/{letter.id}"}  # the document's own page, to read and sign
    # Applying again after a forced reset (a worker lost its claim) changes nothing.
    with system_scope("test"):
        db_session.execute(sa.update(Decision).values(apply_status=ApplyStatus.PENDING))
        db_session.commit()
    assert service.apply_decision(decision.id, NOW) == ApplyStatus.DONE
    assert _count(db_session, Letter) == 1
    assert _count(db_session, Notification, Notification.kind == NotificationKind.LETTER_TO_SIGN) == to_sign


def test_escalating_to_a_vote_asks_every_participant_for_its_own_vote(app, world, review_id, db_session):
    decision = _decide(world, review_id, ladder_step_id=world.steps[3].id, skip_reason=SKIP)
    _apply_twice(decision.id)
    with system_scope("test"):
        votes = db_session.scalars(sa.select(Vote).order_by(Vote.organisation_id)).all()
    assert [v.organisation_id for v in votes] == sorted([world.lead.id, world.co_lead.id, world.supporter.id])
    for vote in votes:
        assert vote.status == VoteStatus.PROPOSED
        assert vote.requested_instruction == VoteInstruction.AGAINST
        assert vote.decision_id == decision.id and "directors" in vote.item
        assert vote.item_kind == VoteItemKind.DIRECTORS  # the votes page's consistency check
        assert vote.agm_on == actions.next_agm(None, TODAY)


def test_the_agm_date_falls_back_to_the_next_30_june():
    from datetime import date

    assert actions.next_agm(None, date(2026, 11, 22)) == date(2027, 6, 30)
    assert actions.next_agm(None, date(2027, 3, 1)) == date(2027, 6, 30)
    assert actions.next_agm(None, date(2027, 6, 10)) == date(2028, 6, 30)
    assert actions.next_agm(date(2027, 4, 20), date(2027, 3, 1)) == date(2027, 4, 20)


@pytest.mark.parametrize("position, kind", [(1, StepKind.MEETING_WITH_BOARD)])
def test_escalating_to_a_task_gives_the_lead_an_owner_and_a_date(app, world, review_id, db_session, position, kind):
    decision = _decide(world, review_id, ladder_step_id=world.steps[position].id, skip_reason=SKIP)
    _apply_twice(decision.id)
    with system_scope("test"):
        task = db_session.scalars(sa.select(EscalationTask)).one()
    assert task.kind == kind and task.owner_organisation_id == world.lead.id
    assert task.owner_user_id == world.lead_user.id and task.due_on > TODAY
    assert task.status.value == "open"


def test_divestment_is_a_review_with_the_oecd_questions(app, world, review_id, db_session):
    decision = _decide(world, review_id, ladder_step_id=world.steps[5].id, skip_reason=SKIP)
    _apply_twice(decision.id)
    with system_scope("test"):
        review = db_session.scalars(sa.select(DivestmentReview)).one()
    assert "When is divestment responsible and when can it be harmful?" in review.questions
    assert review.conclusion.value == "open"
    assert _count(db_session, Vote) == 0


def test_extend_moves_the_deadline_once_and_the_next_overdue_opens_a_new_review(app, world, review_id, db_session):
    new_date = TODAY + timedelta(days=45)
    decision = _decide(world, review_id, kind="extend", new_due_on=new_date)
    _apply_twice(decision.id)
    with system_scope("test"):
        db_session.execute(sa.update(Decision).values(apply_status=ApplyStatus.PENDING))
        db_session.commit()
    service.apply_decision(decision.id, NOW)
    milestone = _get(db_session, Milestone, world.milestone.id)
    assert (milestone.due_on, milestone.deadline_version) == (new_date, 2)
    assert service.open_overdue_reviews(NOW + timedelta(days=40)) == []
    assert service.open_overdue_reviews(NOW + timedelta(days=46)) == [f"milestone:{milestone.id}:v2"]


@pytest.mark.parametrize("outcome, status", [
    ("success", EngagementStatus.CLOSED_SUCCESS), ("no_prospect", EngagementStatus.CLOSED_NO_PROSPECT)])
def test_close_closes_the_engagement(app, world, review_id, db_session, outcome, status):
    decision = _decide(world, review_id, kind="close", close_outcome=outcome)
    _apply_twice(decision.id)
    engagement = _get(db_session, Engagement, world.engagement.id)
    assert engagement.status == status and engagement.closed_on == TODAY


def test_a_failing_decision_is_retried_a_bounded_number_of_times(app, world, review_id, db_session, monkeypatch):
    decision = _decide(world, review_id)

    def broken(*args, **kwargs):
        raise RuntimeError("printer on fire")

    monkeypatch.setattr(actions, "take_step", broken)
    assert service.apply_decision(decision.id, NOW) == ApplyStatus.FAILED
    failed = _get(db_session, Decision, decision.id)
    assert failed.apply_status == ApplyStatus.FAILED and "printer on fire" in failed.apply_error
    later = NOW + timedelta(minutes=5)
    assert service.apply_outbox(later) == ([], [decision.id])
    assert service.apply_outbox(later) == ([], [decision.id])
    assert service.apply_outbox(later) == ([], [])  # three attempts: left failed, with its reason
    assert _get(db_session, Decision, decision.id).apply_attempts == 3
    assert _count(db_session, Letter) == 0
    given_up = _count(db_session, Notification, Notification.kind == NotificationKind.DECISION_FAILED)
    assert given_up == 2  # the lead's and the co-lead's user, once


def test_the_outbox_waits_for_the_grace_period_then_applies(app, world, review_id, db_session):
    decision = _decide(world, review_id, kind="close", close_outcome="success")
    assert service.apply_outbox(NOW + timedelta(seconds=30)) == ([], [])
    assert service.apply_outbox(NOW + timedelta(minutes=3)) == ([decision.id], [])
    assert service.apply_outbox(NOW + timedelta(minutes=4)) == ([], [])


def test_a_claim_lost_with_its_worker_is_taken_over_when_stale(app, world, review_id, db_session):
    decision = _decide(world, review_id, kind="close", close_outcome="success")
    with system_scope("test"):
        db_session.execute(sa.update(Decision).values(
            apply_status=ApplyStatus.RUNNING, apply_claimed_at=NOW, apply_attempts=1))
        db_session.commit()
    assert service.apply_outbox(NOW + timedelta(minutes=5)) == ([], [])
    assert service.apply_outbox(NOW + timedelta(minutes=20)) == ([decision.id], [])


def test_a_worker_is_shown_only_the_runs_handed_over_and_not_taken_up(app, world, review_id,
                                                                      db_session):
    """service.handed_over_runs (what a worker's watch runs, workflows.warm): pending with
    the run's id written; not a pending decision Prefect never took, not one under way."""
    decision = _decide(world, review_id, kind="close", close_outcome="success")
    assert service.handed_over_runs(20) == []  # no orchestrator took it: the outbox's
    with system_scope("test"):
        db_session.execute(sa.update(Decision).values(flow_run_id="run-1"))
        db_session.commit()
    assert service.handed_over_runs(20) == ["run-1"]
    assert service.handed_over_runs(0) == []
    assert service.apply_decision(decision.id, NOW) == ApplyStatus.DONE
    assert service.handed_over_runs(20) == []


class _Recorder:
    """An orchestrator that takes every decision it is asked to apply (the real one, Prefect,
    is tested in tests/workflows/)."""

    def __init__(self, answer):
        self.asked, self.answer = [], answer

    def request_apply(self, decision_id):
        self.asked.append(decision_id)
        return self.answer


@pytest.fixture
def installed(app):
    """Swap the app's orchestrator for the test, and put the real one back after."""
    from engage import orchestrator

    before = app.extensions.get(orchestrator.EXTENSION)

    def install(found):
        if found is None:
            app.extensions.pop(orchestrator.EXTENSION, None)
        else:
            orchestrator.install(app, found)

    yield install
    install(before)


def test_without_an_orchestrator_the_decision_waits_for_the_sweep(world, review_id, db_session,
                                                                  installed):
    installed(None)
    decision = _decide(world, review_id, kind="close", close_outcome="success")
    assert decision.apply_status == ApplyStatus.PENDING and decision.flow_run_id is None
    assert service.apply_outbox(NOW + timedelta(minutes=5)) == ([decision.id], [])


def test_a_decision_is_handed_to_the_installed_orchestrator_and_its_run_kept(
        world, review_id, db_session, installed):
    recorder = _Recorder("run-1")
    installed(recorder)
    decision = _decide(world, review_id, kind="close", close_outcome="success")
    assert recorder.asked == [decision.id]
    assert _get(db_session, Decision, decision.id).flow_run_id == "run-1"
    assert decision.apply_status == ApplyStatus.PENDING  # the run applies it, not the request
