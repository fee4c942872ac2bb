"""The demo data: what load_demo writes, that it writes it once, whole and the same way."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from engage.auth.models import Identity
from engage.companies.models import Company, EsgRating, Holding
from engage.db import Base
from engage.demo import DemoError, DemoSummary, load_demo
from engage.demo import data, loader
from engage.engagements.models import (
    DialogueEntry,
    Engagement,
    EngagementLevel,
    EngagementParticipant,
    EngagementStatus,
    Milestone,
    Note,
    ParticipantRole,
    Visibility,
)
from engage.escalations import ladder_templates
from engage.escalations.models import (
    Decision,
    EscalationLadder,
    EscalationReview,
    LadderStep,
    StepKind,
)
from engage.initiatives.models import Initiative, InitiativeMember, MemberStatus
from engage.organisations.models import Organisation, OrgMembership, OrgRole, User
from engage.tenancy import system_scope
from engage.votes.models import Vote

TODAY = date(2026, 11, 22)


def count(session, model, *where) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


@pytest.fixture
def loaded(db_session) -> DemoSummary:
    return load_demo(TODAY)


# --- what is written --------------------------------------------------------------------------


@pytest.mark.parametrize("today", [TODAY, date(2028, 2, 29), date(2027, 1, 1)], ids=str)
def test_summary_matches_the_tables(db_session, today):
    summary = load_demo(today)
    with system_scope("test", db_session):
        s = db_session
        assert summary.counts() == {
            "organisations": count(s, Organisation),
            "users": count(s, User),
            "initiatives": count(s, Initiative),
            "companies": count(s, Company),
            "excluded_companies": count(s, Company, Company.exclusion_category.is_not(None)),
            "engagements": count(s, Engagement),
            "milestones": count(s, Milestone),
            "overdue_milestones": count(s, Milestone, Milestone.overdue(today)),
            "dialogue_entries": count(s, DialogueEntry),
            "holdings": count(s, Holding),
            "votes": count(s, Vote),
        }
        due_soon = count(s, Milestone, Milestone.met_on.is_(None),
                         Milestone.due_on.between(today, today + timedelta(days=30)))
        met = count(s, Milestone, Milestone.met_on.is_not(None))
        assert count(s, Milestone, Milestone.met_on > today) == 0
        assert count(s, DialogueEntry, DialogueEntry.occurred_on > today) == 0
    assert summary.organisations >= 5
    assert summary.users >= 15
    assert summary.excluded_companies >= 90
    assert 25 <= summary.engagements <= 35
    assert summary.overdue_milestones > 0
    assert due_soon > 0
    assert met > 0
    assert summary.votes > 0


def test_every_organisation_has_an_admin_a_member_and_a_viewer(db_session, loaded):
    with system_scope("test", db_session):
        roles: dict[int, set[OrgRole]] = {}
        for org_id, role in db_session.execute(
            sa.select(OrgMembership.organisation_id, OrgMembership.role)
        ):
            roles.setdefault(org_id, set()).add(role)
        assert set(roles) == set(db_session.scalars(sa.select(Organisation.id)))
        assert all(r == set(OrgRole) for r in roles.values())
        assert count(db_session, User) == count(db_session, OrgMembership)
        emails = list(db_session.scalars(sa.select(User.email)))
        assert all(e.endswith(".example") for e in emails)
        assert count(db_session, Identity) == 0
        kinds = {k.value for k in db_session.scalars(sa.select(Organisation.kind))}
        assert {"bank", "insurer", "pension_fund", "asset_manager", "service_provider"} <= kinds
        assert count(db_session, Organisation, Organisation.aum_eur.is_(None)) == 0
    assert sorted(u[1] for u in loaded.demo_users) == sorted(emails)
    text = loaded.describe()
    assert all(email in text for email in emails)
    assert f"{loaded.engagements}" in text


def test_collaborative_engagements_are_led_by_an_admitted_member(db_session, loaded):
    with system_scope("test", db_session):
        admitted = set(map(tuple, db_session.execute(
            sa.select(InitiativeMember.initiative_id, InitiativeMember.organisation_id)
            .where(InitiativeMember.status == MemberStatus.ADMITTED)
        ).all()))
        ladders = dict(db_session.execute(
            sa.select(EscalationLadder.initiative_id, EscalationLadder.id)
            .where(EscalationLadder.initiative_id.is_not(None))
        ).all())
        collaborative = db_session.scalars(
            sa.select(Engagement).where(Engagement.level == EngagementLevel.COLLABORATIVE)
        ).all()
        assert collaborative
        for engagement in collaborative:
            leads = [p for p in engagement.participants if p.role == ParticipantRole.LEAD]
            assert len(leads) == 1, engagement.title
            assert (engagement.initiative_id, leads[0].organisation_id) in admitted
            assert engagement.ladder_id == ladders[engagement.initiative_id]
        levels = set(db_session.scalars(sa.select(Engagement.level)))
        assert levels == set(EngagementLevel)
        assert count(db_session, Engagement, Engagement.status != EngagementStatus.ACTIVE) >= 2
        assert count(db_session, InitiativeMember,
                     InitiativeMember.status == MemberStatus.PENDING) == 1


def test_ladders_follow_the_study(db_session, loaded):
    with system_scope("test", db_session):
        ladders = db_session.scalars(sa.select(EscalationLadder)).all()
        templates = [lad for lad in ladders if lad.is_template]
        # The installed templates, once each: the demo adds none of its own.
        assert sorted(lad.name for lad in templates) == sorted(
            t["name"] for t in ladder_templates.TEMPLATES)
        assert all(lad.initiative_id is None for lad in templates)
        study = next(t["name"] for t in ladder_templates.TEMPLATES
                     if t["key"] == ladder_templates.STUDY)
        for ladder in ladders:
            if ladder.name == study or ladder.initiative_id is not None:
                assert [s.kind for s in ladder.steps] == list(StepKind)
                assert [s.position for s in ladder.steps] == list(range(1, 13))
                assert all(s.description and s.wait_days > 0 for s in ladder.steps)
        assert count(db_session, EscalationLadder,
                     EscalationLadder.initiative_id.is_not(None)) == loaded.initiatives
        assert count(db_session, LadderStep) > 12 * 4
        # The escalation engine opens reviews; the demo records no review or decision.
        assert count(db_session, EscalationReview) == 0
        assert count(db_session, Decision) == 0


def test_private_rows_and_screening_material(db_session, loaded):
    with system_scope("test", db_session):
        private = db_session.scalars(
            sa.select(DialogueEntry).where(DialogueEntry.visibility == Visibility.PRIVATE)
        ).all()
        assert private
        member_org = dict(db_session.execute(
            sa.select(OrgMembership.user_id, OrgMembership.organisation_id)).all())
        dialogue = db_session.scalars(sa.select(DialogueEntry)).all()
        assert all(member_org[d.author_id] == d.organisation_id for d in dialogue)
        participants = set(map(tuple, db_session.execute(sa.select(
            EngagementParticipant.engagement_id, EngagementParticipant.organisation_id)).all()))
        assert all((d.engagement_id, d.organisation_id) in participants for d in private)
        assert count(db_session, Note) >= 2
        excluded_positions = count(
            db_session, Holding,
            Holding.company_id.in_(
                sa.select(Company.id).where(Company.exclusion_category.is_not(None))),
        )
        ccc_positions = count(
            db_session, Holding,
            Holding.company_id.in_(
                sa.select(Company.id).where(Company.esg_rating == EsgRating.CCC)),
        )
        assert excluded_positions >= 2
        assert ccc_positions >= 1
        holders = set(db_session.scalars(sa.select(Holding.organisation_id)))
        assert holders == set(db_session.scalars(sa.select(Organisation.id)))


def test_company_identifiers_are_well_formed():
    def isin_ok(isin: str) -> bool:
        digits = "".join(str(int(c, 36)) for c in isin[:-1])
        total = 0
        for i, ch in enumerate(reversed(digits)):
            d = int(ch) * (2 if i % 2 == 0 else 1)
            total += d - 9 if d > 9 else d
        return len(isin) == 12 and (10 - total % 10) % 10 == int(isin[-1])

    names, isins = set(), set()
    for key, name, isin, lei, *_ in data.COMPANIES:
        assert name not in names
        names.add(name)
        if isin:
            assert isin_ok(isin), (key, isin)
            assert isin not in isins
            isins.add(isin)
        if lei:
            assert len(lei) == 20 and int("".join(str(int(c, 36)) for c in lei)) % 97 == 1


# --- once, whole, the same ------------------------------------------------------------------


def test_loading_twice_is_refused_and_changes_nothing(db_session, loaded):
    with pytest.raises(DemoError, match="empty"):
        load_demo(TODAY)
    with system_scope("test", db_session):
        assert count(db_session, Organisation) == loaded.organisations
        assert count(db_session, Engagement) == loaded.engagements


def test_a_failure_leaves_nothing_behind(db_session, monkeypatch):
    def broken(self):
        raise RuntimeError("boom")
        yield  # pragma: no cover

    monkeypatch.setattr(loader._Loader, "_votes", broken)
    with pytest.raises(RuntimeError, match="boom"):
        load_demo(TODAY)
    with system_scope("test", db_session):
        assert count(db_session, Organisation) == 0
        assert count(db_session, Company) == 0
        assert count(db_session, Engagement) == 0


def test_loading_runs_no_query_per_row(db_session, count_queries):
    with count_queries() as q:
        load_demo(TODAY)
    reads = [s for s in q.statements if not s.lstrip().upper().startswith("INSERT")]
    assert len(reads) <= 5, reads
    if db_session.bind.dialect.name == "postgresql":
        # One multi-row INSERT per table (SQLite gets one per row: its RETURNING has no
        # guaranteed order, so SQLAlchemy inserts rows one by one, still in milliseconds).
        assert q.count < 60, q.count


def _snapshot(session) -> dict[str, list[dict]]:
    """Every row but the audit trail, with ids replaced by their rank in their table, so
    two loads compare equal when they wrote the same rows in the same order."""
    # engagement_access is derived from the other tables (by triggers) and has no id.
    tables = [t for t in Base.metadata.sorted_tables
              if t.name not in ("audit_event", "engagement_access")]
    rows, ranks = {}, {}
    with system_scope("test", session):
        for table in tables:
            rows[table.name] = session.execute(
                sa.select(table).order_by(table.c.id)).mappings().all()
            ranks[table.name] = {r["id"]: i for i, r in enumerate(rows[table.name])}
    snapshot = {}
    for table in tables:
        targets = {fk.parent.name: fk.column.table.name for fk in table.foreign_keys}
        snapshot[table.name] = [
            {
                key: (ranks[table.name][value] if key == "id"
                      else ranks[targets[key]][value] if key in targets and value is not None
                      else value)
                for key, value in row.items()
                if key != "created_at"
            }
            for row in rows[table.name]
        ]
    return snapshot


def test_loading_is_deterministic(db_session):
    connection = db_session.bind
    before = connection.begin_nested()
    first = load_demo(TODAY)
    first_rows = _snapshot(db_session)
    db_session.rollback()
    before.rollback()  # undo the first load
    with system_scope("test", db_session):
        assert count(db_session, Organisation) == 0
    db_session.rollback()
    second = load_demo(TODAY)
    assert second == first
    assert _snapshot(db_session) == first_rows
    assert sum(len(r) for r in first_rows.values()) > 500


def test_the_readmes_walkthrough_works_on_the_demo_data(client, db_session, loaded):
    """README, "Initiatives and companies": in the demo, Tallskog's Erik Johansson (who reads
    English) signs on to the recruiting meat initiative, Lindeboom's Thomas Hendriks admits
    it, and Scheldezeker's application waits beside it."""
    from tests.conftest import login_ids
    from tests.oidc_support import csrf_token

    with system_scope("test", db_session):
        meat = db_session.scalar(sa.select(Initiative).where(
            Initiative.title == "Meat sourcing and labour conditions"))
        people = {u.email: (u.id, u.locale) for u in db_session.scalars(sa.select(User))}
        orgs = {o.slug: o.id for o in db_session.scalars(sa.select(Organisation))}
        statuses = dict(db_session.execute(
            sa.select(InitiativeMember.organisation_id, InitiativeMember.status)
            .where(InitiativeMember.initiative_id == meat.id)).all())
        meat_id, coordinator = meat.id, meat.coordinator_organisation_id
    erik, erik_locale = people["erik.johansson@tallskog.example"]
    thomas, thomas_locale = people["thomas.hendriks@lindeboom-am.example"]
    assert erik_locale == thomas_locale == "en" and coordinator == orgs["lindeboom"]
    assert orgs["tallskog"] not in statuses
    assert statuses[orgs["scheldezeker"]] is MemberStatus.PENDING

    login_ids(client, erik, orgs["tallskog"], "tallskog")
    assert "Meat sourcing and labour conditions" in client.get("/initiatives").get_data(
        as_text=True)
    page = client.get(f"/initiatives/{meat_id}").get_data(as_text=True)
    assert "Sign on to this initiative" in page
    applied = client.post(f"/initiatives/{meat_id}/sign-on", data={
        "role": "supporter", "committed_resources": "One analyst for two dialogues",
        "aum_committed_eur": "1200000000", "conflict_of_interest": "",
        "independence_confirmed": "yes", "csrf_token": csrf_token(client)})
    assert applied.status_code == 303

    login_ids(client, thomas, orgs["lindeboom"], "lindeboom")
    assert "New application to “Meat sourcing and labour conditions”" in client.get(
        "/notifications").get_data(as_text=True)
    with system_scope("test", db_session):
        member_id = db_session.scalar(sa.select(InitiativeMember.id).where(
            InitiativeMember.initiative_id == meat_id,
            InitiativeMember.organisation_id == orgs["tallskog"]))
    admitted = client.post(f"/initiatives/{meat_id}/members/{member_id}/admit",
                           data={"csrf_token": csrf_token(client)})
    assert admitted.status_code == 303

    login_ids(client, erik, orgs["tallskog"], "tallskog")
    assert ("Your organisation was admitted to “Meat sourcing and labour conditions”"
            in client.get("/notifications").get_data(as_text=True))
