"""A letter states exactly its signatures: the page, the text, the PDF and the API name only
the organisations that signed, each with the assets it committed to the initiative (or its
declared assets, in a direct engagement); the PDF is rendered from the state of the moment."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from engage.engagements.models import (
    EngagementParticipant,
    Letter,
    LetterStatus,
    ParticipantRole,
)
from engage.initiatives.models import InitiativeMember
from engage.organisations.models import Organisation
from engage.organisations.tokens import create_token
from engage.tenancy import as_organisation, system_scope
from tests import factories as f
from tests.engagements.conftest import act_as, post

NAMES = {"coordinator": "Alder Pension Fund", "member": "Birch Bank", "co_lead": "Cedar Insurance"}


@pytest.fixture
def letter_world(db_session, coalition):
    """The coalition's coordinator (lead), member and co-lead take part; the member has
    committed EUR 2 bn to the initiative, the coordinator EUR 0.5 bn of its 40 bn."""
    c = coalition
    with system_scope("test", db_session):
        for key, name in NAMES.items():
            db_session.get(Organisation, getattr(c, key).id).name = name
        for org, role in ((c.member, ParticipantRole.SUPPORTER),
                          (c.co_lead, ParticipantRole.CO_LEAD)):
            db_session.add(EngagementParticipant(engagement_id=c.engagement.id,
                                                 organisation_id=org.id, role=role))
        db_session.execute(sa.update(InitiativeMember)
                           .where(InitiativeMember.organisation_id == c.member.id)
                           .values(aum_committed_eur=Decimal("2000000000")))
        letter = f.letter(db_session.get(type(c.engagement), c.engagement.id))
        letter.status = LetterStatus.OPEN_FOR_SIGNING
        db_session.flush()
        letter_id = letter.id
        db_session.commit()
    return c, letter_id


def _pdf_text(client, letter_id) -> str:
    response = client.get(f"/letters/{letter_id}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.headers["Cache-Control"] == "no-store"
    reader = PdfReader(io.BytesIO(response.data))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def _api(client, db_session, org, user, path):
    with as_organisation(org.id):
        secret = create_token(db_session, organisation=org, name=f"t{user.id}", scope="read",
                              created_by=user).secret
        db_session.commit()
    response = client.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    return response.get_json()


def test_a_letter_nobody_signed_claims_no_signature(client, db_session, letter_world):
    c, letter_id = letter_world
    act_as(client, c.coordinator_user, c.coordinator)
    page = client.get(f"/engagements/{c.engagement.id}").get_data(as_text=True)
    assert re.search(rf'id="letter-{letter_id}-signatories" data-count="0">0 signatories<', page)
    assert f'id="letter-{letter_id}-aum" data-aum="0"' in page
    text = _pdf_text(client, letter_id)
    assert "DRAFT" in text and "No investor has signed this letter yet." in text
    assert "Signed by" not in text and "bn" not in text
    # The lead organisation is named once, as the sender; no organisation as a signatory.
    sender = f"From {NAMES['coordinator']}, for the investor initiative"
    assert text.count(sender) == 1
    for name in NAMES.values():
        assert name not in text.replace(sender, "")
    with system_scope("test"):
        coordinator = db_session.get(Organisation, c.coordinator.id)
        user = db_session.get(type(c.coordinator_user), c.coordinator_user.id)
    letter = _api(client, db_session, coordinator, user, f"/letters/{letter_id}")
    assert letter["signatures"] == [] and letter["signatory_count"] == 0
    assert letter["aum_eur"] == "0.00"


def test_the_pdf_follows_every_signature_with_committed_assets(client, db_session, letter_world):
    c, letter_id = letter_world
    token = act_as(client, c.coordinator_user, c.coordinator)
    assert post(client, f"/engagements/letters/{letter_id}/sign", token).status_code in (200, 303)
    text = _pdf_text(client, letter_id)
    assert "Signed by 1 investor, together EUR 0.5 bn committed to the initiative:" in text
    assert "Alder Pension Fund · EUR 0.5 bn committed to the initiative" in text
    assert "Birch Bank" not in text and "Cedar Insurance" not in text
    assert "40.0 bn" not in text  # never the organisation's whole assets

    token = act_as(client, c.member_user, c.member)
    assert post(client, f"/engagements/letters/{letter_id}/sign", token).status_code in (200, 303)
    text = _pdf_text(client, letter_id)
    assert "Signed by 2 investors, together EUR 2.5 bn committed to the initiative:" in text
    assert "Birch Bank · EUR 2.0 bn committed to the initiative" in text
    # The co-lead takes part but has not signed: it is never named.
    assert "Alder Pension Fund" in text and "Cedar Insurance" not in text

    with system_scope("test"):
        member = db_session.get(Organisation, c.member.id)
        user = db_session.get(type(c.member_user), c.member_user.id)
    letter = _api(client, db_session, member, user, f"/letters/{letter_id}")
    assert letter["signatory_count"] == 2 and letter["aum_eur"] == "2500000000.00"
    assert sorted((s["organisation"]["id"], s["aum_eur"], s["aum_basis"])
                  for s in letter["signatures"]) == sorted([
        (c.coordinator.id, "500000000.00", "committed"),
        (c.member.id, "2000000000.00", "committed")])
    signatures = _api(client, db_session, member, user, f"/letters/{letter_id}/signatures")
    assert {s["organisation"]["id"] for s in signatures["items"]} == {c.coordinator.id, c.member.id}
    page = client.get(f"/engagements/{c.engagement.id}").get_data(as_text=True)
    assert f'data-aum="2500000000.00" data-basis="committed"' in page
    assert f'data-signatory="{c.co_lead.id}"' not in page


def test_a_direct_engagement_states_declared_assets(client, db_session):
    with system_scope("test", db_session):
        org = f.organisation(aum="7500000000")
        org.name = "Oak Asset Management"
        user = f.user(org)
        engagement = f.engagement(f.company(), org)
        letter = f.letter(engagement)
        letter.status = LetterStatus.OPEN_FOR_SIGNING
        f.signature(letter, org)
        db_session.flush()
        letter_id = letter.id
    db_session.commit()  # after the scope: the objects stay detached and loaded
    act_as(client, user, org)
    text = _pdf_text(client, letter_id)
    assert ("Oak Asset Management · EUR 7.5 bn declared assets under management" in text)
    assert "committed to the initiative" not in text
    with system_scope("test"):
        assert db_session.scalar(sa.select(Letter.pdf).where(Letter.id == letter_id)) is None


LEGACY_BODY = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Letter</title></head>
<body>
<p class="meta">Draft letter &middot; 2026-11-01 &middot; engagement &ldquo;Cobalt&rdquo;</p>
<h1>Letter to the Board</h1>
<p>To the Board of Directors of Company,</p>
<p>Our dialogue so far:</p>
<table>
<tr><th>date</th><th>what</th><th>summary</th></tr>
<tr><td>2026-10-01</td><td>meeting</td><td>Internal: the CFO seemed evasive</td></tr>
</table>
<p>We therefore ask the Board to respond within 60 days.</p>
<p>Signed, on behalf of 4 investors with EUR 269.5 bn under management:</p>
<ul>
  <li>Alder Pension Fund</li>
  <li>Birch Bank</li>
</ul>
<p class="meta">Open for co-signing. Reason for this step: no roadmap after two letters</p>
</body>
</html>"""


