"""The review on one screen: what was missed and how late, the ladder with the steps taken
and the next one proposed, the latest dialogue as the organisation may see it, and the
decision form for the leads only; a refused decision comes back in place with what was typed."""

from __future__ import annotations

import re
from types import SimpleNamespace
from datetime import timedelta

import sqlalchemy as sa

from engage import clock
from engage.engagements.models import Visibility
from engage.escalations import service
from engage.escalations.models import Decision, EscalationReview, ReviewStatus
from engage.organisations.models import OrgRole
from engage.tenancy import system_scope
from tests import factories as f
from tests.conftest import login_as
from tests.escalations.conftest import NOW
from tests.oidc_support import csrf_token


def _open_review(db_session) -> int:
    service.open_overdue_reviews(NOW)
    with system_scope("test"):
        return db_session.scalar(sa.select(EscalationReview.id).order_by(EscalationReview.id.desc()))


def _as(client, user, org) -> str:
    login_as(client, user, org)
    return csrf_token(client)


def _selected(body: str) -> int | None:
    """The step the decision form's step list has chosen."""
    found = re.search(r'name="ladder_step_id"[^>]*>.*?<option value="(\d+)" selected', body, re.S)
    return int(found.group(1)) if found else None


def test_the_review_page_shows_the_context_on_one_screen(client, db_session, world):
    with system_scope("test"):
        f.dialogue(world.engagement, world.lead, summary="Chair promised a roadmap by June")
        f.dialogue(world.engagement, world.supporter, visibility=Visibility.PRIVATE,
                   summary="Our own private doubts about the chair")
        db_session.commit()
    review_id = _open_review(db_session)
    _as(client, world.lead_user, world.lead)
    response = client.get(f"/reviews/{review_id}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert world.company.name in body and world.engagement.title in body
    assert "Company publishes a living-wage roadmap" in body  # the milestone
    late = (clock.today() - world.milestone.due_on).days
    assert f'data-days-late="{late}"' in body and f"{late} days overdue" in body
    assert body.count("data-rung=") == len(world.steps)
    assert f'data-rung="{world.steps[0].id}" data-proposed' in body
    assert "Chair promised a roadmap by June" in body
    # Another organisation's private dialogue stays private.
    assert "Our own private doubts" not in body
    assert "What each decision does" in body and 'data-effect="extend"' in body
    assert f'action="/reviews/{review_id}/decision"' in body and 'name="from" value="review"' in body
    assert _selected(body) == world.steps[0].id
    # An outsider cannot learn that the review exists.
    _as(client, world.outsider_user, world.outsider)
    assert client.get(f"/reviews/{review_id}").status_code == 404


def test_the_default_step_is_the_next_one_after_the_steps_taken(client, db_session, world):
    first = _open_review(db_session)
    letter = service.record_decision(first, "escalate", actor=world.lead_user,
                                     organisation_id=world.lead.id, reason="No plan", now=NOW)
    with system_scope("test"):
        f.milestone(world.engagement, due_on=NOW.date() - timedelta(days=2),
                    title="Company answers the letter")
        db_session.commit()
    second = _open_review(db_session)
    assert second != first
    _as(client, world.lead_user, world.lead)
    # The letter is decided but not yet carried out: the step is taken all the same, and the
    # meeting is proposed (not the letter again), here and on the engagement page.
    body = client.get(f"/reviews/{second}").get_data(as_text=True)
    assert _selected(body) == world.steps[1].id
    assert re.search(rf'data-rung="{world.steps[0].id}" data-taken="1"', body)
    assert "not yet carried out" in body
    page = client.get(f"/engagements/{world.engagement.id}").get_data(as_text=True)
    assert _selected(page) == world.steps[1].id
    # Carried out: the engagement stands on the letter; still the meeting next.
    service.apply_decision(letter.id, NOW)
    body = client.get(f"/reviews/{second}").get_data(as_text=True)
    assert _selected(body) == world.steps[1].id and "not yet carried out" not in body
    assert f'data-rung="{world.steps[1].id}" data-proposed' in body
    # The meeting needs no second reason (it is the next step), the statement would.
    token = csrf_token(client)
    skipping = client.post(f"/reviews/{second}/decision", data={
        "kind": "escalate", "ladder_step_id": str(world.steps[2].id), "reason": "Silence",
        "from": "review", "csrf_token": token})
    assert skipping.status_code == 400 and "This skips step 2" in skipping.get_data(as_text=True)


def test_a_decision_pending_counts_as_taken_for_the_second_reason_too(app, db_session, world):
    first = _open_review(db_session)
    service.record_decision(first, "escalate", actor=world.lead_user,
                            organisation_id=world.lead.id, reason="No plan", now=NOW)
    with system_scope("test"):
        f.milestone(world.engagement, due_on=NOW.date() - timedelta(days=2), title="Answer")
        db_session.commit()
    second = _open_review(db_session)
    made = service.record_decision(second, "escalate", actor=world.lead_user,
                                   organisation_id=world.lead.id, reason="Still nothing",
                                   ladder_step_id=world.steps[1].id, now=NOW)
    assert made.skip_reason == ""


def test_viewers_and_supporters_see_the_state_and_who_decides_but_no_form(client, db_session, world):
    review_id = _open_review(db_session)
    with system_scope("test"):
        viewer = SimpleNamespace(id=f.user(world.lead, role=OrgRole.VIEWER).id)
        db_session.commit()
    for user, org in ((viewer, world.lead), (world.supporter_user, world.supporter)):
        token = _as(client, user, org)
        response = client.get(f"/reviews/{review_id}")
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and "data-no-form" in body
        assert "<form" not in body.split('class="review-decide"')[1].split("</main>")[0] or \
            'action="/reviews/' not in body
        assert 'name="reason"' not in body
        assert f"<strong>{world.lead.name}</strong>" in body and f"<strong>{world.co_lead.name}</strong>" in body
        refused = client.post(f"/reviews/{review_id}/decision", data={
            "kind": "close", "close_outcome": "success", "reason": "Done", "from": "review",
            "csrf_token": token})
        assert refused.status_code == 403
    assert "Your role is viewer" not in body  # the supporter is a member, not a viewer
    with system_scope("test"):
        assert db_session.scalar(sa.select(sa.func.count()).select_from(Decision)) == 0


def test_a_refused_decision_comes_back_in_place_with_what_was_typed(client, db_session, world):
    review_id = _open_review(db_session)
    token = _as(client, world.lead_user, world.lead)
    form = {"kind": "escalate", "ladder_step_id": str(world.steps[3].id),
            "reason": "Three <letters> unanswered", "from": "review", "csrf_token": token}
    # Without JavaScript: the whole review page, 400, the message at its field.
    page = client.post(f"/reviews/{review_id}/decision", data=form)
    body = page.get_data(as_text=True)
    assert page.status_code == 400 and "data-review-page" in body
    assert f'id="review-{review_id}-skip_reason-error"' in body and "This skips step 1" in body
    assert "Three &lt;letters&gt; unanswered</textarea>" in body
    assert _selected(body) == world.steps[3].id
    # With htmx: the form alone, to swap in place.
    swapped = client.post(f"/reviews/{review_id}/decision", data=form, headers={"HX-Request": "true"})
    fragment = swapped.get_data(as_text=True)
    assert swapped.status_code == 400 and fragment.lstrip().startswith("<form")
    assert "<html" not in fragment and f'id="decision-form-{review_id}"' in fragment
    assert "Three &lt;letters&gt; unanswered</textarea>" in fragment
    # No reason: its message next to the reason, the rest kept.
    blank = client.post(f"/reviews/{review_id}/decision", data={
        **form, "reason": " ", "skip_reason": "Met them twice outside Engage"},
        headers={"HX-Request": "true"})
    text = blank.get_data(as_text=True)
    assert blank.status_code == 400 and f'id="review-{review_id}-reason-error"' in text
    assert "needs a reason" in text and "Met them twice outside Engage</textarea>" in text
    with system_scope("test"):
        assert db_session.scalar(sa.select(sa.func.count()).select_from(Decision)) == 0
    # Fixed: recorded, and the browser goes to the decision's page.
    done = client.post(f"/reviews/{review_id}/decision",
                       data={**form, "skip_reason": "Met them twice outside Engage"})
    assert done.status_code == 303
    decision_id = int(re.fullmatch(r"/decisions/(\d+)", done.headers["Location"]).group(1))
    htmx_done = client.get(f"/reviews/{review_id}").get_data(as_text=True)
    assert f'data-decided="{decision_id}"' in htmx_done and 'name="reason"' not in htmx_done
    with system_scope("test"):
        assert db_session.get(EscalationReview, review_id).status is ReviewStatus.DECIDED
        assert db_session.get(Decision, decision_id).skip_reason == "Met them twice outside Engage"


def test_an_htmx_decision_goes_to_the_decision_page(client, db_session, world):
    review_id = _open_review(db_session)
    token = _as(client, world.lead_user, world.lead)
    done = client.post(f"/reviews/{review_id}/decision", data={
        "kind": "escalate", "ladder_step_id": str(world.steps[0].id), "reason": "No plan",
        "from": "review", "csrf_token": token}, headers={"HX-Request": "true"})
    assert done.status_code == 204
    assert re.fullmatch(r"/decisions/\d+", done.headers["HX-Redirect"])


def test_the_review_page_in_dutch(client, db_session, world):
    review_id = _open_review(db_session)
    _as(client, world.lead_user, world.lead)
    with system_scope("test"):
        user = db_session.get(type(world.lead_user), world.lead_user.id)
        user.locale = "nl"
        db_session.commit()
    body = client.get(f"/reviews/{review_id}").get_data(as_text=True)
    assert "dagen te laat" in body and "De ladder: genomen stappen en de volgende" in body
    assert "Uw besluit" in body
