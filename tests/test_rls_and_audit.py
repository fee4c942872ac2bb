"""The second locks: PostgreSQL row-level security on private tables, and the append-only
audit trail (database triggers), plus the automatic audit of every ORM change."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from engage.audit.models import AuditEvent
from engage.audit.service import record, set_actor
from engage.auth.models import SsoConfig
from engage.companies.models import Holding
from engage.engagements.models import Visibility
from engage.tenancy import as_organisation, system_scope
from tests import factories as f
from tests.conftest import is_postgres


@pytest.fixture
def two_orgs(db_session):
    with system_scope("test", db_session):
        a, b = f.organisation("rls-a"), f.organisation("rls-b")
        x = f.company()
        e = f.engagement(x, a, supporters=(b,))
        rows = {
            "a": a.id, "b": b.id, "company": x.id,
            "holding_a": f.holding(a, x).id, "holding_b": f.holding(b, x).id,
            "private_a": f.dialogue(e, a, Visibility.PRIVATE).id,
            "coalition_a": f.dialogue(e, a).id,
        }
        sso_a = SsoConfig(organisation_id=a.id, issuer="https://login.rls-a.example",
                          client_id="engage", client_secret_env="RLS_A_SECRET")
        db_session.add(sso_a)
        db_session.flush()
        rows["sso_a"] = sso_a.id
        db_session.commit()
    return rows


@pytest.mark.skipif(not is_postgres(), reason="row-level security is a PostgreSQL feature")
def test_row_level_security_holds_even_for_raw_sql(db_session, two_orgs):
    """Raw SQL bypasses the ORM filter; RLS still answers per organisation.

    Superusers bypass RLS, so the probe runs as a plain role (created and dropped inside
    the test's rolled-back transaction)."""
    conn = db_session.connection()
    conn.exec_driver_sql("CREATE ROLE engage_rls_probe NOLOGIN")
    conn.exec_driver_sql("GRANT USAGE ON SCHEMA public TO engage_rls_probe")
    conn.exec_driver_sql("GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO engage_rls_probe")
    conn.exec_driver_sql("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO engage_rls_probe")
    conn.exec_driver_sql("SET LOCAL ROLE engage_rls_probe")

    def visible(sql, org="", bypass="off"):
        conn.exec_driver_sql(
            "SELECT set_config('engage.org_id', %s, true), set_config('engage.bypass', %s, true)",
            (org, bypass),
        )
        return {r[0] for r in conn.exec_driver_sql(sql)}

    holdings = "SELECT id FROM holding"
    assert visible(holdings, str(two_orgs["b"])) == {two_orgs["holding_b"]}
    assert visible(holdings, str(two_orgs["a"])) == {two_orgs["holding_a"]}
    assert visible(holdings) == set(), "no scope: no private rows"
    assert {two_orgs["holding_a"], two_orgs["holding_b"]} <= visible(holdings, bypass="on")

    sso = "SELECT id FROM sso_config"
    assert visible(sso, str(two_orgs["a"])) == {two_orgs["sso_a"]}
    assert visible(sso, str(two_orgs["b"])) == set(), "another organisation's SSO settings"

    dialogue = "SELECT id FROM dialogue_entry"
    seen_by_b = visible(dialogue, str(two_orgs["b"]))
    assert two_orgs["coalition_a"] in seen_by_b and two_orgs["private_a"] not in seen_by_b

    visible("SELECT 1", str(two_orgs["b"]))
    with pytest.raises(sa.exc.ProgrammingError, match="row-level security"):
        with conn.begin_nested():
            conn.exec_driver_sql(
                "INSERT INTO holding (organisation_id, company_id, value_eur, valued_on, created_at) "
                "VALUES (%s, %s, 1, '2026-01-01', now())",
                (two_orgs["a"], two_orgs["company"]),
            )


def test_audit_trail_refuses_update_and_delete(db_session, two_orgs):
    with as_organisation(two_orgs["a"], db_session):
        record("test.appended", object_type="holding", object_id=two_orgs["holding_a"])
        db_session.flush()
    conn = db_session.connection()
    for sql in ("UPDATE audit_event SET action = 'rewritten'", "DELETE FROM audit_event"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with conn.begin_nested():
                conn.exec_driver_sql(sql)
    with system_scope("test", db_session):
        assert db_session.scalar(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "rewritten")
        ) == 0


def test_every_orm_change_is_audited_with_actor_scope_and_diff(db_session, two_orgs):
    with as_organisation(two_orgs["a"], db_session):
        actor = f.user(db_session.get(f.Organisation, two_orgs["a"]))
        set_actor(actor.id)
        holding = db_session.get(Holding, two_orgs["holding_a"])
        holding.value_eur = Decimal("42.00")
        db_session.flush()
        events = db_session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.object_type == "holding",
                AuditEvent.object_id == str(two_orgs["holding_a"]),
            )
        ).all()
    update = next(e for e in events if e.action == "holding.update")
    assert update.actor_id == actor.id
    assert update.organisation_id == two_orgs["a"]
    assert update.context == f"org:{two_orgs['a']}"
    assert update.before == {"value_eur": "1000000.00"}
    assert update.after == {"value_eur": "42.00"}


