"""The API follows the escalation rules the page does: a second reason to go past the next
step, the steps tried before in every decision, and the divestment review's answer."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from engage.escalations.models import Decision, DivestmentReview, EscalationTask
from engage.tenancy import system_scope

from tests import factories as f
from tests.escalations.conftest import TODAY


@pytest.fixture(autouse=True)
def _committed(api_world, db_session):
    db_session.commit()


def test_going_past_the_next_step_needs_skip_reason(as_token, api_world, db_session):
    api = as_token("a_write")
    url = f"/reviews/{api_world.review.id}/decision"
    skip = {"kind": "escalate", "reason": "No roadmap", "ladder_step_id": api_world.ladder_steps[2].id}
    refused = api.post(url, json=skip)
    assert refused.status_code == 400 and refused.mimetype == "application/problem+json"
    assert "skip_reason" in refused.get_json()["errors"]
    with system_scope("test"):
        assert db_session.scalar(sa.select(sa.func.count()).select_from(Decision)) == 0
    made = api.post(url, json={**skip, "skip_reason": "The board refused to meet"})
    assert made.status_code == 201, made.get_data(as_text=True)
    body = made.get_json()
    assert body["skip_reason"] == "The board refused to meet" and body["earlier_steps"] == []
    assert api.get(url).get_json()["earlier_steps"] == []


def _divestment_review(db_session, api_world) -> int:
    with system_scope("test"):
        review = f.divestment_review(api_world.engagement)  # A holds the company (api_world)
        db_session.commit()
        return review.id


def test_answer_and_conclude_a_divestment_review(as_token, api_world, db_session):
    review_id = _divestment_review(db_session, api_world)
    url = f"/divestment-reviews/{review_id}"
    assert as_token("b_write").get(url).status_code == 404
    assert as_token("b_write").post(f"{url}/answer", json={}).status_code == 404
    assert as_token("a_read").post(f"{url}/answer", json={}).status_code == 403
    api = as_token("a_write")
    answers = {"responsible_or_harmful": "Leaving harms nobody here",
               "leverage_left": "None left", "impact_staying_vs_leaving": "Staying lends cover"}
    draft = api.post(f"{url}/answer", json={"leverage_left": "Some, through the vote"})
    assert draft.status_code == 200 and draft.get_json()["conclusion"] == "open"
    refused = api.post(f"{url}/answer", json={**answers, "conclusion": "divest",
                                              "look_again_on": TODAY.isoformat()})
    assert refused.status_code == 400
    assert set(refused.get_json()["errors"]) == {"re_entry_criteria", "look_again_on"}
    look_again = (TODAY + timedelta(days=365)).isoformat()
    done = api.post(f"{url}/answer", json={**answers, "conclusion": "divest",
                                           "re_entry_criteria": "A living wage, verified",
                                           "look_again_on": look_again})
    assert done.status_code == 200, done.get_data(as_text=True)
    body = done.get_json()
    assert (body["conclusion"], body["look_again_on"], body["re_entry_criteria"]) == (
        "divest", look_again, "A living wage, verified")
    assert body["decided_by"]["id"] == api_world.a_member.id and body["decided_at"]
    with system_scope("test"):
        owners = db_session.scalars(sa.select(EscalationTask.owner_organisation_id).where(
            EscalationTask.divestment_review_id == review_id)).all()
        assert owners == [api_world.a.id]
        assert db_session.get(DivestmentReview, review_id).look_again_on.isoformat() == look_again
    late = api.post(f"{url}/answer", json={"conclusion": "stay_engaged"})
    assert late.status_code == 409 and late.mimetype == "application/problem+json"
