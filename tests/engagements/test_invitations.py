"""Participants beyond initiatives: a provider leads an outsourced engagement and invites its
client; the invitation is seen by the two organisations alone; the client, once it accepts,
follows the shared record without changing it, and can leave."""

from __future__ import annotations

from dataclasses import dataclass
import pytest
import sqlalchemy as sa
from engage.audit.models import AuditEvent
from engage.engagements import invitations
from engage.engagements.models import (
    DialogueEntry,
    Engagement,
    EngagementInvitation,
    EngagementLevel,
    EngagementParticipant,
    InvitationStatus,
    ParticipantRole,
)
from engage.notifications.models import Notification, NotificationKind
from engage.organisations.models import OrgRole
from engage.tenancy import as_organisation, system_scope

from tests import factories as f
from tests.conftest import is_postgres, login_as
from tests.oidc_support import csrf_token


@dataclass
class Outsourcing:
    provider: object
    client_org: object
    stranger: object
    provider_user: object
    client_user: object
    client_viewer: object
    stranger_user: object
    engagement: object
    direct: object
    dialogue: object


@pytest.fixture
def outsourcing(db_session) -> Outsourcing:
    with system_scope("test outsourcing", db_session):
        provider, client_org, stranger = (f.organisation() for _ in range(3))
        provider_user = f.user(provider, OrgRole.ADMIN)
        client_user = f.user(client_org, OrgRole.MEMBER)
        client_viewer = f.user(client_org, OrgRole.VIEWER)
        stranger_user = f.user(stranger)
        company = f.company("Mining plc")
        engagement = f.engagement(company, provider, level=EngagementLevel.OUTSOURCED,
                                  title="Tailings dam safety")
        direct = f.engagement(company, provider, title="Direct talk")
        dialogue = f.dialogue(engagement, provider)
        world = Outsourcing(provider, client_org, stranger, provider_user, client_user,
                            client_viewer, stranger_user, engagement, direct, dialogue)
        db_session.commit()
        for obj in vars(world).values():
            assert obj.id
        return world


def _as(client, user, org) -> str:
    login_as(client, user, org)
    return csrf_token(client)


def _invite(client, w, token, **form):
    return client.post(f"/engagements/{w.engagement.id}/invitations", data={
        "csrf_token": token, "organisation_id": str(w.client_org.id), "role": "client",
        "message": "Please follow our dialogue", **form})


def _invitation_ids(db_session, org_id) -> set[int]:
    with as_organisation(org_id, db_session):
        return set(db_session.scalars(sa.select(EngagementInvitation.id)))


