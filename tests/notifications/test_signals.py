"""Signals in, notifications out: the receivers connected by ``create_app`` write them in
the sender's unit of work, for the people concerned only, and e-mail leaves after commit."""

from __future__ import annotations

import sqlalchemy as sa

from engage import create_app, signals
from engage.escalations import service as escalations
from engage.notifications import handlers
from engage.notifications.models import Notification, NotificationKind
from engage.tenancy import as_organisation, system_scope
from tests import factories as f
from tests.escalations.conftest import NOW


def _followed_engagement(db_session):
    """A's engagement on a company that a person of A, of B (which cannot see it) and of
    C (which can, as a member of the initiative) follow, and one person of C follows not."""
    from engage.companies.models import CompanyFollow
    from engage.initiatives.models import InitiativeStatus, MemberRole

    with system_scope("test signals", db_session):
        a, b, c = (f.organisation() for _ in range(3))
        a_follower, b_follower, c_follower, c_other = f.user(a), f.user(b), f.user(c), f.user(c)
        init = f.initiative(a, InitiativeStatus.ACTIVE)
        f.member(init, c, MemberRole.SUPPORTER)
        company = f.company("Signalled plc")
        engagement = f.engagement(company, a, init, title="Due diligence at Signalled")
        for user, org in ((a_follower, a), (b_follower, b), (c_follower, c)):
            db_session.add(CompanyFollow(organisation_id=org.id, user_id=user.id,
                                         company_id=company.id, created_at=NOW))
        db_session.commit()
        return {"a": a.id, "b": b.id, "c": c.id, "engagement": engagement.id,
                "a_follower": a_follower.id, "b_follower": b_follower.id,
                "c_follower": c_follower.id, "c_other": c_other.id}


def _told(db_session):
    with system_scope("test", db_session):
        return db_session.execute(
            sa.select(Notification.user_id, Notification.organisation_id, Notification.link)
            .where(Notification.kind == NotificationKind.COMPANY_ENGAGEMENT)
            .order_by(Notification.user_id)).all()


def test_a_signal_notifies_the_followers_who_may_see_it_each_in_their_organisation(db_session):
    ids = _followed_engagement(db_session)
    with as_organisation(ids["a"], db_session):
        signals.engagement_created.send(ids["engagement"], actor_id=None, now=NOW)
        db_session.commit()
    link = f"/engagements/{ids['engagement']}"
    assert _told(db_session) == [(ids["a_follower"], ids["a"], link),
                                 (ids["c_follower"], ids["c"], link)]
    # Each notification belongs to its reader's organisation: B, which cannot see the
    # engagement, has none, and C sees only its own follower's.
    with as_organisation(ids["b"], db_session):
        assert db_session.scalars(sa.select(Notification.id)).all() == []
    with as_organisation(ids["c"], db_session):
        assert db_session.scalars(sa.select(Notification.user_id)).all() == [ids["c_follower"]]
    # The same event handled twice notifies once.
    with as_organisation(ids["a"], db_session):
        signals.engagement_created.send(ids["engagement"], actor_id=None, now=NOW)
        db_session.commit()
    assert len(_told(db_session)) == 2


def test_a_rolled_back_unit_of_work_notifies_and_emails_nobody_a_committed_one_after_commit(
        app, db_session, smtp):
    ids = _followed_engagement(db_session)
    with as_organisation(ids["a"], db_session):
        signals.engagement_created.send(ids["engagement"], actor_id=ids["a_follower"], now=NOW)
        db_session.rollback()
    assert _told(db_session) == []
    assert escalations.deliver_emails(NOW) == 0
    assert smtp.messages == []
    # The same event in a unit of work that commits: written with it, but not e-mailed by
    # it; the mailer sends what was committed, once.
    with as_organisation(ids["a"], db_session):
        signals.engagement_created.send(ids["engagement"], actor_id=ids["a_follower"], now=NOW)
        assert len(_told(db_session)) == 1
        assert smtp.messages == []
        db_session.commit()
    assert smtp.messages == []
    assert escalations.deliver_emails(NOW) == 1
    assert escalations.deliver_emails(NOW) == 0
    assert len(smtp.messages) == 1
    body = smtp.messages[0].content.decode()
    assert "New engagement on Signalled plc" in body
    assert f"/engagements/{ids['engagement']}" in body


def test_create_app_connects_each_receiver_once(app):
    create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    for signal, receiver in handlers.RECEIVERS:
        assert list(signal.receivers_for(None)).count(receiver) == 1, signal.name
    assert {signal for signal, _ in handlers.RECEIVERS} == {
        value for value in vars(signals).values() if isinstance(value, type(signals.vote_recorded))}
