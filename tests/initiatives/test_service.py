"""The shared service functions: sign-on, admit and decline, with their refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from engage.audit.models import AuditEvent
from engage.extensions import db
from engage.initiatives import service
from engage.initiatives.models import Initiative, InitiativeMember, MemberStatus
from engage.notifications.models import Notification, NotificationKind
from engage.tenancy import as_organisation, system_scope


def _sign_on(coalition, org, **kw):
    initiative = db.session.get(Initiative, coalition.initiative.id)
    args = dict(actor=None, organisation_id=org.id, role="supporter",
                aum_committed_eur="2 500 000 000", committed_resources="One analyst (0.5 FTE)",
                conflict_of_interest="", independence_confirmed=True)
    args.update(kw)
    return service.sign_on(initiative, **args)


def _notifications(org_id, kind):
    with system_scope("test"):
        return db.session.scalars(sa.select(Notification).where(
            Notification.organisation_id == org_id, Notification.kind == kind)).all()


def test_sign_on_admit_and_notify(db_session, coalition):
    with as_organisation(coalition.applicant.id):
        member = _sign_on(coalition, coalition.applicant)
        db_session.commit()
        member_id = member.id
        assert member.status is MemberStatus.PENDING
        assert member.aum_committed_eur == Decimal(2500000000)
    assert len(_notifications(coalition.coordinator.id, NotificationKind.INITIATIVE_APPLICATION)) == 1
    with as_organisation(coalition.coordinator.id):
        member = db_session.get(InitiativeMember, member_id)
        service.admit(member, actor=None, organisation_id=coalition.coordinator.id)
        db_session.commit()
        assert member.status is MemberStatus.ADMITTED and member.admitted_at is not None
        events = db_session.scalars(sa.select(AuditEvent.action).where(
            AuditEvent.object_type == "initiative_member", AuditEvent.object_id == str(member_id))).all()
        assert "initiative_member.admitted" in events and "initiative_member.update" in events
    notes = _notifications(coalition.applicant.id, NotificationKind.MEMBERSHIP_DECIDED)
    # Every active person of the applicant organisation hears of it, viewers included.
    assert {n.user_id for n in notes} == {coalition.applicant_user.id, coalition.applicant_viewer.id}
    assert all("admitted" in n.subject for n in notes)


@pytest.mark.parametrize("kw, field", [
    ({"independence_confirmed": False}, "independence_confirmed"),
    ({"aum_committed_eur": "-5"}, "aum_committed_eur"),
    ({"aum_committed_eur": "lots"}, "aum_committed_eur"),
    ({"aum_committed_eur": "1e30"}, "aum_committed_eur"),
    ({"aum_committed_eur": "NaN"}, "aum_committed_eur"),
    ({"aum_committed_eur": "10.001"}, "aum_committed_eur"),
    ({"role": "lead"}, "role"),
    ({"role": "boss"}, "role"),
    ({"committed_resources": ""}, "committed_resources"),
])
def test_bad_sign_on_writes_nothing(db_session, coalition, kw, field):
    with as_organisation(coalition.applicant.id):
        with pytest.raises(service.InitiativeError) as exc:
            _sign_on(coalition, coalition.applicant, **kw)
        assert field in exc.value.errors
        assert db_session.scalar(sa.select(sa.func.count()).select_from(InitiativeMember).where(
            InitiativeMember.organisation_id == coalition.applicant.id)) == 0


def test_coordinator_and_double_sign_on_are_refused_and_reapply_after_decline(db_session, coalition):
    with as_organisation(coalition.coordinator.id), pytest.raises(
            service.InitiativeError, match="coordinates"):
        _sign_on(coalition, coalition.coordinator)
    with as_organisation(coalition.member.id), pytest.raises(
            service.InitiativeError, match="already a member"):
        _sign_on(coalition, coalition.member)
    with as_organisation(coalition.applicant.id):
        member_id = _sign_on(coalition, coalition.applicant).id
        db_session.commit()
        with pytest.raises(service.InitiativeError, match="already applied"):
            _sign_on(coalition, coalition.applicant)
    with as_organisation(coalition.coordinator.id):
        member = db_session.get(InitiativeMember, member_id)
        service.decline(member, actor=None, organisation_id=coalition.coordinator.id,
                        reason="We are full for this season.")
        db_session.commit()
    note = _notifications(coalition.applicant.id, NotificationKind.MEMBERSHIP_DECIDED)[0]
    assert "declined" in note.subject and note.body == "We are full for this season."
    with as_organisation(coalition.applicant.id):
        again = _sign_on(coalition, coalition.applicant, role="observer", committed_resources="")
        db_session.commit()
        assert again.id == member_id and again.status is MemberStatus.PENDING


def test_only_the_coordinator_decides(db_session, coalition):
    with as_organisation(coalition.applicant.id):
        member_id = _sign_on(coalition, coalition.applicant).id
        db_session.commit()
    for org in (coalition.member, coalition.applicant):
        with as_organisation(org.id):
            member = db_session.get(InitiativeMember, member_id)
            with pytest.raises(service.InitiativeError, match="coordinating organisation"):
                service.admit(member, actor=None, organisation_id=org.id)
            assert member.status is MemberStatus.PENDING
