"""The decision form and the decision page: what was tried before, what is weighed, what
each decision does — in English and Dutch — and the second reason kept when refused."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from engage.db import utcnow
from engage.escalations import service
from engage.escalations.models import Decision, EscalationReview
from engage.tenancy import system_scope
from tests import factories as f
from tests.conftest import login_as
from tests.escalations.conftest import NOW
from tests.oidc_support import csrf_token


def _open_review(db_session) -> int:
    service.open_overdue_reviews(NOW)
    with system_scope("test"):
        return db_session.scalar(sa.select(EscalationReview.id))


def _as(client, user, org) -> str:
    login_as(client, user, org)
    return csrf_token(client)


def test_the_form_weighs_severity_and_holding_and_explains_each_decision(client, db_session, world):
    with system_scope("test"):
        f.holding(world.lead, world.company, value="2500000")
        db_session.commit()
    _open_review(db_session)
    _as(client, world.lead_user, world.lead)
    page = client.get(f"/engagements/{world.engagement.id}").get_data(as_text=True)
    assert "data-weighed" in page and "Severity to people" in page
    assert "€2.5M" in re.search(r"data-holding>([^<]*)", page).group(1)
    assert "What each decision does" in page and 'data-effect="extend"' in page
    assert page.count("data-step-effect=") == len(world.steps)
    assert "next step</span>" in page and 'name="skip_reason"' in page
    assert "Opens the divestment review" in page


def test_a_skip_without_its_reason_is_a_field_error_and_keeps_the_input(client, db_session, world):
    review_id = _open_review(db_session)
    token = _as(client, world.lead_user, world.lead)
    response = client.post(f"/reviews/{review_id}/decision", data={
        "kind": "escalate", "ladder_step_id": str(world.steps[3].id),
        "reason": "Board ignored <both> letters", "csrf_token": token})
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="review-{review_id}-skip_reason-error"' in body and "This skips step 1" in body
    assert "Board ignored &lt;both&gt; letters" in body
    assert re.search(rf'<option value="{world.steps[3].id}" selected', body)
    with system_scope("test"):
        assert db_session.scalar(sa.select(sa.func.count()).select_from(Decision)) == 0
    made = client.post(f"/reviews/{review_id}/decision", data={
        "kind": "escalate", "ladder_step_id": str(world.steps[3].id), "reason": "Ignored",
        "skip_reason": "A letter and a meeting went unanswered outside Engage",
        "csrf_token": token})
    assert made.status_code == 303
    decision_id = int(re.search(r"#decision-(\d+)", made.headers["Location"]).group(1))
    page = client.get(f"/engagements/{world.engagement.id}").get_data(as_text=True)
    assert "Why past the next step: A letter and a meeting" in page
    assert 'data-earlier-steps="0"' in page


def test_the_decision_page_says_what_the_decision_does_in_english_and_dutch(client, db_session, world):
    review_id = _open_review(db_session)
    first = service.record_decision(review_id, "escalate", actor=world.lead_user,
                                    organisation_id=world.lead.id, reason="No plan", now=NOW)
    service.apply_decision(first.id, NOW)
    service.open_step_reviews(NOW + timedelta(days=400))
    with system_scope("test"):
        second_review = db_session.scalar(sa.select(EscalationReview.id).order_by(EscalationReview.id.desc()))
    second = service.record_decision(second_review, "escalate", actor=world.lead_user,
                                     organisation_id=world.lead.id, reason="Still no plan",
                                     now=utcnow())
    _as(client, world.lead_user, world.lead)
    page = client.get(f"/decisions/{second.id}", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "What this decision does" in html and "Gives the lead a task to request a meeting" in html
    assert 'data-earlier-steps="1"' in html and "letter to board" in html
    assert "What each decision does" in html and "<details class=\"explain\" data-explain open>" in html
    assert 'data-state="pending"' in html and "&lt;div" not in html  # the workflow's state, as markup
    with system_scope("test"):
        user = db_session.get(type(world.lead_user), world.lead_user.id)
        user.locale = "nl"
        db_session.commit()
    dutch = client.get(f"/decisions/{second.id}").get_data(as_text=True)
    assert "Wat dit besluit doet" in dutch and "Wat elk besluit doet" in dutch
    # An outsider cannot learn that the decision exists.
    _as(client, world.outsider_user, world.outsider)
    assert client.get(f"/decisions/{second.id}").status_code == 404


def test_a_decision_is_named_in_words_not_codes_in_english_and_dutch(client, db_session, world):
    review_id = _open_review(db_session)
    decision = service.record_decision(review_id, "escalate", actor=world.lead_user,
                                       organisation_id=world.lead.id, reason="No plan", now=NOW)
    _as(client, world.lead_user, world.lead)
    for path in (f"/engagements/{world.engagement.id}", f"/decisions/{decision.id}"):
        html = client.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert "Escalate to “Letter to the board”" in html, path
        assert "escalate: letter to board" not in html and "escalate</strong>" not in html
    with system_scope("test"):
        user = db_session.get(type(world.lead_user), world.lead_user.id)
        user.locale = "nl"
        db_session.commit()
    dutch = client.get(f"/decisions/{decision.id}").get_data(as_text=True)
    assert "Escaleren naar “" in dutch
