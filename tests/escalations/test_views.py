"""Reviews and decisions in the browser: who may decide, what the page shows while the
workflow works, and the letter it produces."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from engage.db import utcnow
from engage.escalations import service
from engage.escalations.models import Decision, EscalationReview, ReviewStatus
from engage.organisations.models import OrgMembership, OrgRole
from engage.tenancy import system_scope
from tests import factories as f
from tests.conftest import login_as
from tests.escalations.conftest import NOW
from tests.oidc_support import csrf_token


def _open_review(world) -> int:
    service.open_overdue_reviews(NOW)
    from engage.extensions import db

    with system_scope("test"):
        return db.session.scalar(sa.select(EscalationReview.id))


def _as(client, user, org) -> str:
    login_as(client, user, org)
    return csrf_token(client)


def _decide(client, review_id, token, **form):
    form.setdefault("kind", "escalate")
    form.setdefault("reason", "No credible plan after two letters")
    return client.post(f"/reviews/{review_id}/decision", data={**form, "csrf_token": token})


def test_the_lead_sees_the_review_in_the_inbox_and_on_the_engagement(client, db_session, world):
    review_id = _open_review(world)
    _as(client, world.lead_user, world.lead)
    inbox = client.get("/reviews").get_data(as_text=True)
    assert f'data-review="{review_id}"' in inbox
    page = client.get(f"/engagements/{world.engagement.id}").get_data(as_text=True)
    assert f'action="/reviews/{review_id}/decision"' in page
    # A supporter sees the review but gets no decision form, and no inbox entry.
    _as(client, world.supporter_user, world.supporter)
    assert f'data-review="{review_id}"' not in client.get("/reviews").get_data(as_text=True)
    page = client.get(f"/engagements/{world.engagement.id}").get_data(as_text=True)
    assert f'data-review="{review_id}"' in page and "/decision" not in page


def test_escalating_to_a_letter_from_the_page(client, db_session, world):
    review_id = _open_review(world)
    token = _as(client, world.lead_user, world.lead)
    letter_step = world.steps[0]
    response = _decide(client, review_id, token, ladder_step_id=str(letter_step.id))
    assert response.status_code == 303
    decision_url = re.search(r"#decision-(\d+)", response.headers["Location"])
    decision_id = int(decision_url.group(1))
    # Prefect is not configured in the tests: the decision waits in the outbox, and the
    # page shows a polling fragment.
    fragment = client.get(f"/decisions/{decision_id}/state", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and 'data-state="pending"' in fragment.get_data(as_text=True)
    assert 'hx-trigger="every 2s"' in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]
    # The sweep's outbox carries it out; the fragment then stops polling (286).
    # (The page records decisions at the real time, so the outbox runs after it.)
    service.apply_outbox(utcnow() + timedelta(hours=1))
    done = client.get(f"/decisions/{decision_id}/state", headers={"HX-Request": "true"})
    assert done.status_code == 286 and 'data-state="done"' in done.get_data(as_text=True)
    assert "hx-trigger" not in done.get_data(as_text=True)
    # Without htmx the same URL is a full page.
    assert "<html" in client.get(f"/decisions/{decision_id}/state").get_data(as_text=True)

    page = client.get(f"/engagements/{world.engagement.id}").get_data(as_text=True)
    letter_id = int(re.search(r'data-letter="(\d+)" data-letter-status="draft"', page).group(1))
    # Every participant can read the PDF; an outsider cannot even learn that it exists.
    _as(client, world.supporter_user, world.supporter)
    pdf = client.get(f"/letters/{letter_id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Content-Type"] == "application/pdf"
    _as(client, world.outsider_user, world.outsider)
    assert client.get(f"/letters/{letter_id}.pdf").status_code == 404
    assert client.get(f"/decisions/{decision_id}/state").status_code == 404


def test_only_leads_decide_and_outsiders_get_404(client, db_session, world):
    review_id = _open_review(world)
    token = _as(client, world.supporter_user, world.supporter)
    refused = _decide(client, review_id, token)
    assert refused.status_code == 403
    assert "lead and co-lead investors can do this" in refused.get_data(as_text=True)
    token = _as(client, world.outsider_user, world.outsider)
    assert _decide(client, review_id, token).status_code == 404
    assert client.get(f"/engagements/{world.engagement.id}").status_code == 404
    with system_scope("test"):
        assert db_session.scalar(sa.select(sa.func.count()).select_from(Decision)) == 0


def test_a_viewer_of_the_lead_organisation_cannot_decide(client, db_session, world):
    review_id = _open_review(world)
    with system_scope("test", db_session):
        viewer = f.user(db_session.get(type(world.lead), world.lead.id), OrgRole.VIEWER)
        db_session.commit()
        viewer_id = viewer.id
    token = _as(client, type("U", (), {"id": viewer_id}), world.lead)
    response = _decide(client, review_id, token)
    assert response.status_code == 403 and "Your role is viewer" in response.get_data(as_text=True)


def test_bad_decisions_are_explained_and_nothing_is_written(client, db_session, world):
    review_id = _open_review(world)
    token = _as(client, world.lead_user, world.lead)
    for form, message in [
        ({"kind": "extend", "new_due_on": "next week"}, "is not a date"),
        ({"kind": "extend", "new_due_on": "2020-01-01"}, "after today"),
        ({"kind": "close", "close_outcome": "maybe"}, "“maybe” is not one of the options"),
        ({"reason": "  "}, "needs a reason"),
        ({"ladder_step_id": "x"}, "is not a whole number"),
        ({"kind": "surrender"}, "“surrender” is not one of the options"),
    ]:
        response = _decide(client, review_id, token, **form)
        body = response.get_data(as_text=True)
        assert response.status_code == 400 and message in body and 'role="alert"' in body, form
    with system_scope("test"):
        assert db_session.scalar(sa.select(sa.func.count()).select_from(Decision)) == 0
        assert db_session.get(EscalationReview, review_id).status is ReviewStatus.OPEN


def test_a_refused_decision_keeps_what_the_lead_typed(client, db_session, world):
    """The decision form is shown again with its messages and its input, the reason too."""
    review_id = _open_review(world)
    token = _as(client, world.lead_user, world.lead)
    reason = "Board ignored our <second> letter & the AGM question"
    response = _decide(client, review_id, token, kind="extend", new_due_on="2020-01-01",
                       reason=reason)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    textarea = re.search(rf'<textarea id="reason-{review_id}"[^>]*>(.*?)</textarea>', body, re.S)
    assert textarea is not None
    assert textarea.group(1) == "Board ignored our &lt;second&gt; letter &amp; the AGM question"
    assert f'value="2020-01-01"' in body and re.search(r'value="extend"\s+checked', body)
    assert "after today" in body


def test_engagement_list_sorts_by_severity_to_people(client, db_session, world):
    with system_scope("test", db_session):
        lead = db_session.get(type(world.lead), world.lead.id)
        worse = f.engagement(f.company(), lead, severity_scale=5, severity_scope=5,
                             severity_irremediability=5, title="Forced labour in cotton")
        db_session.commit()
        worse_id = worse.id
    _as(client, world.lead_user, world.lead)
    html = client.get("/engagements").get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'data-engagement="(\d+)"', html)]
    assert ids[0] == worse_id and world.engagement.id in ids


def test_notifications_in_the_app(client, db_session, world):
    from engage.notifications.models import Notification

    review_id = _open_review(world)
    token = _as(client, world.lead_user, world.lead)
    home = client.get("/").get_data(as_text=True)
    assert 'data-unread="1"' in home
    page = client.get("/notifications").get_data(as_text=True)
    note_id = int(re.search(r'data-notification="(\d+)" data-kind="review_opened"', page).group(1))
    opened = client.post(f"/notifications/{note_id}/open", data={"csrf_token": token})
    assert opened.status_code == 303
    assert opened.headers["Location"] == f"/reviews/{review_id}"
    assert "data-unread" not in client.get("/").get_data(as_text=True)
    # Someone else, even of the same organisation, cannot open it.
    with system_scope("test", db_session):
        colleague = f.user(db_session.get(type(world.lead), world.lead.id))
        db_session.commit()
        colleague_id = colleague.id
    token = _as(client, type("U", (), {"id": colleague_id}), world.lead)
    assert client.post(f"/notifications/{note_id}/open", data={"csrf_token": token}).status_code == 404
    with system_scope("test"):
        assert db_session.get(Notification, note_id).user_id == world.lead_user.id


def test_admins_get_a_link_to_the_flow_run_in_prefect(app, client, db_session, world):
    review_id = _open_review(world)
    token = _as(client, world.lead_user, world.lead)
    _decide(client, review_id, token, ladder_step_id=str(world.steps[0].id))
    with system_scope("test"):
        decision = db_session.scalar(sa.select(Decision))
        decision.flow_run_id = "0b5e3f00-0000-4000-8000-000000000001"
        db_session.commit()
        decision_id = decision.id
    app.config["PREFECT_API_URL"] = "http://127.0.0.1:4200/api"
    try:
        member_view = client.get(f"/decisions/{decision_id}/state").get_data(as_text=True)
        assert "Flow run in Prefect" not in member_view
        with system_scope("test", db_session):
            db_session.scalar(sa.select(OrgMembership).where(
                OrgMembership.user_id == world.lead_user.id)).role = OrgRole.ADMIN
            db_session.commit()
        admin_view = client.get(f"/engagements/{world.engagement.id}").get_data(as_text=True)
        assert "http://127.0.0.1:4200/runs/flow-run/0b5e3f00-0000-4000-8000-000000000001" in admin_view
    finally:
        app.config["PREFECT_API_URL"] = None


def test_engagement_list_paginates_with_a_constant_number_of_queries(app, client, db_session, world, count_queries):
    _as(client, world.lead_user, world.lead)

    def add(n):
        with system_scope("test", db_session):
            lead = db_session.get(type(world.lead), world.lead.id)
            for _ in range(n):
                f.milestone(f.engagement(f.company(), lead))
            db_session.commit()

    add(2)
    with count_queries() as few:
        assert client.get("/engagements").status_code == 200
    add(30)
    with count_queries() as many:
        html = client.get("/engagements").get_data(as_text=True)
    assert few.count == many.count, (few.statements, many.statements)
    assert len(re.findall(r'data-engagement="\d+"', html)) == app.config["ENGAGE_PAGE_SIZE"]
    assert "Page 1 of 2" in html
    second = client.get("/engagements?page=2").get_data(as_text=True)
    assert len(re.findall(r'data-engagement="\d+"', second)) == 33 - app.config["ENGAGE_PAGE_SIZE"]
    assert client.get("/engagements?page=x").status_code == 400  # a bad page number is named
