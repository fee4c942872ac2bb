"""The sweep flow watches a divestment's date to look again, as one of its tasks, against a
real Prefect server on a committed database."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from engage.escalations.models import DivestmentConclusion, DivestmentReview
from engage.extensions import db
from engage.tenancy import system_scope
from tests.escalations.conftest import NOW, TODAY
from workflows.escalation import SWEEP_TASKS, escalation_sweep


def test_the_sweep_flow_opens_a_review_on_the_date_to_look_again_once(flow_app):
    app, _, world = flow_app
    assert any(step.run.__name__ == "open_look_again_reviews" for step, _task in SWEEP_TASKS)
    look_again = TODAY + timedelta(days=180)
    with app.app_context(), system_scope("test"):
        concluded = DivestmentReview(
            engagement_id=world.engagement.id, questions="…",
            conclusion=DivestmentConclusion.DIVEST, decided_at=NOW,
            re_entry_criteria="A living wage, verified by an independent audit",
            look_again_on=look_again)
        db.session.add(concluded)
        db.session.commit()
        concluded_id = concluded.id
    assert f"divestment:{concluded_id}:look-again" not in escalation_sweep(
        now=NOW + timedelta(days=179))["reviews_opened"]
    on_the_day = escalation_sweep(now=NOW + timedelta(days=180))["reviews_opened"]
    assert f"divestment:{concluded_id}:look-again" in on_the_day
    assert f"divestment:{concluded_id}:look-again" not in escalation_sweep(
        now=NOW + timedelta(days=181))["reviews_opened"]
    with app.app_context(), system_scope("test"):
        follow_ups = db.session.scalars(sa.select(DivestmentReview).where(
            DivestmentReview.follows_review_id == concluded_id)).all()
        assert len(follow_ups) == 1
        assert "A living wage, verified" in follow_ups[0].questions
        assert follow_ups[0].conclusion == DivestmentConclusion.OPEN
        db.session.commit()
