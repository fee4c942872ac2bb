"""Signing on to an engagement and co-signing its letters: who may, the count and the
combined assets under management ("strength of numbers") updated in place."""

from __future__ import annotations

import re
from decimal import Decimal

import sqlalchemy as sa

from engage.engagements.models import (
    EngagementParticipant,
    LetterStatus,
    ParticipantRole,
    Signature,
)
from engage.initiatives.models import InitiativeMember
from engage.tenancy import system_scope
from tests import factories as f
from tests.engagements.conftest import act_as, audit_actions, post, viewer_of


def _open_letter(db_session, engagement, *signers):
    with system_scope("test", db_session):
        e = db_session.get(type(engagement), engagement.id)
        letter = f.letter(e)
        letter.status = LetterStatus.OPEN_FOR_SIGNING
        for org in signers:
            f.signature(letter, db_session.get(type(org), org.id))
        db_session.commit()
        return letter.id


def test_members_sign_on_observers_and_outsiders_cannot(client, db_session, coalition):
    c = coalition
    url = f"/engagements/{c.engagement.id}"
    token = act_as(client, c.member_user, c.member)
    assert "Sign on to this engagement" in client.get(url).get_data(as_text=True)
    response = post(client, f"{url}/sign-on", token, htmx=True)
    # Signing on opens the dialogue log and co-signing: htmx loads the page afresh.
    assert response.status_code == 204
    assert response.headers["HX-Refresh"] == "true"
    text = client.get(url).get_data(as_text=True)
    assert f'data-participant="{c.member.id}"' in text and "Sign on to this engagement" not in text
    assert 'id="dialogue-form"' in text
    again = post(client, f"{url}/sign-on", token)
    assert again.status_code == 400 and "already takes part" in again.get_data(as_text=True)
    # A lead member of the initiative joins as co-lead.
    token = act_as(client, c.co_lead_user, c.co_lead)
    assert post(client, f"{url}/sign-on", token).status_code == 303
    with system_scope("test"):
        roles = dict(db_session.execute(sa.select(EngagementParticipant.organisation_id,
                                                  EngagementParticipant.role)).all())
    assert roles[c.member.id] is ParticipantRole.SUPPORTER and roles[c.co_lead.id] is ParticipantRole.CO_LEAD
    assert audit_actions(db_session, "engagement_participant.create") >= 2
    # An observer sees the engagement, is offered nothing, and is refused.
    token = act_as(client, c.observer_user, c.observer)
    assert "Sign on to this engagement" not in client.get(url).get_data(as_text=True)
    refused = post(client, f"{url}/sign-on", token)
    assert refused.status_code == 400 and "not observers" in refused.get_data(as_text=True)
    token = act_as(client, c.outsider_user, c.outsider)
    assert post(client, f"{url}/sign-on", token).status_code == 404


def test_co_signing_updates_the_count_and_the_assets_in_place(client, db_session, coalition):
    c = coalition
    letter_id = _open_letter(db_session, c.engagement, c.coordinator)
    with system_scope("test", db_session):
        db_session.add(EngagementParticipant(engagement_id=c.engagement.id,
                                             organisation_id=c.member.id,
                                             role=ParticipantRole.SUPPORTER))
        db_session.execute(sa.update(InitiativeMember)
                           .where(InitiativeMember.organisation_id == c.member.id)
                           .values(aum_committed_eur=Decimal("2000000000")))
        db_session.commit()
    token = act_as(client, c.member_user, c.member)
    page = client.get(f"/engagements/{c.engagement.id}").get_data(as_text=True)
    assert re.search(rf'id="letter-{letter_id}-signatories" data-count="1">1 signatory<', page)
    # What the coordinator committed to the initiative, not its whole 40 bn.
    assert f'data-aum="{Decimal("500000000.00")}" data-basis="committed"' in page
    assert ">Co-sign<" in page
    response = post(client, f"/engagements/letters/{letter_id}/sign", token, htmx=True)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in text
    assert re.search(rf'id="letter-{letter_id}-signatories" data-count="2">2 signatories<', text)
    assert 'data-aum="2500000000.00"' in text and "€2.5B" in text
    assert "Co-sign<" not in text and "Your organisation has signed" in text
    # Signing twice is refused, and still one signature.
    again = post(client, f"/engagements/letters/{letter_id}/sign", token, htmx=True)
    assert again.status_code == 400 and "signed this letter already" in again.get_data(as_text=True)
    plain = post(client, f"/engagements/letters/{letter_id}/sign", token)
    assert plain.status_code == 400 and "<html" in plain.get_data(as_text=True)
    with system_scope("test"):
        assert db_session.scalar(sa.select(sa.func.count()).select_from(Signature)
                                 .where(Signature.letter_id == letter_id)) == 2
    assert audit_actions(db_session, "signature.create") >= 1


