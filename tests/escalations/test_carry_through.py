"""Escalation that carries through: going past the next step needs its own reason, every
decision records what was tried before it, and each step and divestment conclusion has its
effect once, on the engagement, with who does what by when."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from engage.audit.models import AuditEvent
from engage.engagements.models import Engagement
from engage.escalations import actions, followup, service
from engage.escalations.models import (
    ApplyStatus,
    Decision,
    DivestmentConclusion,
    DivestmentReview,
    EscalationReview,
    EscalationTask,
    ReviewStatus,
    StepKind,
)
from engage.engagements.service import EngagementError
from engage.notifications.models import Notification, NotificationKind
from engage.tenancy import as_organisation, system_scope
from tests import factories as f
from tests.escalations.conftest import NOW, TODAY

WHY = "Two letters and a meeting went unanswered; the milder steps are spent"


def _review_id(db_session) -> int:
    with system_scope("test"):
        return db_session.scalar(sa.select(EscalationReview.id)
                                 .where(EscalationReview.status == ReviewStatus.OPEN)
                                 .order_by(EscalationReview.id.desc()))


def _decide(world, review_id, step=None, **kw):
    kw.setdefault("reason", "No credible plan")
    return service.record_decision(
        review_id, "escalate", actor=world.lead_user, organisation_id=world.lead.id, now=kw.pop("now", NOW),
        ladder_step_id=step.id if step is not None else None, **kw)


def _rows(db_session, model, *where, order=None):
    with system_scope("test"):
        return db_session.scalars(sa.select(model).where(*where).order_by(order or model.id)).all()


def _count(db_session, model, *where):
    with system_scope("test"):
        return db_session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _next_review(world, db_session, decision_id, days):
    """Let the step's wait run out: the sweep opens the next review."""
    with system_scope("test"):
        wait = db_session.get(Decision, decision_id).ladder_step.wait_days
    assert service.open_step_reviews(NOW + timedelta(days=wait + days)) == [f"step:{decision_id}"]
    return _review_id(db_session)


# --- the reason to go past the next step --------------------------------------------------


@pytest.mark.parametrize("position", [1, 3, 5])
def test_going_past_the_next_step_needs_its_own_reason_and_writes_nothing_without(app, world, db_session, position):
    service.open_overdue_reviews(NOW)
    review_id = _review_id(db_session)
    with pytest.raises(service.DecisionError) as refused:
        _decide(world, review_id, world.steps[position])
    assert set(refused.value.errors) == {"skip_reason"}
    assert _count(db_session, Decision) == 0
    assert _rows(db_session, EscalationReview)[0].status == ReviewStatus.OPEN
    decision = _decide(world, review_id, world.steps[position], skip_reason=f"  {WHY}  ")
    assert decision.skip_reason == WHY and decision.ladder_step_id == world.steps[position].id


def test_the_next_step_needs_no_second_reason_and_records_none(app, world, db_session):
    service.open_overdue_reviews(NOW)
    decision = _decide(world, _review_id(db_session), world.steps[0], skip_reason="not needed")
    assert decision.skip_reason == "" and decision.earlier_steps == []
    # Without a named step the next one is taken, also without a second reason.
    assert service.apply_decision(decision.id, NOW) == ApplyStatus.DONE
    second = _decide(world, _next_review(world, db_session, decision.id, 1), now=NOW + timedelta(days=200))
    assert second.ladder_step_id == world.steps[1].id and second.skip_reason == ""


def test_the_divestment_review_needs_the_reason_even_as_the_next_step(app, world, db_session):
    with system_scope("test"):
        db_session.get(Engagement, world.engagement.id).current_step_id = world.steps[4].id
        db_session.commit()
    service.open_overdue_reviews(NOW)
    with pytest.raises(service.DecisionError) as refused:
        _decide(world, _review_id(db_session))
    assert "leverage" in refused.value.errors["skip_reason"]


