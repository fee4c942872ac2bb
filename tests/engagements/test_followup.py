"""After an escalation step: its task marked done, and the divestment review's OECD
questions answered and concluded by the leads."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from engage.escalations import service as engine
from engage.escalations.models import (
    DivestmentConclusion,
    DivestmentReview,
    EscalationTask,
    TaskStatus,
)
from engage.tenancy import system_scope
from tests.engagements.conftest import act_as, audit_actions, post, viewer_of
from tests.escalations.conftest import NOW


def _take_step(client, db_session, world, step) -> None:
    engine.open_overdue_reviews(NOW)
    token = act_as(client, world.lead_user, world.lead)
    page = client.get(f"/engagements/{world.engagement.id}").get_data(as_text=True)
    review_id = int(re.search(r'data-review="(\d+)"', page).group(1))
    decided = client.post(f"/reviews/{review_id}/decision", data={
        "kind": "escalate", "ladder_step_id": str(step.id), "reason": "No progress",
        "skip_reason": "The board refused the letter; leverage through it is spent",
        "csrf_token": token})
    assert decided.status_code == 303
    engine.apply_outbox(NOW + timedelta(days=3650))


def test_marking_a_task_done(client, db_session, world):
    _take_step(client, db_session, world, world.steps[1])  # meeting with the board
    with system_scope("test"):
        task_id = db_session.scalar(sa.select(EscalationTask.id))
    # A supporter sees the task but cannot tick it off.
    token = act_as(client, world.supporter_user, world.supporter)
    page = client.get(f"/engagements/{world.engagement.id}").get_data(as_text=True)
    assert f'data-task="{task_id}"' in page and "Mark done" not in page
    refused = post(client, f"/engagements/tasks/{task_id}/done", token)
    assert refused.status_code == 403 and "mark it done" in refused.get_data(as_text=True)
    token = act_as(client, world.outsider_user, world.outsider)
    assert post(client, f"/engagements/tasks/{task_id}/done", token).status_code == 404
    token = act_as(client, viewer_of(db_session, world.lead), world.lead)
    assert post(client, f"/engagements/tasks/{task_id}/done", token).status_code == 403
    # The co-lead (not the owner) may; the fragment comes back done.
    token = act_as(client, world.co_lead_user, world.co_lead)
    done = post(client, f"/engagements/tasks/{task_id}/done", token, htmx=True)
    text = done.get_data(as_text=True)
    assert done.status_code == 200 and 'data-task-status="done"' in text and "<html" not in text
    again = post(client, f"/engagements/tasks/{task_id}/done", token)
    assert again.status_code == 400 and "done already" in again.get_data(as_text=True)
    with system_scope("test"):
        task = db_session.get(EscalationTask, task_id)
        assert task.status is TaskStatus.DONE and task.done_at is not None
    assert audit_actions(db_session, "escalation_task.update") >= 1


def test_answering_the_divestment_review(client, db_session, world):
    _take_step(client, db_session, world, world.steps[-1])  # divestment review
    with system_scope("test"):
        review_id = db_session.scalar(sa.select(DivestmentReview.id))
    url = f"/engagements/divestment-reviews/{review_id}"
    page = client.get(f"/engagements/{world.engagement.id}").get_data(as_text=True)
    assert "When is divestment responsible and when can it be harmful?" in page
    assert f'action="{url}"' in page
    token = act_as(client, world.lead_user, world.lead)
    # A conclusion needs every answer; "open" saves a draft.
    early = post(client, url, token, htmx=True, responsible_or_harmful="Leaving could cost jobs",
                 conclusion="divest")
    text = early.get_data(as_text=True)
    assert early.status_code == 400 and text.count("Answer this question before concluding") == 2
    unknown = post(client, url, token, conclusion="sell_everything")
    assert unknown.status_code == 400 and "is not one of the options" in unknown.get_data(as_text=True)
    draft = post(client, url, token, htmx=True, responsible_or_harmful="Leaving could cost jobs",
                 conclusion="open")
    assert draft.status_code == 200 and "Leaving could cost jobs" in draft.get_data(as_text=True)
    final = post(client, url, token, responsible_or_harmful="Leaving could cost jobs",
                 leverage_left="Vote against the chair with 12 investors",
                 impact_staying_vs_leaving="Staying keeps the wage programme alive",
                 conclusion="stay_engaged")
    assert final.status_code == 303
    with system_scope("test"):
        dr = db_session.get(DivestmentReview, review_id)
        assert dr.conclusion is DivestmentConclusion.STAY_ENGAGED and dr.decided_at is not None
        assert dr.decided_by_id == world.lead_user.id
    # On record: not changed afterwards.
    late = post(client, url, token, conclusion="divest", responsible_or_harmful="a",
                leverage_left="b", impact_staying_vs_leaving="c")
    assert late.status_code == 400 and "on record" in late.get_data(as_text=True)
    assert audit_actions(db_session, "divestment_review.update") >= 2


def test_only_leads_answer_the_divestment_review(client, db_session, world):
    _take_step(client, db_session, world, world.steps[-1])
    with system_scope("test"):
        review_id = db_session.scalar(sa.select(DivestmentReview.id))
    url = f"/engagements/divestment-reviews/{review_id}"
    token = act_as(client, world.supporter_user, world.supporter)
    assert f'action="{url}"' not in client.get(f"/engagements/{world.engagement.id}").get_data(as_text=True)
    assert post(client, url, token, conclusion="divest").status_code == 403
    token = act_as(client, world.outsider_user, world.outsider)
    assert post(client, url, token, conclusion="divest").status_code == 404
