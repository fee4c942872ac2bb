"""Following a company, and the notifications its followers get of new engagements and votes."""

from __future__ import annotations

import sqlalchemy as sa
from engage.audit.models import AuditEvent
from engage.companies import queries, service
from engage.companies.models import Company, CompanyFollow
from engage.engagements import service as engagements
from engage.extensions import db
from engage.initiatives.models import InitiativeStatus, MemberRole
from engage.notifications.models import Notification, NotificationKind
from engage.organisations.models import Organisation, User
from engage.tenancy import as_organisation, system_scope
from engage.votes import service as votes

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
        assert queries.is_following(company.id, a_user.id)
        assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "company_follow.create")) == 1
        assert service.unfollow(company, actor=a_user) is True
        assert service.unfollow(company, actor=a_user) is False
        db_session.commit()
        assert not queries.is_following(company.id, a_user.id)
        assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "company_follow.delete")) == 1


def _create_engagement(org, user_id, company, initiative=None, title="An engagement"):
    data = {"company_id": str(company.id), "title": title, "issue": "Wages below a living wage",
            "trigger": "reactive", "severity_scale": "4", "severity_scope": "3",
            "severity_irremediability": "2", "started_on": "2025-01-06"}
    if initiative is not None:
        data["initiative_id"] = str(initiative.id)
    return engagements.create_engagement(actor=db.session.get(User, user_id),
                                         organisation_id=org.id, data=data)


def _record_vote(org, user_id, company, item):
    return votes.record_vote(actor=db.session.get(User, user_id), organisation_id=org.id,
                             company_id=str(company.id), agm_on="2026-06-30", item=item,
                             instruction="against")


def test_followers_hear_of_engagements_they_can_see_and_of_their_own_votes(db_session):
    a, b, c, a_user, a_other, b_user, c_user, init, company = _world(db_session)
    for org, user in ((a, a_other), (b, b_user), (c, c_user)):
        with as_organisation(org.id):
            service.follow(db_session.get(Company, company.id), actor=user)
            db_session.commit()
    # A collaborative engagement: members a and b see it; c does not, and is not told; the
    # person who created it is not told of their own act.
    with as_organisation(a.id):
        e = _create_engagement(a, a_user.id, company, init, title="Living wage at Followed")
        engagement_id = e.id
        db_session.commit()
    told = _notes(NotificationKind.COMPANY_ENGAGEMENT)
    assert {u for u, _ in told} == {a_other.id, b_user.id}
    assert all("Living wage at Followed" in s for _, s in told)
    # A direct engagement of c, created by a colleague: only c's follower hears of it.
    with system_scope("test"):
        c_colleague = f.user(db_session.get(Organisation, c.id))
        b_colleague = f.user(db_session.get(Organisation, b.id))
        db_session.flush()
        c_colleague_id, b_colleague_id = c_colleague.id, b_colleague.id
        db_session.commit()
    with as_organisation(c.id):
        _create_engagement(c, c_colleague_id, company, title="Direct dialogue of C")
        db_session.commit()
    told = _notes(NotificationKind.COMPANY_ENGAGEMENT)
    assert {u for u, s in told if "Direct dialogue of C" in s} == {c_user.id}
    # A vote is private: b's vote is told to b's follower only.
    with as_organisation(b.id):
        _record_vote(b, b_colleague_id, company, "Re-elect the chair")
        db_session.commit()
    assert {u for u, _ in _notes(NotificationKind.COMPANY_VOTE)} == {b_user.id}
    # Rolled back work tells nobody.
    with as_organisation(a.id):
        _record_vote(a, a_user.id, company, "Discharge of the board")
        db_session.rollback()
    assert {u for u, _ in _notes(NotificationKind.COMPANY_VOTE)} == {b_user.id}
    with system_scope("test"):
        assert db_session.scalar(sa.select(sa.func.count()).select_from(CompanyFollow)) == 3
        assert engagement_id