def test_a_decision_records_the_steps_taken_before_it_as_they_were(app, world, db_session):
    service.open_overdue_reviews(NOW)
    first = _decide(world, _review_id(db_session), world.steps[0])
    service.apply_decision(first.id, NOW)
    later = NOW + timedelta(days=200)
    second = _decide(world, _next_review(world, db_session, first.id, 1), world.steps[2],
                     skip_reason=WHY, now=later)
    assert second.earlier_steps == [{
        "decision_id": first.id, "step_id": world.steps[0].id, "position": 1,
        "kind": "letter_to_board", "description": world.steps[0].description or "",
        "decided_on": TODAY.isoformat(), "applied": True}]
    assert second.tried_before[0]["decided_on"] == TODAY
    # Audited, with the reason to skip and the record of what was tried.
    with system_scope("test"):
        event = db_session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "decision.create").order_by(AuditEvent.id.desc())).first()
    assert event.after["skip_reason"] == WHY and "letter_to_board" in str(event.after["earlier_steps"])
    # Changing the ladder later does not change the record.
    with system_scope("test"):
        db_session.get(type(world.steps[0]), world.steps[0].id).description = "rewritten"
        db_session.commit()
        assert db_session.get(Decision, second.id).earlier_steps[0]["description"] == (
            world.steps[0].description or "")


# --- what each step does ------------------------------------------------------------------


def test_a_meeting_with_the_board_is_a_task_with_an_agenda_for_the_lead(app, world, db_session):
    service.open_overdue_reviews(NOW)
    decision = _decide(world, _review_id(db_session), world.steps[1], skip_reason=WHY)
    service.apply_decision(decision.id, NOW)
    [task] = _rows(db_session, EscalationTask)
    assert task.kind == StepKind.MEETING_WITH_BOARD
    assert (task.owner_organisation_id, task.owner_user_id) == (world.lead.id, world.lead_user.id)
    assert task.due_on == TODAY + timedelta(days=30)
    assert task.description.startswith("Agenda for the meeting with the board of")
    assert "Wages below a living wage" in task.description  # the concern
    assert "Pay a living wage" in task.description  # the objective
    assert "Company publishes a living-wage roadmap" in task.description  # the missed milestone
    assert "the deadline this review was about" in task.description


def _reduce_exposure_world(db_session, world):
    with system_scope("test"):
        lad = f.ladder(kinds=(StepKind.LETTER_TO_BOARD, StepKind.REDUCE_EXPOSURE))
        db_session.get(Engagement, world.engagement.id).ladder_id = lad.id
        db_session.commit()
        return sorted(lad.steps, key=lambda s: s.position)


def test_reduce_exposure_gives_each_holding_participant_a_task_once(app, world, db_session):
    steps = _reduce_exposure_world(db_session, world)
    with system_scope("test"):
        f.holding(world.lead, world.company)
        f.holding(world.supporter, world.company)
        f.holding(world.co_lead, world.company, value="0")  # sold out: holds nothing
        f.holding(world.outsider, world.company)  # not a participant
        db_session.commit()
    service.open_overdue_reviews(NOW)
    decision = _decide(world, _review_id(db_session), steps[1], skip_reason=WHY)
    assert service.apply_decision(decision.id, NOW) == ApplyStatus.DONE
    with system_scope("test"):
        db_session.execute(sa.update(Decision).values(apply_status=ApplyStatus.PENDING))
        db_session.commit()
    assert service.apply_decision(decision.id, NOW) == ApplyStatus.DONE
    tasks = _rows(db_session, EscalationTask, order=EscalationTask.owner_organisation_id)
    assert sorted(t.owner_organisation_id for t in tasks) == sorted([world.lead.id, world.supporter.id])
    assert all(t.kind == StepKind.REDUCE_EXPOSURE and "reduce your exposure" in t.title for t in tasks)
    assert all("EUR" not in t.title + t.description for t in tasks)  # no amount
    told = {n.user_id for n in _rows(db_session, Notification,
                                     Notification.kind == NotificationKind.TASK_ASSIGNED)}
    assert told == {world.lead_user.id, world.supporter_user.id}


def test_reduce_exposure_with_no_holding_recorded_asks_the_lead(app, world, db_session):
    steps = _reduce_exposure_world(db_session, world)
    service.open_overdue_reviews(NOW)
    decision = _decide(world, _review_id(db_session), steps[1], skip_reason=WHY)
    service.apply_decision(decision.id, NOW)
    [task] = _rows(db_session, EscalationTask)
    assert task.owner_organisation_id == world.lead.id and "Ask each participant" in task.title


# --- the divestment review's conclusion ----------------------------------------------------

ANSWERS = {"responsible_or_harmful": "Leaving would not cost the workers their jobs",
           "leverage_left": "None: votes and letters were ignored for two years",
           "impact_staying_vs_leaving": "Staying lends legitimacy; leaving signals the cost"}


