"""As a plain PostgreSQL role (row-level security applies), sign-on and the coordinator's
decision still notify the other organisation."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from engage.initiatives import service
from engage.initiatives.models import Initiative, InitiativeMember
from engage.notifications.models import Notification, NotificationKind
from engage.tenancy import as_organisation

from tests.conftest import is_postgres

pytestmark = pytest.mark.skipif(not is_postgres(), reason="row-level security is a PostgreSQL feature")


def test_sign_on_and_admit_notify_across_organisations(db_session, coalition):
    conn = db_session.connection()
    conn.exec_driver_sql("CREATE ROLE engage_initiative_probe NOLOGIN")
    conn.exec_driver_sql("GRANT USAGE ON SCHEMA public TO engage_initiative_probe")
    conn.exec_driver_sql("GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO engage_initiative_probe")
    conn.exec_driver_sql("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO engage_initiative_probe")
    conn.exec_driver_sql("SET LOCAL ROLE engage_initiative_probe")
    with as_organisation(coalition.applicant.id, db_session):
        member = service.sign_on(
            db_session.get(Initiative, coalition.initiative.id), actor=None,
            organisation_id=coalition.applicant.id, role="observer", aum_committed_eur="",
            committed_resources="", conflict_of_interest="", independence_confirmed=True)
        db_session.commit()
        member_id = member.id
    with as_organisation(coalition.coordinator.id, db_session):
        kinds = db_session.scalars(sa.select(Notification.kind)).all()
        assert kinds == [NotificationKind.INITIATIVE_APPLICATION]
        service.admit(db_session.get(InitiativeMember, member_id), actor=None,
                      organisation_id=coalition.coordinator.id)
        db_session.commit()
    with as_organisation(coalition.applicant.id, db_session):
        kinds = db_session.scalars(sa.select(Notification.kind)).all()
        assert kinds == [NotificationKind.MEMBERSHIP_DECIDED] * 2
