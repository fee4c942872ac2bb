"""Membership over time: leaving, updating the commitment, removal and hand-over by the
coordinator; access to coalition-only rows ends at once; the antitrust attestation kept."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from engage.audit.models import AuditEvent
from engage.engagements.models import (
    DialogueEntry,
    Engagement,
    EngagementParticipant,
    LetterStatus,
    Milestone,
    ParticipantRole,
    Signature,
)
from engage.escalations.models import EscalationTask, StepKind, TaskStatus
from engage.initiatives import attestation
from engage.initiatives.models import (
    Initiative,
    InitiativeMember,
    MemberRole,
    MemberStatus,
    SignOnAttestation,
)
from engage.tenancy import as_organisation, system_scope

from tests import factories as f
from tests.conftest import login_as
from tests.oidc_support import csrf_token


def _as(client, user, org) -> str:
    login_as(client, user, org)
    return csrf_token(client)


def _member(db_session, coalition, org) -> InitiativeMember:
    with system_scope("test", db_session):
        return db_session.scalar(sa.select(InitiativeMember).where(
            InitiativeMember.initiative_id == coalition.initiative.id,
            InitiativeMember.organisation_id == org.id))


def _sees(db_session, org_id, model, *where) -> set[int]:
    with as_organisation(org_id, db_session):
        return set(db_session.scalars(sa.select(model.id).where(*where)))


def _events(db_session, action):
    with system_scope("test", db_session):
        return db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def _rows_of_the_member(db_session, coalition):
    """A coalition dialogue entry, an open and a sent letter signed by the member, and an
    open and a done task it owns."""
    c = coalition
    with system_scope("test", db_session):
        dialogue = f.dialogue(c.engagement, c.coordinator)
        open_letter = f.letter(c.engagement)
        open_letter.status = LetterStatus.OPEN_FOR_SIGNING
        sent_letter = f.letter(c.engagement)
        sent_letter.status = LetterStatus.SENT
        sent_letter.sent_on = date(2026, 10, 1)
        open_sig = f.signature(open_letter, c.member)
        sent_sig = f.signature(sent_letter, c.member)
        tasks = [EscalationTask(engagement_id=c.engagement.id, kind=StepKind.LETTER_TO_BOARD,
                                title=f"Task {s}", owner_organisation_id=c.member.id,
                                owner_user_id=c.member_user.id, due_on=date(2026, 12, 1),
                                status=s, done_at=_now() if s is TaskStatus.DONE else None)
                 for s in (TaskStatus.OPEN, TaskStatus.DONE)]
        db_session.add_all(tasks)
        db_session.flush()
        ids = dict(dialogue=dialogue.id, open_sig=open_sig.id, sent_sig=sent_sig.id,
                   open_task=tasks[0].id, done_task=tasks[1].id)
        db_session.commit()
    return ids


def test_a_member_that_leaves_loses_the_coalition_rows_from_that_moment(client, db_session,
                                                                       coalition):
    c = coalition
    rows = _rows_of_the_member(db_session, c)
    assert rows["dialogue"] in _sees(db_session, c.member.id, DialogueEntry)
    assert c.engagement.id in _sees(db_session, c.member.id, Engagement)
    token = _as(client, c.member_user, c.member)
    assert client.get(f"/engagements/{c.engagement.id}").status_code == 200

    response = client.post(f"/initiatives/{c.initiative.id}/leave",
                           data={"csrf_token": token, "reason": "Mandate ended"})
    assert response.status_code == 303

    member = _member(db_session, c, c.member)
    assert member.status is MemberStatus.LEFT and member.left_at is not None
    assert member.left_reason == "Mandate ended"
    # From that moment: no engagement, no coalition row, no milestone of the initiative.
    assert _sees(db_session, c.member.id, Engagement) == set()
    assert _sees(db_session, c.member.id, DialogueEntry) == set()
    assert _sees(db_session, c.member.id, Milestone) == set()
    assert _sees(db_session, c.member.id, InitiativeMember) == {member.id}
    assert client.get(f"/engagements/{c.engagement.id}").status_code == 404
    with system_scope("test", db_session):
        participants = {p.organisation_id for p in db_session.scalars(
            sa.select(EngagementParticipant).where(
                EngagementParticipant.engagement_id == c.engagement.id))}
        signatures = set(db_session.scalars(sa.select(Signature.id)))
        open_task = db_session.get(EscalationTask, rows["open_task"])
        done_task = db_session.get(EscalationTask, rows["done_task"])
    assert c.member.id not in participants
    # The unsent letter no longer claims it; the sent one keeps what was sent.
    assert rows["open_sig"] not in signatures and rows["sent_sig"] in signatures
    assert open_task.owner_organisation_id == c.coordinator.id and open_task.owner_user_id is None
    assert done_task.owner_organisation_id == c.member.id
    event, = _events(db_session, "initiative_member.left")
    assert event.after["signatures_withdrawn"] == 1 and event.after["tasks_handed"] == 1
    # The others still see everything.
    assert rows["dialogue"] in _sees(db_session, c.coordinator.id, DialogueEntry)
    page = client.get(f"/initiatives/{c.initiative.id}").get_data(as_text=True)
    assert 'data-membership="left"' in page


def test_a_lead_that_leaves_hands_its_engagements_to_the_coordinator(db_session, coalition):
    from engage.initiatives import membership

    c = coalition
    with system_scope("test", db_session):
        e_id = f.engagement(c.company, c.member, c.initiative, title="Led by the member").id
        db_session.commit()
    with as_organisation(c.member.id, db_session):
        member = db_session.scalar(sa.select(InitiativeMember).where(
            InitiativeMember.organisation_id == c.member.id,
            InitiativeMember.initiative_id == c.initiative.id))
        membership.leave(member, actor=c.member_user, organisation_id=c.member.id,
                         now=_now())
        db_session.commit()
    with system_scope("test", db_session):
        roles = {p.organisation_id: p.role for p in db_session.scalars(
            sa.select(EngagementParticipant).where(EngagementParticipant.engagement_id == e_id))}
    assert roles == {c.coordinator.id: ParticipantRole.LEAD}


def _now():
    from engage import clock

    return clock.now()


def test_the_coordinator_cannot_leave_before_handing_over(client, db_session, coalition):
    c = coalition
    token = _as(client, c.coordinator_user, c.coordinator)
    page = client.get(f"/initiatives/{c.initiative.id}").get_data(as_text=True)
    assert 'action="/initiatives/%d/leave"' % c.initiative.id not in page
    response = client.post(f"/initiatives/{c.initiative.id}/leave", data={"csrf_token": token})
    assert response.status_code == 400
    assert "hand" in response.get_data(as_text=True)
    assert _member(db_session, c, c.coordinator).status is MemberStatus.ADMITTED


def test_a_member_updates_its_commitment_with_field_errors_and_audit(client, db_session,
                                                                    coalition):
    c = coalition
    token = _as(client, c.member_user, c.member)
    url = f"/initiatives/{c.initiative.id}/membership"
    bad = client.post(url, data={"csrf_token": token, "committed_resources": "Two analysts",
                                 "aum_committed_eur": "-5"})
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "The amount cannot be negative." in text and "Two analysts" in text
    assert _member(db_session, c, c.member).aum_committed_eur == Decimal("500000000")
    empty = client.post(url, data={"csrf_token": token, "committed_resources": "",
                                   "aum_committed_eur": "1"})
    assert empty.status_code == 400  # a supporter commits resources
    good = client.post(url, data={"csrf_token": token, "committed_resources": "Two analysts",
                                  "aum_committed_eur": "750000000"})
    assert good.status_code == 303
    member = _member(db_session, c, c.member)
    assert member.aum_committed_eur == Decimal("750000000")
    assert member.committed_resources == "Two analysts"
    event, = _events(db_session, "initiative_member.updated")
    assert event.before["aum_committed_eur"] in ("500000000.00", "500000000")
    assert event.organisation_id == c.member.id


def test_the_coordinator_removes_a_member_with_a_reason(client, db_session, coalition):
    c = coalition
    token = _as(client, c.coordinator_user, c.coordinator)
    member = _member(db_session, c, c.member)
    url = f"/initiatives/{c.initiative.id}/members/{member.id}/remove"
    page = client.get(f"/initiatives/{c.initiative.id}").get_data(as_text=True)
    assert f'action="{url}"' in page
    refused = client.post(url, data={"csrf_token": token, "reason": ""})
    assert refused.status_code == 400
    assert _member(db_session, c, c.member).status is MemberStatus.ADMITTED
    done = client.post(url, data={"csrf_token": token, "reason": "Shared trading intentions"})
    assert done.status_code == 303
    member = _member(db_session, c, c.member)
    assert member.status is MemberStatus.REMOVED and member.left_reason == "Shared trading intentions"
    assert _sees(db_session, c.member.id, Engagement) == set()
    assert _events(db_session, "initiative_member.removed")
    # Another organisation's user cannot remove anyone.
    other = _as(client, c.member_user, c.member)
    assert client.post(url, data={"csrf_token": other, "reason": "x"}).status_code in (403, 404)
    page = client.get(f"/initiatives/{c.initiative.id}").get_data(as_text=True)
    assert 'data-membership="removed"' in page and "Shared trading intentions" in page


def test_the_coordinator_hands_coordination_over(client, db_session, coalition):
    c = coalition
    token = _as(client, c.coordinator_user, c.coordinator)
    url = f"/initiatives/{c.initiative.id}/hand-over"
    refused = client.post(url, data={"csrf_token": token, "member_id": "999999"})
    assert refused.status_code == 400
    assert "Choose another admitted member" in refused.get_data(as_text=True)
    member = _member(db_session, c, c.member)
    assert client.post(url, data={"csrf_token": token, "member_id": str(member.id)}).status_code == 303
    with system_scope("test", db_session):
        initiative = db_session.get(Initiative, c.initiative.id)
        assert initiative.coordinator_organisation_id == c.member.id
    assert _member(db_session, c, c.member).role is MemberRole.LEAD
    assert _member(db_session, c, c.coordinator).role is MemberRole.CO_LEAD
    assert _events(db_session, "initiative.handed_over")
    # The former coordinator no longer coordinates; it may now leave.
    assert client.post(url, data={"csrf_token": token, "member_id": str(member.id)}).status_code == 403
    assert client.post(f"/initiatives/{c.initiative.id}/leave",
                       data={"csrf_token": token}).status_code == 303


def test_sign_on_keeps_the_attestation_and_the_coordinator_sees_it(client, db_session, coalition):
    c = coalition
    token = _as(client, c.applicant_user, c.applicant)
    form = {"csrf_token": token, "role": "supporter", "committed_resources": "One analyst",
            "aum_committed_eur": "", "conflict_of_interest": "We manage the company's pension fund",
            "independence_confirmed": "yes"}
    page = client.get(f"/initiatives/{c.initiative.id}").get_data(as_text=True)
    assert f'data-attestation-version="{attestation.CURRENT.version}"' in page
    stale = client.post(f"/initiatives/{c.initiative.id}/sign-on",
                        data={**form, "attestation_version": "0"})
    assert stale.status_code == 400
    assert "has changed" in stale.get_data(as_text=True)
    assert client.post(f"/initiatives/{c.initiative.id}/sign-on",
                       data={**form, "attestation_version": str(attestation.CURRENT.version)}
                       ).status_code == 303
    with system_scope("test", db_session):
        kept, = db_session.scalars(sa.select(SignOnAttestation)).all()
    assert kept.version == attestation.CURRENT.version
    assert kept.organisation_id == c.applicant.id and kept.accepted_by_id == c.applicant_user.id
    assert kept.conflict_of_interest == "We manage the company's pension fund"
    assert kept.accepted_at is not None
    # The coordinator sees every attestation; the member and a stranger none of the others'.
    assert _sees(db_session, c.coordinator.id, SignOnAttestation) == {kept.id}
    assert _sees(db_session, c.applicant.id, SignOnAttestation) == {kept.id}
    assert _sees(db_session, c.member.id, SignOnAttestation) == set()
    assert _sees(db_session, c.stranger.id, SignOnAttestation) == set()
    _as(client, c.coordinator_user, c.coordinator)
    page = client.get(f"/initiatives/{c.initiative.id}").get_data(as_text=True)
    assert f'data-attestation="{kept.id}"' in page
    assert "We manage the company&#39;s pension fund" in page
    # The stewardship report lists them when asked.
    year = kept.accepted_at.year
    assert "Antitrust attestations at sign-on" not in client.get(
        f"/reports?year={year}").get_data(as_text=True)
    report = client.get(f"/reports?year={year}&attestations=1").get_data(as_text=True)
    assert "Antitrust attestations at sign-on" in report
    assert "We manage the company&#39;s pension fund" in report


def test_the_stewardship_report_lists_the_attestations(db_session, coalition):
    from engage.initiatives import service
    from engage.reports.service import build_report

    c = coalition
    now = _now()
    with as_organisation(c.applicant.id, db_session):
        with system_scope("test", db_session):
            initiative = db_session.get(Initiative, c.initiative.id)
        service.sign_on(initiative, actor=c.applicant_user, organisation_id=c.applicant.id,
                        role="observer", aum_committed_eur="", committed_resources="",
                        conflict_of_interest="Bondholder", independence_confirmed=True)
        db_session.commit()
    for org, expected in ((c.coordinator, 1), (c.applicant, 1), (c.member, 0)):
        with as_organisation(org.id, db_session):
            report = build_report(org.id, now.date().replace(month=1, day=1),
                                  now.date().replace(month=12, day=31),
                                  include_attestations=True)
        table = next(t for t in report.tables() if t.key == "attestations")
        assert len(table.rows) == expected
        if expected:
            assert table.rows[0][1] == c.applicant.name and table.rows[0][2] == 1
            assert table.rows[0][5] == "Bondholder"
