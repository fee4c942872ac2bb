"""AGM questions, resolutions and public statements: drafted by the escalation step, signed
like a letter, then asked, filed or published; a resolution's filing deadline and threshold,
of which each organisation sees only the aggregate."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from engage.audit.models import AuditEvent
from engage.companies.models import Company
from engage.engagements import service as engagements
from engage.engagements.models import (
    DialogueEntry,
    DialogueKind,
    Letter,
    LetterKind,
    LetterStatus,
    Milestone,
)
from engage.engagements.service import EngagementError, LetterSent
from engage.escalations import documents, resolutions, sending, service
from engage.escalations.models import Resolution, StepKind
from engage.escalations.signing import edit_draft, open_for_signing
from engage.tenancy import as_organisation, system_scope
from tests import factories as f
from tests.escalations.conftest import NOW, TODAY

KINDS = (StepKind.AGM_QUESTION, StepKind.CO_FILE_RESOLUTION, StepKind.PUBLIC_STATEMENT)


@pytest.fixture
def drafted(world, db_session):
    """Escalate three times, to an AGM question, a resolution and a public statement; the
    documents by kind (ids)."""
    with system_scope("test: a ladder of documents"):
        ladder = f.ladder(kinds=KINDS)
        steps = sorted(ladder.steps, key=lambda s: s.position)
        step_ids = [s.id for s in steps]
        engagement = db_session.get(type(world.engagement), world.engagement.id)
        engagement.ladder_id = ladder.id
        db_session.commit()
    ids = {}
    for position, step_id in enumerate(step_ids):
        review_ids = service.open_overdue_reviews(NOW + timedelta(days=position))
        with system_scope("test"):
            review_id = db_session.scalar(
                sa.select(sa.text("id")).select_from(sa.text("escalation_review"))
                .where(sa.text("status = 'open'")))
        assert review_id, review_ids
        decision = service.record_decision(
            review_id, "escalate", actor=world.lead_user, organisation_id=world.lead.id,
            now=NOW, reason="No credible plan", ladder_step_id=step_id)
        assert service.apply_decision(decision.id, NOW) is not None
        assert service.apply_decision(decision.id, NOW) is None
        with system_scope("test"):
            letter = db_session.scalar(sa.select(Letter).where(Letter.decision_id == decision.id))
            ids[letter.kind] = letter.id
            # Every document is drafted for the leads, in plain text: a lead opens it for signing.
        assert letter.status == LetterStatus.DRAFT and letter.body_text
        with as_organisation(world.lead.id):
            open_for_signing(db_session.get(Letter, ids[letter.kind]), actor=world.lead_user,
                             organisation_id=world.lead.id, now=NOW)
            db_session.commit()
        with system_scope("test"):
            # The next review needs an overdue milestone again.
            db_session.add(Milestone(engagement_id=world.engagement.id, title=f"m{position}",
                                     due_on=TODAY - timedelta(days=5)))
            db_session.commit()
    return ids


def _letter(db_session, org, letter_id):
    with as_organisation(org.id):
        return db_session.get(Letter, letter_id)


def _sign(db_session, org, user, letter_id):
    with as_organisation(org.id):
        engagements.co_sign(db_session.get(Letter, letter_id), actor=user, organisation_id=org.id)
        db_session.commit()


def _resolution(db_session, org, letter_id):
    """The resolution's terms as plain values (the scope's end detaches the row)."""
    with as_organisation(org.id):
        row = resolutions.of_letter(letter_id)
        return type("Terms", (), {"id": row.id, "threshold_eur": row.threshold_eur})


def test_the_steps_draft_a_question_a_resolution_and_a_statement_once(world, drafted, db_session):
    assert set(drafted) == {LetterKind.AGM_QUESTION, LetterKind.RESOLUTION,
                            LetterKind.PUBLIC_STATEMENT}
    with as_organisation(world.lead.id):
        question = db_session.get(Letter, drafted[LetterKind.AGM_QUESTION])
        resolution_doc = db_session.get(Letter, drafted[LetterKind.RESOLUTION])
        assert question.status == LetterStatus.OPEN_FOR_SIGNING
        assert question.title.startswith("Question to the annual general meeting of")
        assert "we ask the Board the following question" in question.body_html
        assert "The general meeting of shareholders of" in resolution_doc.body_html
        # The lead's internal reason and the dialogue summaries are not the company's to read.
        for doc in (question, resolution_doc):
            assert "No credible plan" not in doc.body_html
            assert "head of sourcing" not in doc.body_html
        terms = resolutions.of_letter(resolution_doc.id)
        # No AGM date known: the next 30 June whose 60-day filing deadline is still ahead.
        assert terms.agm_on == date(2027, 6, 30) and terms.filing_days == 60
        assert terms.filing_deadline == date(2027, 5, 1)
        assert terms.threshold_eur is None
        assert db_session.scalar(sa.select(sa.func.count()).select_from(Resolution)) == 1


def test_the_first_agm_is_one_whose_filing_deadline_has_not_passed():
    today = date(2027, 3, 1)
    assert resolutions.first_agm(date(2027, 6, 1), today) == date(2027, 6, 1)
    # Too close to file for: 20 April is less than 60 days away.
    assert resolutions.first_agm(date(2027, 4, 20), today) == date(2027, 6, 30)
    assert resolutions.first_agm(None, date(2027, 4, 15)) == date(2028, 6, 30)


def _file(db_session, world, letter_id, **kw):
    kw.setdefault("where", "email")
    with as_organisation(world.lead.id):
        letter = db_session.get(Letter, letter_id)
        documents.make_public(letter, actor=world.lead_user, organisation_id=world.lead.id,
                              now=NOW, **kw)
        db_session.commit()


def test_a_resolution_is_filed_only_when_the_co_filers_meet_the_threshold(world, drafted, db_session):
    letter_id = drafted[LetterKind.RESOLUTION]
    with system_scope("test: holdings"):
        company = world.engagement.company_id
        for org, value in ((world.lead, "400000"), (world.supporter, "250000.50"),
                           (world.outsider, "9000000")):
            f.holding(org, db_session.get(Company, company), value)
        db_session.commit()
    with pytest.raises(EngagementError, match="No organisation has signed"):
        _file(db_session, world, letter_id)
    _sign(db_session, world.lead, world.lead_user, letter_id)
    _sign(db_session, world.supporter, world.supporter_user, letter_id)
    with pytest.raises(EngagementError, match="threshold .* is not set"):
        _file(db_session, world, letter_id)
    # A direct engagement: its lead sets the threshold; a supporter may not.
    with as_organisation(world.supporter.id):
        with pytest.raises(EngagementError, match="sets the threshold"):
            resolutions.set_threshold(resolutions.of_letter(letter_id), actor=world.supporter_user,
                                      organisation_id=world.supporter.id, now=NOW,
                                      threshold_eur="1")
    with as_organisation(world.lead.id):
        terms = resolutions.of_letter(letter_id)
        with pytest.raises(EngagementError) as bad:
            resolutions.set_threshold(terms, actor=world.lead_user, organisation_id=world.lead.id,
                                      now=NOW, threshold_eur="a lot")
        assert "threshold_eur" in bad.value.errors
        resolutions.set_threshold(terms, actor=world.lead_user, organisation_id=world.lead.id,
                                  now=NOW, threshold_eur="700000")
        db_session.commit()
    # The outsider's 9 million do not count: it did not co-file. 650,000.50 < 700,000.
    for org in (world.lead, world.supporter):
        with as_organisation(org.id):
            seen = resolutions.support(resolutions.of_letter(letter_id), TODAY)
        assert (seen.co_filers, seen.met, seen.total_eur) == (2, False, None)
    with pytest.raises(EngagementError, match="do not meet the threshold"):
        _file(db_session, world, letter_id)
    _sign(db_session, world.co_lead, world.co_lead_user, letter_id)
    with system_scope("test: holdings"):
        f.holding(world.co_lead, db_session.get(Company, company), "50000")
        db_session.commit()
    with as_organisation(world.supporter.id):
        seen = resolutions.support(resolutions.of_letter(letter_id), TODAY)
    # Three holders: the total is shown (no single position can be told from it).
    assert (seen.co_filers, seen.met, seen.total_eur) == (3, True, Decimal("700000.50"))
    with pytest.raises(EngagementError) as late:
        _file(db_session, world, letter_id, on=TODAY + timedelta(days=1))
    assert "filed_on" in late.value.errors
    _file(db_session, world, letter_id, where="portal")
    with as_organisation(world.supporter.id):
        letter = db_session.get(Letter, letter_id)
        assert (letter.status, letter.sent_on, letter.sent_channel) == (
            LetterStatus.SENT, TODAY, "portal")
        vote = db_session.get(Milestone, letter.response_milestone_id)
        assert vote.due_on == date(2027, 6, 30) and "Vote at the AGM" in vote.title
        entry = db_session.scalars(sa.select(DialogueEntry).order_by(DialogueEntry.id.desc())).first()
        assert entry.summary.startswith("Filed “") and "co-filed by 3 organisations" in entry.summary
        # Filed: final, like a sent letter.
        with pytest.raises(LetterSent):
            resolutions.set_threshold(resolutions.of_letter(letter_id), actor=world.lead_user,
                                      organisation_id=world.lead.id, now=NOW, threshold_eur="1")
    with pytest.raises(LetterSent):
        _sign(db_session, world.lead, world.lead_user, letter_id)
    with system_scope("test"):
        changes = db_session.scalars(sa.select(AuditEvent.object_type).where(
            AuditEvent.object_type == "resolution")).all()
    assert changes  # the threshold's changes are in the audit trail


def test_the_filing_terms_are_the_leads_to_correct(world, drafted, db_session):
    letter_id = drafted[LetterKind.RESOLUTION]
    with as_organisation(world.lead.id):
        terms = resolutions.of_letter(letter_id)
        with pytest.raises(EngagementError) as bad:
            resolutions.set_filing(terms, actor=world.lead_user, organisation_id=world.lead.id,
                                   now=NOW, agm_on=TODAY.isoformat(), filing_days="400")
        assert set(bad.value.errors) == {"agm_on", "filing_days"}
        resolutions.set_filing(terms, actor=world.lead_user, organisation_id=world.lead.id,
                               now=NOW, agm_on="2027-05-20", filing_days="42")
        db_session.commit()
        assert resolutions.of_letter(letter_id).filing_deadline == date(2027, 4, 8)
    with as_organisation(world.supporter.id):
        with pytest.raises(EngagementError, match="lead and co-lead"):
            resolutions.set_filing(resolutions.of_letter(letter_id), actor=world.supporter_user,
                                   organisation_id=world.supporter.id, now=NOW, filing_days="10")


def test_a_statement_is_published_and_a_question_asked(world, drafted, db_session):
    statement, question = drafted[LetterKind.PUBLIC_STATEMENT], drafted[LetterKind.AGM_QUESTION]
    _sign(db_session, world.supporter, world.supporter_user, statement)
    _sign(db_session, world.supporter, world.supporter_user, question)
    with as_organisation(world.lead.id):
        with pytest.raises(EngagementError, match="made public instead"):
            sending.send_letter(db_session.get(Letter, statement), actor=world.lead_user,
                                organisation_id=world.lead.id, now=NOW, channel="email")
        with pytest.raises(EngagementError) as bad:
            documents.make_public(db_session.get(Letter, statement), actor=world.lead_user,
                                  organisation_id=world.lead.id, now=NOW, where="email",
                                  on="yesterday")
        assert set(bad.value.errors) == {"published_on", "published_in"}
    _file(db_session, world, statement, where="press_release", response_days="14")
    _file(db_session, world, question, where="at_the_meeting")
    with as_organisation(world.co_lead.id):
        published = db_session.get(Letter, statement)
        asked = db_session.get(Letter, question)
        assert (published.sent_channel, asked.sent_channel) == ("press_release", "at_the_meeting")
        response = db_session.get(Milestone, published.response_milestone_id)
        assert response.due_on == TODAY + timedelta(days=14)
        assert asked.response_milestone_id is None  # answered at the meeting itself
        kinds = db_session.scalars(sa.select(DialogueEntry.kind).order_by(DialogueEntry.id)).all()
        assert DialogueKind.AGM_QUESTION in kinds
        assert b"%PDF" == documents.pdf(asked)[:4]
        html = documents.document(published)
        assert "Published on" in html and "in a press release" in html and "DRAFT" not in html


def test_the_document_shows_draft_and_exactly_its_signatories(world, drafted, db_session):
    letter_id = drafted[LetterKind.RESOLUTION]
    with as_organisation(world.lead.id):
        html = documents.document(db_session.get(Letter, letter_id))
    assert "DRAFT · not filed" in html and "No investor has co-filed this resolution yet" in html
    # The letter's frame: the sender and the contact, the AGM in the document's language.
    assert f"From {world.lead.name}" in html and "Contact: " in html
    assert "For the annual general meeting of June 30, 2027." in html
    _sign(db_session, world.supporter, world.supporter_user, letter_id)
    with system_scope("test: holdings"):
        f.holding(world.supporter, db_session.get(Company, world.engagement.company_id), "123456.78")
        db_session.commit()
    with as_organisation(world.lead.id):
        html = documents.document(db_session.get(Letter, letter_id))
    assert "Co-filed by 1 shareholder:" in html and world.supporter.name in html
    assert "123456" not in html and "123,456" not in html  # names, never holdings


# --- the page ------------------------------------------------------------------------------------


def _page(client, world):
    response = client.get(f"/engagements/{world.engagement.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_on_the_page_each_organisation_sees_only_the_aggregate(client, world, drafted, db_session,
                                                              frozen_clock):
    from tests.conftest import login_as
    from tests.oidc_support import csrf_token

    frozen_clock(NOW)
    letter_id = drafted[LetterKind.RESOLUTION]
    with system_scope("test: holdings"):
        company = db_session.get(Company, world.engagement.company_id)
        f.holding(world.lead, company, "400000")
        f.holding(world.supporter, company, "123456.78")
        db_session.commit()
    _sign(db_session, world.lead, world.lead_user, letter_id)
    _sign(db_session, world.supporter, world.supporter_user, letter_id)
    login_as(client, world.lead_user, world.lead)
    token = csrf_token(client)
    page = _page(client, world)
    assert f'id="letter-{letter_id}-deadline" data-deadline="2027-05-01"' in page
    assert "60 days before the AGM" in page and 'data-met="none"' in page
    # Bad input: 400, the message by the field, what was typed kept; nothing written.
    bad = client.post(f"/engagements/resolutions/{_resolution(db_session, world.lead, letter_id).id}"
                      "/threshold", data={"threshold_eur": "lots", "csrf_token": token})
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert f'id="letter-{letter_id}-threshold_eur-error"' in text and 'value="lots"' in text
    assert _resolution(db_session, world.lead, letter_id).threshold_eur is None
    # Without the CSRF token: refused.
    assert client.post(f"/engagements/resolutions/{_resolution(db_session, world.lead, letter_id).id}"
                       "/threshold", data={"threshold_eur": "1"}).status_code == 400
    ok = client.post(f"/engagements/resolutions/{_resolution(db_session, world.lead, letter_id).id}"
                     "/threshold", data={"threshold_eur": "500000", "csrf_token": token},
                     headers={"HX-Request": "true"})
    assert ok.status_code == 200 and 'data-met="yes"' in ok.get_data(as_text=True)
    for user, org in ((world.lead_user, world.lead), (world.co_lead_user, world.co_lead),
                      (world.supporter_user, world.supporter)):
        login_as(client, user, org)
        page = _page(client, world)
        assert 'data-met="yes"' in page
        assert "at least three co-filers" in page  # two holders: no total
        for position in ("400", "123", "523"):  # neither position, nor the sum of the two
            assert f"€{position}" not in page and f"{position}K" not in page, position
        pdf = client.get(f"/letters/{letter_id}.pdf")
        assert pdf.status_code == 200 and pdf.data[:4] == b"%PDF"
    # Only the lead's side has the forms; the supporter sees none.
    assert "resolution-threshold" not in page and "document-publish" not in page
    login_as(client, world.lead_user, world.lead)
    token = csrf_token(client)
    filed = client.post(f"/engagements/letters/{letter_id}/publish",
                        data={"filed_on": "", "channel": "hand_delivered", "csrf_token": token})
    assert filed.status_code == 303
    page = _page(client, world)
    assert f'id="letter-{letter_id}-done"' in page and "Filed on" in page
    assert "resolution-threshold" not in page  # filed: the terms are final


def test_publishing_a_statement_from_the_page_keeps_the_input_on_errors(client, world, drafted,
                                                                      db_session, frozen_clock):
    from tests.conftest import login_as
    from tests.oidc_support import csrf_token

    frozen_clock(NOW)
    statement = drafted[LetterKind.PUBLIC_STATEMENT]
    _sign(db_session, world.supporter, world.supporter_user, statement)
    login_as(client, world.lead_user, world.lead)
    token = csrf_token(client)
    assert "Mark published" in _page(client, world)
    bad = client.post(f"/engagements/letters/{statement}/publish",
                      data={"published_on": "2099-01-01", "published_in": "radio",
                            "response_days": "0", "csrf_token": token})
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    for field in ("published_on", "published_in", "response_days"):
        assert f'id="letter-{statement}-{field}-error"' in text, field
    assert 'value="2099-01-01"' in text
    # A supporter cannot publish (403); the statement stays open.
    login_as(client, world.supporter_user, world.supporter)
    assert client.post(f"/engagements/letters/{statement}/publish",
                       data={"published_in": "website", "csrf_token": csrf_token(client)}
                       ).status_code == 403
    login_as(client, world.lead_user, world.lead)
    done = client.post(f"/engagements/letters/{statement}/publish",
                       data={"published_in": "website", "csrf_token": csrf_token(client)},
                       headers={"HX-Request": "true"})
    assert done.status_code == 200
    assert "Published on" in done.get_data(as_text=True)
    page = _page(client, world)
    assert "published" in page and f'action="/engagements/letters/{statement}/answer"' in page
    # The company's public response, logged against the statement, meets its milestone.
    answered = client.post(f"/engagements/letters/{statement}/answer",
                           data={"summary": "A plan by June", "csrf_token": csrf_token(client)})
    assert answered.status_code == 303
    with as_organisation(world.lead.id):
        letter = db_session.get(Letter, statement)
        assert db_session.get(Milestone, letter.response_milestone_id).met_on == TODAY


def test_a_question_and_a_resolution_are_drafts_the_leads_edit_in_their_language(
        world, db_session):
    """Drafted, not open: the leads edit the plain text (switching the language writes the
    same kind again, never a letter) and open it for signing like a letter."""
    with system_scope("test: a ladder of documents"):
        ladder = f.ladder(kinds=(StepKind.AGM_QUESTION, StepKind.CO_FILE_RESOLUTION))
        step_id = min(ladder.steps, key=lambda s: s.position).id
        engagement = db_session.get(type(world.engagement), world.engagement.id)
        engagement.ladder_id = ladder.id
        db_session.commit()
    service.open_overdue_reviews(NOW)
    with system_scope("test"):
        review_id = db_session.scalar(sa.select(sa.text("id")).select_from(
            sa.text("escalation_review")).where(sa.text("status = 'open'")))
    decision = service.record_decision(
        review_id, "escalate", actor=world.lead_user, organisation_id=world.lead.id, now=NOW,
        reason="No credible plan", ladder_step_id=step_id)
    assert service.apply_decision(decision.id, NOW) is not None
    with as_organisation(world.lead.id):
        question = db_session.scalar(sa.select(Letter).where(Letter.decision_id == decision.id))
        assert question.kind == LetterKind.AGM_QUESTION
        assert question.status == LetterStatus.DRAFT and question.opened_at is None
        assert question.body_text.startswith("To the Chair of the annual general meeting of")
        assert "No credible plan" not in question.body_text
        edit_draft(question, actor=world.lead_user, organisation_id=world.lead.id, now=NOW,
                   language="nl")
        assert question.body_text.startswith("Aan de voorzitter van de algemene vergadering")
        assert question.title.startswith("Vraag aan de algemene vergadering van")
        html = documents.document(question)
        assert 'lang="nl"' in html and "CONCEPT · niet gesteld" in html
        edit_draft(question, actor=world.lead_user, organisation_id=world.lead.id, now=NOW,
                   body_text="Our own question.")
        open_for_signing(question, actor=world.lead_user, organisation_id=world.lead.id, now=NOW)
        assert question.status == LetterStatus.OPEN_FOR_SIGNING
        assert "<p>Our own question.</p>" in question.body_html
        with pytest.raises(EngagementError):
            edit_draft(question, actor=world.lead_user, organisation_id=world.lead.id, now=NOW,
                       body_text="Changed under the signers.")
        db_session.commit()


def test_a_resolution_draft_is_edited_on_the_letter_page_with_its_live_preview(
        client, world, db_session):
    from tests.engagements.conftest import act_as, post

    with system_scope("test: a ladder of documents"):
        ladder = f.ladder(kinds=(StepKind.CO_FILE_RESOLUTION,))
        step_id = ladder.steps[0].id
        engagement = db_session.get(type(world.engagement), world.engagement.id)
        engagement.ladder_id = ladder.id
        db_session.commit()
    service.open_overdue_reviews(NOW)
    with system_scope("test"):
        review_id = db_session.scalar(sa.select(sa.text("id")).select_from(
            sa.text("escalation_review")).where(sa.text("status = 'open'")))
    decision = service.record_decision(
        review_id, "escalate", actor=world.lead_user, organisation_id=world.lead.id, now=NOW,
        reason="No credible plan", ladder_step_id=step_id)
    service.apply_decision(decision.id, NOW)
    with system_scope("test"):
        letter_id = db_session.scalar(sa.select(Letter.id).where(Letter.decision_id == decision.id))
    token = act_as(client, world.lead_user, world.lead)
    page = client.get(f"/letters/{letter_id}").get_data(as_text=True)
    assert 'id="letter-editor"' in page and "DRAFT · not filed" in page
    assert "The general meeting of shareholders of" in page
    preview = post(client, f"/letters/{letter_id}/preview", token, htmx=True, language="nl",
                   title="Onze resolutie", body_text="Wij stellen voor:\n- een plan")
    fragment = preview.get_data(as_text=True)
    assert preview.status_code == 200 and 'lang="nl"' in fragment
    assert "CONCEPT · niet ingediend" in fragment and "<li>een plan</li>" in fragment
    assert "Voor de algemene vergadering van" in fragment
    assert post(client, f"/letters/{letter_id}/open", token).status_code == 303
    with as_organisation(world.lead.id):
        assert db_session.get(Letter, letter_id).status == LetterStatus.OPEN_FOR_SIGNING


def test_the_letter_page_calls_each_document_by_its_own_name(client, world, drafted,
                                                             db_session):
    from tests.engagements.conftest import act_as, post

    _sign(db_session, world.supporter, world.supporter_user, drafted[LetterKind.RESOLUTION])
    token = act_as(client, world.lead_user, world.lead)
    for kind, noun, heading in (
            (LetterKind.PUBLIC_STATEMENT, "statement", "The statement as it will be published"),
            (LetterKind.AGM_QUESTION, "question", "The question as it will be asked"),
            (LetterKind.RESOLUTION, "resolution", "The resolution as it will be filed")):
        page = client.get(f"/letters/{drafted[kind]}").get_data(as_text=True)
        assert f"a lead returns the {noun} to draft" in page and heading in page
        head = page.split('id="letter-title"')[1].split('id="letter-preview"')[0]
        assert "letter" not in re.sub(r"<[^>]+>", " ", head)  # in what it says, not its ids
    # The lead's refusals and confirmations name it too.
    resolution = drafted[LetterKind.RESOLUTION]
    refused = post(client, f"/letters/{resolution}/return-to-draft", token)
    assert refused.status_code == 400
    assert "Returning the resolution to draft withdraws its signature" in refused.get_data(
        as_text=True)
    assert post(client, f"/letters/{resolution}/return-to-draft", token,
                withdraw_signatures="1").status_code == 303
    returned = client.get(f"/letters/{resolution}").get_data(as_text=True)
    assert "The resolution is a draft again" in returned
    token = act_as(client, world.supporter_user, world.supporter)
    declined = post(client, f"/engagements/letters/{resolution}/decline", token, htmx=True)
    assert "This resolution is a draft" in declined.get_data(as_text=True)