def test_the_provider_invites_the_client_who_accepts_and_follows(client, db_session,
                                                                 outsourcing):
    w = outsourcing
    token = _as(client, w.provider_user, w.provider)
    page = client.get(f"/engagements/{w.engagement.id}").get_data(as_text=True)
    assert 'id="invite"' in page and "lead, service provider" in page
    assert _invite(client, w, token).status_code == 303
    invitation_ids = _invitation_ids(db_session, w.provider.id)
    assert len(invitation_ids) == 1
    invitation_id = invitation_ids.pop()
    # Seen by the inviting and the invited organisation, by nobody else.
    assert _invitation_ids(db_session, w.client_org.id) == {invitation_id}
    assert _invitation_ids(db_session, w.stranger.id) == set()
    with as_organisation(w.client_org.id, db_session):
        told = db_session.scalars(sa.select(Notification).where(
            Notification.kind == NotificationKind.ENGAGEMENT_INVITATION)).all()
    assert {n.user_id for n in told} == {w.client_user.id, w.client_viewer.id}
    assert told[0].link == f"/invitations#invitation-{invitation_id}"

    token = _as(client, w.client_user, w.client_org)
    assert client.get(f"/engagements/{w.engagement.id}").status_code == 404
    listing = client.get("/invitations").get_data(as_text=True)
    assert f'data-invitation="{invitation_id}"' in listing
    assert "Tailings dam safety" in listing and "Please follow our dialogue" in listing
    accepted = client.post(f"/invitations/{invitation_id}/accept", data={"csrf_token": token})
    assert accepted.status_code == 303
    assert accepted.headers["Location"].endswith(f"/engagements/{w.engagement.id}")
    page = client.get(f"/engagements/{w.engagement.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f'data-participant="{w.client_org.id}" data-role="client"' in text
    # The client sees the shared record as any participant, and changes nothing.
    with as_organisation(w.client_org.id, db_session):
        assert w.dialogue.id in set(db_session.scalars(sa.select(DialogueEntry.id)))
    assert 'name="summary"' not in text  # no dialogue form
    refused = client.post(f"/engagements/{w.engagement.id}/dialogue", data={
        "csrf_token": token, "kind": "call", "occurred_on": "2026-11-01", "summary": "Ours"})
    assert refused.status_code == 403
    assert client.post(f"/engagements/{w.engagement.id}/milestones", data={
        "csrf_token": token, "title": "Ours", "due_on": "2027-01-01"}).status_code == 403
    again = client.post(f"/invitations/{invitation_id}/accept", data={"csrf_token": token})
    assert again.status_code == 400
    with as_organisation(w.provider.id, db_session):
        told = db_session.scalars(sa.select(Notification.subject).where(
            Notification.kind == NotificationKind.ENGAGEMENT_INVITATION)).all()
    assert told and "accepted" in told[0]
    with system_scope("test", db_session):
        assert db_session.scalars(sa.select(AuditEvent.action).where(
            AuditEvent.action == "engagement_invitation.accepted")).all()

    # The stranger can neither see nor answer it.
    stranger_token = _as(client, w.stranger_user, w.stranger)
    assert f'data-invitation="{invitation_id}"' not in client.get("/invitations").get_data(as_text=True)
    assert client.post(f"/invitations/{invitation_id}/decline",
                       data={"csrf_token": stranger_token}).status_code == 404

    # The client leaves when it wants: the record is closed to it from that moment.
    token = _as(client, w.client_user, w.client_org)
    assert client.post(f"/engagements/{w.engagement.id}/leave",
                       data={"csrf_token": token}).status_code == 303
    assert client.get(f"/engagements/{w.engagement.id}").status_code == 404
    with system_scope("test", db_session):
        assert db_session.scalars(sa.select(AuditEvent.action).where(
            AuditEvent.action == "engagement_participant.left")).all()


def test_bad_invitations_keep_what_was_typed_and_write_nothing(client, db_session, outsourcing):
    w = outsourcing
    token = _as(client, w.provider_user, w.provider)
    empty = _invite(client, w, token, organisation_id="", message="Kept text")
    assert empty.status_code == 400
    text = empty.get_data(as_text=True)
    assert 'id="invite-organisation_id-error"' in text and "Kept text" in text
    assert client.post(f"/engagements/{w.direct.id}/invitations", data={
        "csrf_token": token, "organisation_id": str(w.client_org.id),
        "role": "client"}).status_code == 400  # a direct engagement has no client
    assert _invite(client, w, token, organisation_id=str(w.provider.id)).status_code == 400
    assert _invite(client, w, token, organisation_id="99999999").status_code == 400
    assert _invite(client, w, token, role="lead").status_code == 400
    assert _invitation_ids(db_session, w.provider.id) == set()
    # Twice the same: the second waits on the first.
    assert _invite(client, w, token).status_code == 303
    assert _invite(client, w, token).status_code == 400
    # Only the lead invites: a participant that is not a lead is refused.
    other = _as(client, w.stranger_user, w.stranger)
    assert _invite(client, w, other).status_code == 404


def test_decline_and_withdraw(client, db_session, outsourcing):
    w = outsourcing
    token = _as(client, w.provider_user, w.provider)
    _invite(client, w, token, role="observer")
    invitation_id, = _invitation_ids(db_session, w.provider.id)
    client_token = _as(client, w.client_user, w.client_org)
    assert client.post(f"/invitations/{invitation_id}/decline",
                       data={"csrf_token": client_token}).status_code == 303
    with system_scope("test", db_session):
        assert db_session.get(EngagementInvitation, invitation_id).status is InvitationStatus.DECLINED
        assert db_session.scalar(sa.select(sa.func.count(EngagementParticipant.id)).where(
            EngagementParticipant.organisation_id == w.client_org.id)) == 0
    token = _as(client, w.provider_user, w.provider)
    assert _invite(client, w, token, role="supporter").status_code == 303
    second = max(_invitation_ids(db_session, w.provider.id))
    assert client.post(f"/engagements/{w.engagement.id}/invitations/{second}/withdraw",
                       data={"csrf_token": token}).status_code == 303
    client_token = _as(client, w.client_user, w.client_org)
    assert client.post(f"/invitations/{second}/accept",
                       data={"csrf_token": client_token}).status_code == 400
    with system_scope("test", db_session):
        assert db_session.get(EngagementInvitation, second).status is InvitationStatus.WITHDRAWN


def test_a_viewer_cannot_answer_and_the_lead_cannot_leave(client, db_session, outsourcing):
    w = outsourcing
    with as_organisation(w.provider.id, db_session):
        invitation = invitations.invite(
            db_session.get(Engagement, w.engagement.id), actor=w.provider_user,
            organisation_id=w.provider.id, invitee_id=w.client_org.id, role="co_lead",
            now=_now())
        db_session.commit()
        invitation_id = invitation.id
    token = _as(client, w.client_viewer, w.client_org)
    assert client.post(f"/invitations/{invitation_id}/accept",
                       data={"csrf_token": token}).status_code == 403
    token = _as(client, w.provider_user, w.provider)
    assert client.post(f"/engagements/{w.engagement.id}/leave",
                       data={"csrf_token": token}).status_code == 400
    with as_organisation(w.provider.id, db_session):
        roles = set(db_session.scalars(sa.select(EngagementParticipant.role).where(
            EngagementParticipant.engagement_id == w.engagement.id)))
    assert roles == {ParticipantRole.LEAD}


def _now():
    from engage import clock

    return clock.now()


@pytest.mark.skipif(not is_postgres(), reason="row-level security is a PostgreSQL feature")
def test_row_level_security_shows_an_invitation_to_its_two_organisations(db_session,
                                                                         outsourcing):
    w = outsourcing
    with as_organisation(w.provider.id, db_session):
        invitation_id = invitations.invite(
            db_session.get(Engagement, w.engagement.id), actor=w.provider_user,
            organisation_id=w.provider.id, invitee_id=w.client_org.id, role="client",
            now=_now()).id
        db_session.commit()
    conn = db_session.connection()
    conn.exec_driver_sql("CREATE ROLE engage_invitation_probe NOLOGIN")
    conn.exec_driver_sql("GRANT USAGE ON SCHEMA public TO engage_invitation_probe")
    conn.exec_driver_sql("GRANT SELECT ON ALL TABLES IN SCHEMA public TO engage_invitation_probe")
    conn.exec_driver_sql("SET LOCAL ROLE engage_invitation_probe")

    def visible(org):
        conn.exec_driver_sql("SELECT set_config('engage.org_id', %s, true), "
                             "set_config('engage.bypass', 'off', true)", (str(org),))
        return {r[0] for r in conn.exec_driver_sql("SELECT id FROM engagement_invitation")}

    assert visible(w.provider.id) == {invitation_id}
    assert visible(w.client_org.id) == {invitation_id}
    assert visible(w.stranger.id) == set()
