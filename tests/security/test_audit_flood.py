"""An anonymous flood of forged sign-in callbacks cannot grow the append-only audit trail
without bound (engage.auth.failures): refusals are counted exactly, and the trail gets the
first of each hour and every power of ten."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from engage import tenancy
from engage.audit.models import AuditEvent
from engage.auth import failures
from engage.auth.models import SignInFailure
from engage.db import utcnow

FORGED = "/auth/alpha/callback?code=forged&state=forged"


def _audited(db_session, org_id):
    with tenancy.system_scope("test", db_session):
        return db_session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "auth.login_failed",
                                        AuditEvent.organisation_id == org_id)
            .order_by(AuditEvent.id)).all()


def _counted(db_session, org_id):
    with tenancy.system_scope("test", db_session):
        return failures.total(db_session, org_id, utcnow())


@pytest.fixture
def unthrottled(app, monkeypatch):
    """The aggregation on its own, with no rate limit in front of it."""
    monkeypatch.setitem(app.config, "ENGAGE_RATE_LIMIT_CALLBACK", "100000/minute")


def test_300_forged_callbacks_write_three_audit_rows_and_count_all(
        client, db_session, orgs, unthrottled):
    for _ in range(300):
        assert client.get(FORGED).status_code == 400
    rows = _audited(db_session, orgs.a.id)
    assert [r.after["count"] for r in rows] == [1, 10, 100]
    assert {r.after["reason"] for r in rows} == {"state_mismatch"}
    assert {r.after["client"] for r in rows} == {"127.0.0.1"}
    assert _counted(db_session, orgs.a.id) == 300


def test_many_addresses_share_one_counter_beyond_a_bound(client, db_session, orgs, unthrottled):
    for n in range(300):
        headers = {"X-Forwarded-For": f"198.51.{n // 250}.{n % 250}"}
        assert client.get(FORGED, headers=headers).status_code == 400
    rows = _audited(db_session, orgs.a.id)
    firsts = [r for r in rows if r.after["client"] != failures.OTHER]
    shared = [r.after["count"] for r in rows if r.after["client"] == failures.OTHER]
    assert len(firsts) == failures.MAX_CLIENTS and shared == [1, 10, 100]
    assert len(rows) == failures.MAX_CLIENTS + 3
    assert _counted(db_session, orgs.a.id) == 300


def test_the_default_rate_limit_stops_the_flood_first(client, db_session, orgs):
    statuses = [client.get(FORGED).status_code for _ in range(300)]
    assert statuses.count(400) == 30 and statuses.count(429) == 270
    assert [r.after["count"] for r in _audited(db_session, orgs.a.id)] == [1, 10]
    assert _counted(db_session, orgs.a.id) == 30


def test_each_hour_starts_a_new_count(db_session, orgs):
    start = utcnow().replace(minute=5)
    with tenancy.system_scope("test", db_session):
        for minute in range(12):
            failures.record(db_session, organisation_id=orgs.a.id, client="192.0.2.1",
                            reason="state_mismatch", email=None,
                            now=start + timedelta(minutes=minute))
        failures.record(db_session, organisation_id=orgs.a.id, client="192.0.2.1",
                        reason="provider_error:anything-a-forger-writes", email=None, now=start)
        assert failures.record(db_session, organisation_id=orgs.a.id, client="192.0.2.1",
                               reason="state_mismatch", email=None,
                               now=start + timedelta(hours=1)) == 1
        kinds = db_session.execute(sa.select(SignInFailure.kind, SignInFailure.count)
                                   .order_by(SignInFailure.id)).all()
    assert [tuple(k) for k in kinds] == [("state_mismatch", 12), ("provider_error", 1),
                                         ("state_mismatch", 1)]
    assert [r.after["count"] for r in _audited(db_session, orgs.a.id)] == [1, 10, 1, 1]