def test_a_draft_stored_before_makes_no_claim_either(client, db_session, letter_world):
    """Drafts stored as whole documents (with every participant listed as a signatory)
    show only their body; the signatories are the actual ones."""
    c, letter_id = letter_world
    with system_scope("test", db_session):
        db_session.get(Letter, letter_id).body_html = LEGACY_BODY
        db_session.commit()
    act_as(client, c.coordinator_user, c.coordinator)
    text = _pdf_text(client, letter_id)
    assert "ask the Board to respond within 60 days" in text
    assert "No investor has signed this letter yet." in text
    text = text.replace(f"From {NAMES['coordinator']}, for the investor initiative", "")  # sender
    for claim in ("Signed, on behalf", "269.5", "Alder Pension Fund", "Birch Bank",
                  "CFO seemed evasive", "Reason for this step", "Draft letter"):
        assert claim not in text


def test_a_sent_letter_keeps_the_assets_it_stated(client, db_session, letter_world):
    """A commitment changed after the letter went out changes what the next letter states,
    never what the sent one said."""
    from engage.escalations.sending import send_letter
    from engage.organisations.models import User

    c, letter_id = letter_world
    for user, org in ((c.coordinator_user, c.coordinator), (c.member_user, c.member)):
        token = act_as(client, user, org)
        assert post(client, f"/engagements/letters/{letter_id}/sign", token).status_code in (200, 303)
    with as_organisation(c.coordinator.id):
        letter = db_session.get(Letter, letter_id)
        send_letter(letter, actor=db_session.get(User, c.coordinator_user.id),
                    organisation_id=c.coordinator.id, now=letter.created_at, channel="email")
        db_session.commit()
    with system_scope("test", db_session):
        db_session.execute(sa.update(InitiativeMember)
                           .where(InitiativeMember.organisation_id == c.member.id)
                           .values(aum_committed_eur=Decimal("9000000000")))
        db_session.commit()
    act_as(client, c.coordinator_user, c.coordinator)
    text = _pdf_text(client, letter_id)
    assert "DRAFT" not in text
    assert "Signed by 2 investors, together EUR 2.5 bn committed to the initiative:" in text
    assert "Birch Bank · EUR 2.0 bn committed to the initiative" in text
    assert "9.0 bn" not in text