def _divestment(world, db_session):
    with system_scope("test"):
        f.holding(world.lead, world.company)
        f.holding(world.supporter, world.company)
        db_session.commit()
    service.open_overdue_reviews(NOW)
    first = _decide(world, _review_id(db_session), world.steps[0])
    service.apply_decision(first.id, NOW)
    decision = _decide(world, _next_review(world, db_session, first.id, 1), world.steps[5],
                       skip_reason=WHY, now=NOW + timedelta(days=200))
    service.apply_decision(decision.id, NOW + timedelta(days=200))
    [review] = _rows(db_session, DivestmentReview)
    return review.id


def _answer(world, db_session, review_id, now=NOW + timedelta(days=210), **data):
    with as_organisation(world.lead.id):
        review = db_session.get(DivestmentReview, review_id)
        try:
            followup.answer_divestment_review(review, actor=world.lead_user,
                                              organisation_id=world.lead.id,
                                              data={**ANSWERS, **data}, now=now)
            db_session.commit()
        except BaseException:
            db_session.rollback()
            raise


def test_divesting_needs_re_entry_criteria_and_a_later_date(app, world, db_session):
    review_id = _divestment(world, db_session)
    with pytest.raises(EngagementError) as refused:
        _answer(world, db_session, review_id, conclusion="divest")
    assert set(refused.value.errors) == {"re_entry_criteria", "look_again_on"}
    with pytest.raises(EngagementError) as refused:
        _answer(world, db_session, review_id, conclusion="reduce_exposure",
                re_entry_criteria="A living wage paid", look_again_on=TODAY.isoformat())
    assert set(refused.value.errors) == {"look_again_on"}
    assert _count(db_session, EscalationTask) == 0
    assert _rows(db_session, DivestmentReview)[0].decided_at is None


def test_divesting_gives_each_holder_a_task_and_the_sweep_looks_again_on_the_date(app, world, db_session):
    review_id = _divestment(world, db_session)
    look_again = TODAY + timedelta(days=400)
    _answer(world, db_session, review_id, conclusion="divest",
            re_entry_criteria="A living wage paid across tier-1 suppliers, verified",
            look_again_on=look_again.isoformat())
    [review] = _rows(db_session, DivestmentReview)
    assert review.conclusion == DivestmentConclusion.DIVEST and review.look_again_on == look_again
    tasks = _rows(db_session, EscalationTask, EscalationTask.divestment_review_id == review_id)
    assert sorted(t.owner_organisation_id for t in tasks) == sorted([world.lead.id, world.supporter.id])
    assert all("Divest from" in t.title and "living wage paid" in t.description for t in tasks)
    told = {n.user_id for n in _rows(db_session, Notification,
                                     Notification.kind == NotificationKind.TASK_ASSIGNED)}
    assert {world.lead_user.id, world.supporter_user.id} <= told
    # The date to look again is watched: nothing the day before, one review on it, once.
    day_before = NOW + timedelta(days=399)
    assert service.open_look_again_reviews(day_before) == []
    on_the_day = NOW + timedelta(days=400)
    assert service.open_look_again_reviews(on_the_day) == [f"divestment:{review_id}:look-again"]
    assert service.open_look_again_reviews(on_the_day + timedelta(days=1)) == []
    again = _rows(db_session, DivestmentReview, DivestmentReview.follows_review_id == review_id)
    assert len(again) == 1 and "A living wage paid across tier-1" in again[0].questions
    assert _count(db_session, Notification, Notification.kind == NotificationKind.DIVESTMENT_REVIEW) >= 2
    # The company improved: staying engaged sends the engagement back to the ladder.
    _answer(world, db_session, again[0].id, conclusion="stay_engaged", now=on_the_day)
    with system_scope("test"):
        assert db_session.get(Engagement, world.engagement.id).current_step_id == world.steps[0].id


def test_staying_engaged_sends_the_engagement_back_to_the_ladder(app, world, db_session):
    review_id = _divestment(world, db_session)
    _answer(world, db_session, review_id, conclusion="stay_engaged")
    assert _count(db_session, EscalationTask) == 0
    with system_scope("test"):
        engagement = db_session.get(Engagement, world.engagement.id)
        assert engagement.current_step_id == world.steps[0].id  # the last step before it
        decision_id = db_session.scalar(sa.select(Decision.id).order_by(Decision.id.desc()))
    # The next review escalates again, to the step after the letter.
    later = NOW + timedelta(days=200)
    review = _next_review(world, db_session, decision_id, 200)
    decision = _decide(world, review, now=later + timedelta(days=200))
    assert decision.ladder_step_id == world.steps[1].id
    assert [s["kind"] for s in decision.earlier_steps] == ["letter_to_board", "divestment_review"]
