"""Engage's session listeners (tenancy, audit) sit on Flask-SQLAlchemy's session class only:
another session in the same process (Prefect's server keeps one) is not filtered or audited."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm
from flask_sqlalchemy.session import Session as FlaskSession

from engage import tenancy
from engage.audit import service as audit
from engage.db import Base
from engage.notifications.models import Notification

LISTENERS = (
    ("do_orm_execute", tenancy._apply_tenancy),
    ("before_flush", tenancy._check_writes),
    ("after_begin", tenancy._begin),
    ("after_flush", audit._record_flush),
)


def test_listeners_are_on_the_apps_session_class_and_not_on_sqlalchemys(app):
    for name, listener in LISTENERS:
        assert sa.event.contains(FlaskSession, name, listener), name
        assert not sa.event.contains(sa.orm.Session, name, listener), name


def test_a_plain_session_outside_the_app_is_left_alone(app):
    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine, tables=[Notification.__table__])
    with sa.orm.Session(engine) as plain:
        # With Engage's listeners a query on a scoped model outside any scope raises, and a
        # write outside any scope too; this session is not Engage's, so neither happens.
        assert plain.scalars(sa.select(Notification)).all() == []
        plain.add(Notification(organisation_id=1, user_id=1, kind="reminder", subject="s",
                               dedupe_key="k"))
        plain.commit()
        assert plain.scalar(sa.select(sa.func.count()).select_from(Notification)) == 1
    engine.dispose()
