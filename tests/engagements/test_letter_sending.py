"""Sending a letter: only with a signature, by a lead, not in the future; then it is final
(no more signing), the PDF carries the sent date, the dialogue log shows it, and the
company's answer is due by a milestone the sweep watches like any other."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from pypdf import PdfReader

from engage.engagements.models import (
    DialogueEntry,
    DialogueKind,
    Letter,
    LetterStatus,
    Milestone,
    Signature,
    Visibility,
)
from engage.escalations import service as engine
from engage.escalations.models import EscalationReview
from engage.organisations.tokens import create_token
from engage.tenancy import as_organisation, system_scope
from tests.engagements.conftest import act_as, post
from tests.engagements.test_letter_truth import letter_world  # noqa: F401 (fixture)


def _client(client, db_session, org, user, scope="write"):
    with as_organisation(org.id):
        secret = create_token(db_session, organisation=org, name=f"w{user.id}", scope=scope,
                              created_by=user).secret
        db_session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    return lambda path, body=None: client.post(f"/api/v1{path}", json=body, headers=headers)


def _loaded(db_session, c):
    with system_scope("test"):
        return {k: db_session.get(type(getattr(c, k)), getattr(c, k).id)
                for k in ("coordinator", "coordinator_user", "member", "member_user")}


def test_a_letter_nobody_signed_cannot_be_sent(client, db_session, letter_world):  # noqa: F811
    c, letter_id = letter_world
    w = _loaded(db_session, c)
    api = _client(client, db_session, w["coordinator"], w["coordinator_user"])
    refused = api(f"/letters/{letter_id}/send", {"channel": "email"})
    assert refused.status_code == 400
    assert "cannot be sent" in refused.get_json()["detail"] + str(refused.get_json())
    with system_scope("test"):
        letter = db_session.get(Letter, letter_id)
        assert letter.status == LetterStatus.OPEN_FOR_SIGNING and letter.sent_on is None
        assert db_session.scalar(sa.select(sa.func.count()).select_from(Milestone)
                                 .where(Milestone.title.like("Answer to%"))) == 0


def test_a_sent_letter_is_final_and_its_answer_is_due(client, db_session, letter_world):  # noqa: F811
    c, letter_id = letter_world
    token = act_as(client, c.coordinator_user, c.coordinator)
    assert post(client, f"/engagements/letters/{letter_id}/sign", token).status_code in (200, 303)
    w = _loaded(db_session, c)
    today = datetime.now(timezone.utc).date()
    lead = _client(client, db_session, w["coordinator"], w["coordinator_user"])
    # Not in the future; not by a supporter; the channel is one of the known ones.
    future = lead(f"/letters/{letter_id}/send",
                  {"channel": "post", "sent_on": (today + timedelta(days=2)).isoformat()})
    assert future.status_code == 400 and "future" in str(future.get_json())
    assert lead(f"/letters/{letter_id}/send", {"channel": "pigeon"}).status_code == 400
    supporter = _client(client, db_session, w["member"], w["member_user"])
    assert supporter(f"/letters/{letter_id}/send", {"channel": "post"}).status_code == 403

    sent = lead(f"/letters/{letter_id}/send",
                {"channel": "post", "sent_on": today.isoformat(), "response_days": 21})
    assert sent.status_code == 200, sent.get_json()
    body = sent.get_json()
    assert body["status"] == "sent" and body["sent_on"] == today.isoformat()
    assert body["sent_channel"] == "post" and body["signatory_count"] == 1
    with system_scope("test"):
        milestone = db_session.get(Milestone, body["response_milestone_id"])
        assert milestone.engagement_id == c.engagement.id and milestone.met_on is None
        assert milestone.due_on == today + timedelta(days=21)
        entry = db_session.scalars(sa.select(DialogueEntry).where(
            DialogueEntry.engagement_id == c.engagement.id,
            DialogueEntry.kind == DialogueKind.LETTER)).one()
        assert entry.visibility == Visibility.COALITION and entry.occurred_on == today
        assert "To the board" in entry.summary and "signed by 1 organisation;" in entry.summary
        due_on = milestone.due_on

    # Final: signing (page and API) and sending again are refused; one signature stays.
    token = act_as(client, c.member_user, c.member)
    page_sign = post(client, f"/engagements/letters/{letter_id}/sign", token)
    assert page_sign.status_code == 400 and "has been sent" in page_sign.get_data(as_text=True)
    api_sign = supporter(f"/letters/{letter_id}/signatures")
    assert api_sign.status_code == 409 and "has been sent" in api_sign.get_json()["detail"]
    again = lead(f"/letters/{letter_id}/send", {"channel": "email"})
    assert again.status_code == 409
    with system_scope("test"):
        assert db_session.scalar(sa.select(sa.func.count()).select_from(Signature)
                                 .where(Signature.letter_id == letter_id)) == 1

    # The PDF carries the sent date and is no longer a draft.
    pdf = client.get(f"/letters/{letter_id}.pdf")
    text = " ".join(PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text().split())
    assert f"Sent on {today:%B} {today.day}, {today.year}" in text and "DRAFT" not in text

    # Unanswered: the sweep past the due date opens a review of the letter's milestone.
    before = datetime.combine(due_on, datetime.min.time(), timezone.utc) - timedelta(days=1)
    assert engine.open_overdue_reviews(before) == []
    after = datetime.combine(due_on + timedelta(days=1), datetime.min.time(), timezone.utc)
    opened = engine.open_overdue_reviews(after + timedelta(hours=12))
    assert opened == [f"milestone:{body['response_milestone_id']}:v1"]
    with system_scope("test"):
        assert db_session.scalar(sa.select(EscalationReview.milestone_id)) == \
            body["response_milestone_id"]


def test_a_lead_marks_the_letter_sent_in_the_page(client, db_session, letter_world):  # noqa: F811
    c, letter_id = letter_world
    token = act_as(client, c.member_user, c.member)
    assert post(client, f"/engagements/letters/{letter_id}/sign", token).status_code in (200, 303)
    page = client.get(f"/engagements/{c.engagement.id}").get_data(as_text=True)
    assert "Mark sent" not in page  # a supporter signs; it does not send
    assert post(client, f"/engagements/letters/{letter_id}/send", token,
                channel="post").status_code == 403
    token = act_as(client, c.co_lead_user, c.co_lead)
    page = client.get(f"/engagements/{c.engagement.id}").get_data(as_text=True)
    assert "Mark sent" in page
    # Bad input: 400, the form keeps what was typed; without the CSRF token: refused.
    bad = post(client, f"/engagements/letters/{letter_id}/send", token, htmx=True,
               channel="email", sent_on="2999-01-01", response_days="45")
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "cannot be sent in the future" in text
    assert 'value="2999-01-01"' in text and 'value="45"' in text
    no_csrf = client.post(f"/engagements/letters/{letter_id}/send", data={"channel": "post"})
    assert no_csrf.status_code == 400
    with system_scope("test"):
        assert db_session.get(Letter, letter_id).status == LetterStatus.OPEN_FOR_SIGNING
    done = post(client, f"/engagements/letters/{letter_id}/send", token, htmx=True,
                channel="hand_delivered")
    text = done.get_data(as_text=True)
    assert done.status_code == 200 and f'id="letter-{letter_id}-sent"' in text
    assert "hand-delivered" in text and "Mark sent" not in text
    with system_scope("test"):
        letter = db_session.get(Letter, letter_id)
        assert letter.status == LetterStatus.SENT and letter.sent_channel == "hand_delivered"


def test_the_company_answer_meets_the_response_milestone(client, db_session, letter_world):  # noqa: F811
    c, letter_id = letter_world
    token = act_as(client, c.coordinator_user, c.coordinator)
    assert post(client, f"/engagements/letters/{letter_id}/sign", token).status_code in (200, 303)
    w = _loaded(db_session, c)
    lead = _client(client, db_session, w["coordinator"], w["coordinator_user"])
    # Not before it is sent.
    early = lead(f"/letters/{letter_id}/answer", {"summary": "A plan follows"})
    assert early.status_code == 400 and "Only a sent letter" in str(early.get_json())
    body = lead(f"/letters/{letter_id}/send", {"channel": "email"}).get_json()
    milestone_id = body["response_milestone_id"]
    # A supporter may not log it; an empty answer is refused with the field kept (page).
    supporter = _client(client, db_session, w["member"], w["member_user"])
    assert supporter(f"/letters/{letter_id}/answer", {"summary": "x"}).status_code == 403
    bad = post(client, f"/engagements/letters/{letter_id}/answer", token, htmx=True,
               answered_on="2999-01-01", summary="")
    assert bad.status_code == 400 and 'value="2999-01-01"' in bad.get_data(as_text=True)
    answered = post(client, f"/engagements/letters/{letter_id}/answer", token, htmx=True,
                    summary="The board will publish a wage roadmap in March")
    assert answered.status_code == 200
    today = datetime.now(timezone.utc).date()
    with system_scope("test"):
        milestone = db_session.get(Milestone, milestone_id)
        assert milestone.met_on is not None and milestone.met_on <= today
        assert milestone.evidence == "The board will publish a wage roadmap in March"
        assert db_session.scalar(sa.select(sa.func.count()).select_from(DialogueEntry).where(
            DialogueEntry.summary.like("The company answered%"))) == 1
        due_on = milestone.due_on
    # Answered: the sweep past the due date opens no review.
    after = datetime.combine(due_on + timedelta(days=2), datetime.min.time(), timezone.utc)
    assert engine.open_overdue_reviews(after) == []