def test_a_created_row_is_audited_under_its_new_id(db_session, two_orgs):
    with as_organisation(two_orgs["a"], db_session):
        holding = Holding(company_id=db_session.get(Holding, two_orgs["holding_a"]).company_id,
                          value_eur=Decimal("7.00"), valued_on=date(2026, 9, 30))
        db_session.add(holding)
        db_session.flush()
        created = db_session.scalar(sa.select(AuditEvent).where(
            AuditEvent.action == "holding.create", AuditEvent.object_id == str(holding.id)))
    assert created is not None and created.after["value_eur"] == "7.00"


def test_system_scope_events_carry_their_reason_and_are_hidden_from_organisations(db_session, two_orgs):
    with system_scope("escalation sweep", db_session):
        f.company(name="Swept Company")
        db_session.flush()
        event = db_session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "company.create").order_by(AuditEvent.id.desc())
        ).first()
        assert event.context == "system:escalation sweep"
        assert event.organisation_id is None
        assert event.after["name"] == "Swept Company"
        event_id = event.id
    with as_organisation(two_orgs["a"], db_session):
        assert db_session.get(AuditEvent, event_id) is None


@pytest.mark.skipif(not is_postgres(), reason="row-level security is a PostgreSQL feature")
def test_orm_scopes_reach_the_database_as_a_plain_role(db_session, two_orgs):
    """As a non-superuser role (as in production), the scope each ORM transaction hands to
    PostgreSQL must agree with the ORM filter: switching scope mid-transaction too."""
    conn = db_session.connection()
    conn.exec_driver_sql("CREATE ROLE engage_app_probe NOLOGIN")
    conn.exec_driver_sql("GRANT USAGE ON SCHEMA public TO engage_app_probe")
    conn.exec_driver_sql("GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO engage_app_probe")
    conn.exec_driver_sql("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO engage_app_probe")
    conn.exec_driver_sql("SET LOCAL ROLE engage_app_probe")
    with as_organisation(two_orgs["b"], db_session):
        assert set(db_session.scalars(sa.select(Holding.id))) == {two_orgs["holding_b"]}
        # The audit row this flush writes must pass the RLS check as organisation B.
        db_session.get(Holding, two_orgs["holding_b"]).value_eur = Decimal("5.00")
        db_session.flush()
    with system_scope("test", db_session):
        assert {two_orgs["holding_a"], two_orgs["holding_b"]} <= set(
            db_session.scalars(sa.select(Holding.id))
        )
    with as_organisation(two_orgs["a"], db_session):
        assert set(db_session.scalars(sa.select(Holding.id))) == {two_orgs["holding_a"]}
