"""Drafting and signing a letter: the leads write the draft in English or Dutch beside a
preview that is exactly the PDF; it names the coalition and a contact and says nothing
internal; opened for signing its text is frozen; each organisation signs or declines; a
lead who changes the text withdraws the signatures first; a sent letter never changes."""

from __future__ import annotations

import html
import io
import re

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from engage.engagements.models import Letter, LetterDecline, LetterStatus, Signature
from engage.escalations import service
from engage.organisations.models import Organisation
from engage.organisations.tokens import create_token
from engage.tenancy import as_organisation, system_scope
from tests.engagements.conftest import HX, act_as, audit_actions, post
from tests.escalations.conftest import NOW

REASON = "No credible plan after two reminders; the CFO seemed evasive"


@pytest.fixture
def letter_id(db_session, world):
    """The letter the lead's escalation drafted (the ladder's first step)."""
    service.open_overdue_reviews(NOW)
    with system_scope("test"):
        from engage.escalations.models import EscalationReview

        review_id = db_session.scalar(sa.select(EscalationReview.id))
    decision = service.record_decision(review_id, "escalate", actor=world.lead_user,
                                       organisation_id=world.lead.id, reason=REASON, now=NOW)
    service.apply_decision(decision.id, NOW)
    db_session.commit()
    with system_scope("test"):
        return db_session.scalar(sa.select(Letter.id))


def _letter(db_session, letter_id) -> Letter:
    with system_scope("test"):
        letter = db_session.get(Letter, letter_id)
        db_session.refresh(letter)
        return letter


