"""As a plain PostgreSQL role (row-level security applies): follows are private, and the
follower notifications still reach other organisations' people."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from engage.audit.service import set_actor
from engage.companies import service
from engage.companies.models import Company
from engage.engagements import service as engagements
from engage.initiatives.models import InitiativeStatus
from engage.notifications.models import Notification, NotificationKind
from engage.organisations.models import User
from engage.tenancy import as_organisation, system_scope

from tests import factories as f
from tests.conftest import is_postgres

pytestmark = pytest.mark.skipif(not is_postgres(), reason="row-level security is a PostgreSQL feature")


def test_follows_are_private_and_notifications_cross_organisations(db_session):
    with system_scope("test", db_session):
        a, b = f.organisation(), f.organisation()
        a_user, b_user = f.user(a), f.user(b)
        init = f.initiative(a, InitiativeStatus.ACTIVE)
        f.member(init, b)
        company = f.company()
        ids = dict(a=a.id, b=b.id, a_user=a_user.id, b_user=b_user.id, init=init.id, company=company.id)
        db_session.commit()
        ids = {k: v for k, v in ids.items()}
        users = {"a": a_user, "b": b_user}
        for u in users.values():
            assert u.id
    conn = db_session.connection()
    conn.exec_driver_sql("CREATE ROLE engage_follow_probe NOLOGIN")
    conn.exec_driver_sql("GRANT USAGE ON SCHEMA public TO engage_follow_probe")
    conn.exec_driver_sql("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO engage_follow_probe")
    conn.exec_driver_sql("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO engage_follow_probe")
    conn.exec_driver_sql("SET LOCAL ROLE engage_follow_probe")
    for org, user in (("a", users["a"]), ("b", users["b"])):
        with as_organisation(ids[org], db_session):
            service.follow(db_session.get(Company, ids["company"]), actor=user)
            db_session.commit()
    with as_organisation(ids["b"], db_session):
        follows = db_session.connection().exec_driver_sql(
            "SELECT organisation_id FROM company_follow").scalars().all()
        assert follows == [ids["b"]]
    # A creates an engagement in the initiative: B's follower is told, through RLS.
    with as_organisation(ids["a"], db_session):
        set_actor(ids["a_user"], db_session)
        engagements.create_engagement(
            actor=db_session.get(User, ids["a_user"]), organisation_id=ids["a"],
            data={"company_id": str(ids["company"]), "initiative_id": str(ids["init"]),
                  "title": "Seen by B", "issue": "Wages", "trigger": "reactive",
                  "severity_scale": "4", "severity_scope": "3", "severity_irremediability": "2",
                  "started_on": "2025-01-06"})
        db_session.commit()
        set_actor(None, db_session)
    with as_organisation(ids["b"], db_session):
        subjects = db_session.scalars(sa.select(Notification.subject).where(
            Notification.kind == NotificationKind.COMPANY_ENGAGEMENT)).all()
        assert len(subjects) == 1 and "Seen by B" in subjects[0]
    with as_organisation(ids["a"], db_session):
        # A's own user acted, so A's follower (the same person) is not told.
        assert db_session.scalars(sa.select(Notification.id)).all() == []