def test_who_may_co_sign(client, db_session, coalition):
    c = coalition
    letter_id = _open_letter(db_session, c.engagement)
    # An initiative member that has not signed on sees the letter but cannot sign it.
    token = act_as(client, c.member_user, c.member)
    assert ">Co-sign<" not in client.get(f"/engagements/{c.engagement.id}").get_data(as_text=True)
    assert post(client, f"/engagements/letters/{letter_id}/sign", token).status_code == 403
    token = act_as(client, c.outsider_user, c.outsider)
    assert post(client, f"/engagements/letters/{letter_id}/sign", token).status_code == 404
    token = act_as(client, viewer_of(db_session, c.coordinator), c.coordinator)
    assert post(client, f"/engagements/letters/{letter_id}/sign", token).status_code == 403
    # A draft is not open for signing.
    with system_scope("test", db_session):
        from engage.engagements.models import Letter

        db_session.get(Letter, letter_id).status = LetterStatus.DRAFT
        db_session.commit()
    token = act_as(client, c.coordinator_user, c.coordinator)
    refused = post(client, f"/engagements/letters/{letter_id}/sign", token, htmx=True)
    assert refused.status_code == 400 and "not open for signing" in refused.get_data(as_text=True)


def test_signing_messages_name_the_document_by_its_kind(client, db_session, coalition):
    """A statement is signed as a statement, in English and in Dutch: no message outside the
    document's own page calls it a letter."""
    from engage.engagements.models import Letter, LetterKind

    c = coalition
    letter_id = _open_letter(db_session, c.engagement)
    with system_scope("test", db_session):
        db_session.get(Letter, letter_id).kind = LetterKind.PUBLIC_STATEMENT
        db_session.add(EngagementParticipant(engagement_id=c.engagement.id,
                                             organisation_id=c.member.id,
                                             role=ParticipantRole.SUPPORTER))
        db_session.commit()
    token = act_as(client, c.member_user, c.member)
    url = f"/engagements/letters/{letter_id}"
    page = client.get(f"/engagements/{c.engagement.id}").get_data(as_text=True)
    assert "Read the statement" in page and "Read the letter" not in page
    declined = post(client, f"{url}/decline", token)
    assert declined.status_code == 303
    page = client.get(declined.headers["Location"]).get_data(as_text=True)
    assert "Your organisation has declined to sign the statement." in page
    assert "may still sign while the statement is open" in page
    signed = post(client, f"{url}/sign", token)
    assert signed.status_code == 303
    page = client.get(signed.headers["Location"]).get_data(as_text=True)
    assert "Your organisation has co-signed the statement." in page
    again = post(client, f"{url}/sign", token, htmx=True)
    assert again.status_code == 400
    assert "signed this statement already" in again.get_data(as_text=True)
    # The same in Dutch: "verklaring", never "brief".
    with system_scope("test", db_session):
        db_session.get(type(c.member_user), c.member_user.id).locale = "nl"
        db_session.commit()
    again = post(client, f"{url}/sign", token, htmx=True).get_data(as_text=True)
    assert "Uw organisatie heeft deze verklaring al getekend." in again
    with system_scope("test", db_session):
        db_session.get(Letter, letter_id).status = LetterStatus.DRAFT
        db_session.commit()
    refused = post(client, f"{url}/sign", token, htmx=True).get_data(as_text=True)
    assert "Deze verklaring staat niet open voor ondertekening." in refused