def _pdf_text(client, letter_id) -> str:
    response = client.get(f"/letters/{letter_id}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.data))
    return _words(" ".join(page.extract_text() for page in reader.pages))


def _words(text: str) -> str:
    return " ".join(text.replace("•", " ").split())


def _html_text(fragment: str) -> str:
    return _words(html.unescape(re.sub(r"<[^>]+>", " ", fragment)))


def _names(db_session, world):
    with system_scope("test"):
        lead = db_session.get(Organisation, world.lead.id).name
        user = db_session.get(type(world.lead_user), world.lead_user.id)
        return lead, user.name, user.email


def test_the_draft_reads_as_sentences_names_the_coalition_and_keeps_internal_notes_out(
        client, db_session, world, letter_id):
    letter = _letter(db_session, letter_id)
    lead, user_name, user_email = _names(db_session, world)
    text = letter.body_text
    assert letter.status == LetterStatus.DRAFT and letter.language.value == "en"
    paragraphs = text.split("\n\n")
    assert paragraphs[0].startswith("To the Board of Directors of ")
    assert f"in an engagement led by {lead}, about the following concern." in paragraphs[1]
    assert paragraphs[2] == "Wages below a living wage in the supply chain."
    assert "The people affected: garment workers." in text
    assert "We ask the company to:\n- Pay a living wage." in text
    assert ("Without a credible answer, we will ask for a meeting with the Board or its chair."
            in text)
    for pasted in ("..", "., ", "about Wages", "is meeting with board"):
        assert pasted not in text
    # Nothing internal: no dialogue summary, no decision reason.
    assert "no commitment to a roadmap" not in text and "evasive" not in text
    assert "two reminders" not in text
    # The document names the sender and a contact: the drafting user, unless a lead changes it.
    act_as(client, world.supporter_user, world.supporter)
    pdf = _pdf_text(client, letter_id)
    assert pdf.startswith(f"DRAFT · not sent From {lead} ")
    assert f"Contact: {user_name}, {user_email} ({lead})" in pdf
    assert "No investor has signed this letter yet." in pdf
    assert "evasive" not in pdf and "no commitment to a roadmap" not in pdf


def test_a_dutch_letter_and_the_text_that_stays_the_leads(client, db_session, world, letter_id):
    token = act_as(client, world.lead_user, world.lead)
    english = _letter(db_session, letter_id)
    # Untouched, the draft is written again in Dutch (the text sent along unchanged).
    response = post(client, f"/letters/{letter_id}/draft", token, language="nl",
                    title=english.title, body_text=english.body_text.replace("\n", "\r\n"))
    assert response.status_code == 303
    dutch = _letter(db_session, letter_id)
    assert dutch.language.value == "nl" and dutch.edited_at is None
    assert dutch.title.startswith("Brief aan het bestuur van ")
    assert dutch.body_text.startswith("Aan het bestuur van ")
    assert ("Zonder geloofwaardig antwoord zullen wij om een gesprek met het bestuur "
            "of de voorzitter vragen.") in dutch.body_text
    assert "Wij vragen het bedrijf:\n- Pay a living wage." in dutch.body_text
    pdf = _pdf_text(client, letter_id)
    assert pdf.startswith("CONCEPT · niet verzonden Van ")
    assert "Nog geen belegger heeft deze brief ondertekend." in pdf
    # Edited, the text is the lead's: another language changes only the frame.
    mine = dutch.body_text + "\n\nMet vriendelijke groet,"
    assert post(client, f"/letters/{letter_id}/draft", token, body_text=mine).status_code == 303
    assert post(client, f"/letters/{letter_id}/draft", token, language="en").status_code == 303
    kept = _letter(db_session, letter_id)
    assert kept.body_text == mine and kept.language.value == "en" and kept.edited_at is not None
    assert _pdf_text(client, letter_id).startswith("DRAFT · not sent ")
    assert audit_actions(db_session, "letter.update") >= 3


def test_the_preview_is_the_pdf_and_the_leads_text_is_escaped(client, db_session, world, letter_id):
    token = act_as(client, world.lead_user, world.lead)
    page = client.get(f"/letters/{letter_id}").get_data(as_text=True)
    assert 'id="letter-editor"' in page and 'hx-trigger="keyup changed delay:500ms, change"' in page
    typed = ("Dear Board,\n\nWe <script>alert(1)</script> ask you & your chair:\n- to meet us\n"
             "- to publish a plan\n\nYours sincerely,")
    form = {"title": "Our letter", "body_text": typed, "contact_name": "Ann Lee",
            "contact_email": "ann@example.org"}
    preview = post(client, f"/letters/{letter_id}/preview", token, htmx=True, **form)
    assert preview.status_code == 200 and "HX-Request" in preview.headers["Vary"]
    fragment = preview.get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="letter-preview"')
    assert "<script>" not in fragment and "&lt;script&gt;alert(1)&lt;/script&gt;" in fragment
    assert "<li>to meet us</li>" in fragment and "Contact: Ann Lee, ann@example.org" in fragment
    assert _letter(db_session, letter_id).title != "Our letter"  # a preview saves nothing
    # Without JavaScript, the Preview button shows the page with the text kept.
    plain = post(client, f"/letters/{letter_id}/preview", token, **form).get_data(as_text=True)
    assert "<html" in plain and "Yours sincerely," in plain and "ann@example.org" in plain
    # Saved, the PDF says word for word what the preview said.
    assert post(client, f"/letters/{letter_id}/draft", token, **form).status_code == 303
    assert _pdf_text(client, letter_id) == _html_text(fragment)
    # Bad input: the page again (400), with the message and what was typed.
    bad = post(client, f"/letters/{letter_id}/draft", token, body_text="  ", title="Our letter",
               contact_email="not an address")
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "This cannot be empty." in text
    assert "Give an e-mail address" in text and 'value="not an address"' in text


def _sign(client, token, letter_id, version=None):
    form = {"version": version} if version is not None else {}
    return post(client, f"/engagements/letters/{letter_id}/sign", token, **form)


def test_draft_then_signing_then_a_change_of_text_withdraws_signatures(
        client, db_session, world, letter_id):
    # Nobody signs a draft, and only leads edit or open it.
    token = act_as(client, world.supporter_user, world.supporter)
    refused = _sign(client, token, letter_id)
    assert refused.status_code == 400 and "not open for signing" in refused.get_data(as_text=True)
    assert post(client, f"/letters/{letter_id}/open", token).status_code == 403
    assert post(client, f"/letters/{letter_id}/draft", token, body_text="x").status_code == 403
    lead_token = act_as(client, world.lead_user, world.lead)
    assert post(client, f"/letters/{letter_id}/open", lead_token).status_code == 303
    letter = _letter(db_session, letter_id)
    assert letter.status == LetterStatus.OPEN_FOR_SIGNING and letter.opened_at is not None
    version = letter.signing_version
    # Open, the text is frozen.
    frozen = post(client, f"/letters/{letter_id}/draft", lead_token, body_text="Changed")
    assert frozen.status_code == 400 and "text is frozen" in frozen.get_data(as_text=True)
    # The supporter signs; the co-lead declines with a reason, shown to the leads.
    token = act_as(client, world.supporter_user, world.supporter)
    assert _sign(client, token, letter_id, version).status_code == 303
    token = act_as(client, world.co_lead_user, world.co_lead)
    declined = post(client, f"/engagements/letters/{letter_id}/decline", token, htmx=True,
                    reason="Our mandate does not cover this")
    assert declined.status_code == 200
    assert "declined to sign on" in declined.get_data(as_text=True)
    assert post(client, f"/engagements/letters/{letter_id}/decline", token).status_code == 400
    act_as(client, world.lead_user, world.lead)
    page = client.get(f"/engagements/{world.engagement.id}").get_data(as_text=True)
    assert f'data-declined="{world.co_lead.id}"' in page and "Our mandate does not cover this" in page
    pdf = _pdf_text(client, letter_id)
    assert "Signed by 1 investor" in pdf
    with system_scope("test"):
        co_lead_name = db_session.get(Organisation, world.co_lead.id).name
    assert co_lead_name not in pdf  # a declined organisation is no signatory
    # The lead returns the letter to draft: refused until the withdrawal is confirmed.
    lead_token = act_as(client, world.lead_user, world.lead)
    unconfirmed = post(client, f"/letters/{letter_id}/return-to-draft", lead_token)
    assert unconfirmed.status_code == 400
    assert "withdraws its signature" in unconfirmed.get_data(as_text=True)
    assert _letter(db_session, letter_id).status == LetterStatus.OPEN_FOR_SIGNING
    assert post(client, f"/letters/{letter_id}/return-to-draft", lead_token,
                withdraw_signatures="1").status_code == 303
    with system_scope("test"):
        assert db_session.scalar(sa.select(sa.func.count()).select_from(Signature)) == 0
        assert db_session.scalar(sa.select(sa.func.count()).select_from(LetterDecline)) == 0
    assert audit_actions(db_session, "signature.delete") == 1
    assert audit_actions(db_session, "letter_decline.delete") == 1
    # Changed and reopened: a signature given to the earlier opening does not attach.
    assert post(client, f"/letters/{letter_id}/draft", lead_token,
                body_text="A shorter letter.").status_code == 303
    assert post(client, f"/letters/{letter_id}/open", lead_token).status_code == 303
    token = act_as(client, world.supporter_user, world.supporter)
    stale = _sign(client, token, letter_id, version)
    assert stale.status_code == 400 and "read it again" in stale.get_data(as_text=True)
    # The co-lead, who declined before, may sign now; its decline goes.
    token = act_as(client, world.co_lead_user, world.co_lead)
    post(client, f"/engagements/letters/{letter_id}/decline", token)
    assert _sign(client, token, letter_id, _letter(db_session, letter_id).signing_version
                 ).status_code == 303
    with system_scope("test"):
        assert db_session.scalar(sa.select(sa.func.count()).select_from(LetterDecline)) == 0
    assert audit_actions(db_session, "letter_decline.create") == 2


def _token(db_session, org, user, scope="write") -> dict:
    with system_scope("test"):
        org = db_session.get(Organisation, org.id)
        user = db_session.get(type(user), user.id)
    with as_organisation(org.id):
        secret = create_token(db_session, organisation=org, name=f"t{user.id}{scope}",
                              scope=scope, created_by=user).secret
        db_session.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_the_api_drafts_opens_declines_and_a_sent_letter_never_changes(
        client, db_session, world, letter_id):
    lead = _token(db_session, world.lead, world.lead_user)
    supporter = _token(db_session, world.supporter, world.supporter_user)
    co_lead = _token(db_session, world.co_lead, world.co_lead_user)
    url = f"/api/v1/letters/{letter_id}"
    assert client.patch(url, json={"body_text": "x"}, headers=supporter).status_code == 403
    bad = client.patch(url, json={"contact_email": "nobody"}, headers=lead)
    assert bad.status_code == 400 and bad.content_type == "application/problem+json"
    edited = client.patch(url, json={"language": "nl", "contact_name": "Ann Lee"}, headers=lead)
    assert edited.status_code == 200
    body = edited.get_json()
    assert body["language"] == "nl" and body["body_text"].startswith("Aan het bestuur van")
    assert body["contact_name"] == "Ann Lee" and body["declines"] == []
    early = client.post(f"{url}/declines", json={}, headers=co_lead)
    assert early.status_code == 409 and "not open for signing" in early.get_json()["detail"]
    opened = client.post(f"{url}/open", headers=lead)
    assert opened.status_code == 200 and opened.get_json()["status"] == "open_for_signing"
    assert client.patch(url, json={"title": "Other"}, headers=lead).status_code == 409
    made = client.post(f"{url}/declines", json={"reason": "Not now"}, headers=co_lead)
    assert made.status_code == 201 and made.get_json()["reason"] == "Not now"
    assert client.post(f"{url}/signatures", headers=supporter).status_code == 201
    listed = client.get(f"{url}/declines", headers=supporter).get_json()
    assert [d["reason"] for d in listed["items"]] == ["Not now"]
    refused = client.post(f"{url}/return-to-draft", json={}, headers=lead)
    assert refused.status_code == 400
    sent = client.post(f"{url}/send", json={"channel": "email"}, headers=lead)
    assert sent.status_code == 200 and sent.get_json()["status"] == "sent"
    # Sent: final, whatever is asked.
    for method, path, payload, headers in (
            ("patch", url, {"body_text": "Rewritten"}, lead),
            ("post", f"{url}/open", None, lead),
            ("post", f"{url}/return-to-draft", {"withdraw_signatures": True}, lead),
            ("post", f"{url}/declines", {}, supporter)):
        answer = getattr(client, method)(path, json=payload, headers=headers)
        assert answer.status_code == 409, (method, path, answer.get_json())
    letter = _letter(db_session, letter_id)
    assert letter.status == LetterStatus.SENT and letter.body_text == body["body_text"]
    act_as(client, world.lead_user, world.lead)
    page = client.get(f"/letters/{letter_id}").get_data(as_text=True)
    assert 'id="letter-editor"' not in page and 'id="letter-return"' not in page
    assert "De brief zoals verzonden" not in page and "The letter as sent" in page


def test_a_draft_stored_as_html_before_opens_in_the_editor_as_plain_text(
        client, db_session, world, letter_id):
    with system_scope("test"):
        letter = db_session.get(Letter, letter_id)
        letter.body_text = None
        letter.body_html = "<p>Dear board,</p>\n<ul><li>Pay &amp; publish</li></ul><p>Thanks</p>"
        db_session.commit()
    act_as(client, world.lead_user, world.lead)
    page = client.get(f"/letters/{letter_id}").get_data(as_text=True)
    assert "Dear board,\n\n- Pay &amp; publish\n\nThanks</textarea>" in page


def test_the_api_signature_goes_under_the_text_the_signer_read(
        client, db_session, world, letter_id):
    lead = _token(db_session, world.lead, world.lead_user)
    supporter = _token(db_session, world.supporter, world.supporter_user)
    co_lead = _token(db_session, world.co_lead, world.co_lead_user)
    url = f"/api/v1/letters/{letter_id}"
    assert client.get(url, headers=supporter).get_json()["signing_version"] == ""
    first = client.post(f"{url}/open", headers=lead).get_json()["signing_version"]
    assert first == _letter(db_session, letter_id).signing_version != ""
    # The version read: signed.
    signed = client.post(f"{url}/signatures", json={"signing_version": first}, headers=supporter)
    assert signed.status_code == 201
    assert signed.get_json()["organisation"]["id"] == world.supporter.id
    # Returned to draft, changed, opened again: the earlier version signs nothing.
    assert client.post(f"{url}/return-to-draft", json={"withdraw_signatures": True},
                       headers=lead).status_code == 200
    assert client.patch(url, json={"body_text": "A shorter letter."},
                        headers=lead).status_code == 200
    second = client.post(f"{url}/open", headers=lead).get_json()["signing_version"]
    assert second != first
    stale = client.post(f"{url}/signatures", json={"signing_version": first}, headers=supporter)
    assert stale.status_code == 409 and stale.content_type == "application/problem+json"
    assert "read it again" in stale.get_json()["detail"]
    with system_scope("test"):
        assert db_session.scalar(sa.select(sa.func.count()).select_from(Signature)) == 0
    # Without a body (as before), or with an empty object: the letter as it is open now.
    assert client.post(f"{url}/signatures", headers=supporter).status_code == 201
    assert client.post(f"{url}/signatures", json={}, headers=co_lead).status_code == 201
    with system_scope("test"):
        assert db_session.scalar(sa.select(sa.func.count()).select_from(Signature)) == 2
    bad = client.post(f"{url}/signatures", data="{", content_type="application/json",
                      headers=lead)
    assert bad.status_code == 400 and bad.content_type == "application/problem+json"


def test_organisations_whose_answers_are_withdrawn_are_told(client, db_session, world,
                                                            letter_id):
    """Back to draft: the signer and the decliner are notified, each of its own answer, in
    its own language, with the document named by its kind; nobody else is."""
    from engage.engagements.models import LetterKind
    from engage.notifications.models import Notification, NotificationKind
    from engage.organisations.models import User

    with system_scope("test", db_session):
        db_session.get(Letter, letter_id).kind = LetterKind.PUBLIC_STATEMENT
        db_session.execute(sa.update(User).where(User.id == world.co_lead_user.id)
                           .values(locale="nl"))
        db_session.commit()
    lead_token = act_as(client, world.lead_user, world.lead)
    assert post(client, f"/letters/{letter_id}/open", lead_token).status_code == 303
    token = act_as(client, world.supporter_user, world.supporter)
    assert _sign(client, token, letter_id).status_code == 303
    token = act_as(client, world.co_lead_user, world.co_lead)
    assert post(client, f"/engagements/letters/{letter_id}/decline", token).status_code == 303

    def told():
        with system_scope("test"):
            return {n.user_id: n for n in db_session.scalars(sa.select(Notification).where(
                Notification.kind == NotificationKind.SIGNATURE_WITHDRAWN))}

    assert told() == {}
    lead_token = act_as(client, world.lead_user, world.lead)
    assert post(client, f"/letters/{letter_id}/return-to-draft", lead_token,
                withdraw_signatures="1").status_code == 303
    notes = told()
    assert set(notes) == {world.supporter_user.id, world.co_lead_user.id}
    assert {n.link for n in notes.values()} == {f"/letters/{letter_id}"}
    title = _letter(db_session, letter_id).title
    # Each reads it as the page shows it, in its own language.
    act_as(client, world.supporter_user, world.supporter)
    page = html.unescape(client.get("/notifications").get_data(as_text=True))
    assert f"Back to draft, your answer withdrawn: {title}" in page
    assert "returned the statement" in page and "withdrew your organisation's signature" in page
    act_as(client, world.co_lead_user, world.co_lead)
    page = html.unescape(client.get("/notifications").get_data(as_text=True))
    assert "de verklaring" in page and "trokken de afwijzing van uw organisatie in" in page
    # Reopened, the participants are asked again to sign the new text.
    lead_token = act_as(client, world.lead_user, world.lead)
    with system_scope("test"):
        asked = db_session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
            Notification.kind == NotificationKind.LETTER_TO_SIGN))
    assert post(client, f"/letters/{letter_id}/open", lead_token).status_code == 303
    with system_scope("test"):
        assert db_session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
            Notification.kind == NotificationKind.LETTER_TO_SIGN)) == asked + 3
    # Returned with no signature or decline given, nobody is told of a withdrawal.
    assert post(client, f"/letters/{letter_id}/return-to-draft", lead_token).status_code == 303
    assert set(told()) == {world.supporter_user.id, world.co_lead_user.id}


def test_every_dutch_draft_calls_the_companys_board_het_bestuur(app, db_session, world):
    """Letters, statements, AGM questions and resolutions speak of the board in one word,
    the insurer's policy's: "het bestuur" (never "de Raad van Bestuur" in one and "het bestuur"
    in another)."""
    from engage.engagements.models import Engagement, LetterKind, LetterLanguage
    from engage.escalations import drafting

    with system_scope("test"):
        engagement = db_session.get(Engagement, world.engagement.id)
        drafts = {kind: drafting.generate(engagement, kind, LetterLanguage.NL, None,
                                          NOW.date()) for kind in LetterKind}
    for kind, (title, text) in drafts.items():
        assert "Raad van Bestuur" not in title + text, kind
    for kind in (LetterKind.LETTER_TO_BOARD, LetterKind.AGM_QUESTION, LetterKind.RESOLUTION):
        assert "het bestuur" in " ".join(drafts[kind]), kind
