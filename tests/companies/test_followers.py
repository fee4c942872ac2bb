"""Following a company, and the notifications its followers get of new engagements and votes."""

from __future__ import annotations

import sqlalchemy as sa
from engage.audit.models import AuditEvent
from engage.companies import service
from engage.companies.models import Company, CompanyFollow
from engage.extensions import db
from engage.initiatives.models import InitiativeStatus, MemberRole
from engage.notifications.models import Notification, NotificationKind
from engage.organisations.models import Organisation
from engage.tenancy import as_organisation, system_scope

from tests import factories as f


def _world(db_session):
    with system_scope("test followers"):
        a, b, c = (f.organisation() for _ in range(3))
        a_user, a_other, b_user, c_user = f.user(a), f.user(a), f.user(b), f.user(c)
        init = f.initiative(a, InitiativeStatus.ACTIVE)
        f.member(init, b, MemberRole.SUPPORTER)
        company = f.company("Followed plc")
        db_session.flush()
        return a, b, c, a_user, a_other, b_user, c_user, init, company


def _notes(kind):
    with system_scope("test"):
        return db.session.execute(sa.select(Notification.user_id, Notification.subject).where(
            Notification.kind == kind)).all()


def test_follow_is_idempotent_audited_and_unfollow_removes(db_session):
    a, _b, _c, a_user, *_, company = _world(db_session)
    with as_organisation(a.id):
        company = db_session.get(Company, company.id)
        assert service.follow(company, actor=a_user) is True
        assert service.follow(company, actor=a_user) is False
        db_session.commit()
        assert service.is_following(company.id, a_user.id)
        assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "company_follow.create")) == 1
        assert service.unfollow(company, actor=a_user) is True
        assert service.unfollow(company, actor=a_user) is False
        db_session.commit()
        assert not service.is_following(company.id, a_user.id)
        assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "company_follow.delete")) == 1


def test_followers_hear_of_engagements_they_can_see_and_of_their_own_votes(db_session):
    a, b, c, a_user, a_other, b_user, c_user, init, company = _world(db_session)
    for org, user in ((a, a_other), (b, b_user), (c, c_user)):
        with as_organisation(org.id):
            service.follow(db_session.get(Company, company.id), actor=user)
            db_session.commit()
    # A collaborative engagement: members a and b see it; c does not, and is not told.
    with as_organisation(a.id):
        db.session.info["engage.actor_id"] = a_user.id
        org_a = db_session.get(Organisation, a.id)
        e = f.engagement(db_session.get(Company, company.id), org_a,
                         db_session.get(type(init), init.id), title="Living wage at Followed")
        engagement_id = e.id
        db_session.commit()
    told = _notes(NotificationKind.COMPANY_ENGAGEMENT)
    assert {u for u, _ in told} == {a_other.id, b_user.id}
    assert all("Living wage at Followed" in s for _, s in told)
    # A direct engagement of c: only c's follower hears of it.
    with as_organisation(c.id):
        f.engagement(db_session.get(Company, company.id), db_session.get(Organisation, c.id),
                     title="Direct dialogue of C")
        db_session.commit()
    told = _notes(NotificationKind.COMPANY_ENGAGEMENT)
    assert {u for u, s in told if "Direct dialogue of C" in s} == {c_user.id}
    # A vote is private: b's vote is told to b's follower only.
    with as_organisation(b.id):
        f.vote(db_session.get(Organisation, b.id), db_session.get(Company, company.id))
        db_session.commit()
    assert {u for u, _ in _notes(NotificationKind.COMPANY_VOTE)} == {b_user.id}
    # Rolled back work tells nobody.
    with as_organisation(a.id):
        f.vote(db_session.get(Organisation, a.id), db_session.get(Company, company.id))
        db_session.rollback()
    assert {u for u, _ in _notes(NotificationKind.COMPANY_VOTE)} == {b_user.id}
    with system_scope("test"):
        assert db_session.scalar(sa.select(sa.func.count()).select_from(CompanyFollow)) == 3
        assert engagement_id
