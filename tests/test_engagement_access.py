"""engagement_access, the precomputed "which organisation sees which engagement", always
equals the rule it caches (participants, and the admitted members of the engagement's
initiative), whatever writes the base tables: the ORM, bulk SQL, ON DELETE CASCADE, the
benchmark's COPY. Its triggers (migration 0025) are checked after every step of random
sequences of changes, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import random
from datetime import date

import pytest
import sqlalchemy as sa

from engage.bench.data import Sizes, generate
from engage.common.visibility import engagement_viewer_ids, visible_engagement_ids
from engage.engagements.models import Engagement, EngagementLevel, EngagementParticipant, ParticipantRole
from engage.extensions import db
from engage.initiatives.models import Initiative, InitiativeMember, MemberStatus
from engage.organisations.models import Organisation
from engage.tenancy import system_scope
from tests import factories as f
from tests.conftest import is_postgres

# The rule as the tenancy filter stated it before the table: a UNION over the base tables,
# here with the reason kept, so that the table's rows are compared one for one.
RULE = sa.text(
    "SELECT organisation_id, engagement_id, 'participant' FROM engagement_participant "
    "UNION ALL "
    "SELECT m.organisation_id, e.id, 'member' FROM engagement e "
    "JOIN initiative_member m ON m.initiative_id = e.initiative_id "
    "WHERE m.status = 'admitted'"
)
TABLE = sa.text("SELECT organisation_id, engagement_id, source FROM engagement_access")


def _rows(statement) -> list[tuple]:
    return sorted(tuple(r) for r in db.session.execute(statement))


def assert_exact(context: str = "") -> None:
    db.session.flush()
    expected = _rows(RULE)
    assert _rows(TABLE) == expected, context


def _ids(sql: str, **params) -> list[int]:
    return [r[0] for r in db.session.execute(sa.text(sql), params)]


def _sql(sql: str, **params) -> None:
    db.session.execute(sa.text(sql), params)
    db.session.expire_all()


class _Steps:
    """One random change to participation, membership or an engagement's initiative."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.companies = [f.company() for _ in range(2)]

    def pick(self, sql: str, **params) -> int | None:
        ids = _ids(sql, **params)
        return self.rng.choice(ids) if ids else None

    def org(self) -> int | None:
        return self.pick("SELECT id FROM organisation")

    def initiative(self) -> int | None:
        return self.pick("SELECT id FROM initiative")

    def engagement(self) -> int | None:
        return self.pick("SELECT id FROM engagement")

    # -- organisations, initiatives, engagements ------------------------------------------

    def new_organisation(self) -> str:
        f.organisation()
        return "new organisation"

    def new_initiative(self) -> str:
        org = self.org()
        if org is None:
            return "no organisation"
        init = f.initiative(db.session.get(Organisation, org))  # its coordinator, admitted
        return f"new initiative {init.id}"

    def new_engagement(self) -> str:
        org, init = self.org(), self.initiative() if self.rng.random() < 0.7 else None
        if org is None:
            return "no organisation"
        lead = db.session.get(Organisation, org)
        initiative = db.session.get(Initiative, init) if init else None
        e = f.engagement(self.rng.choice(self.companies), lead, initiative)
        return f"new engagement {e.id} in {init}"

    def move_engagement(self) -> str:
        e, init = self.engagement(), self.initiative()
        if e is None:
            return "no engagement"
        if init is None or self.rng.random() < 0.3:
            _sql("UPDATE engagement SET initiative_id = NULL, level = 'direct' WHERE id = :e", e=e)
            return f"engagement {e} out of its initiative"
        if self.rng.random() < 0.5:
            engagement = db.session.get(Engagement, e)
            engagement.initiative_id, engagement.level = init, EngagementLevel.COLLABORATIVE
            return f"engagement {e} to {init} (ORM)"
        _sql("UPDATE engagement SET initiative_id = :i, level = 'collaborative' WHERE id = :e",
             i=init, e=e)
        return f"engagement {e} to {init}"

    def move_all_engagements(self) -> str:
        source, target = self.initiative(), self.initiative()
        if source is None:
            return "no initiative"
        _sql("UPDATE engagement SET initiative_id = :t WHERE initiative_id = :s", t=target, s=source)
        return f"all of {source}'s engagements to {target}"

    def delete_engagement(self) -> str:
        e = self.engagement()
        if e is None:
            return "no engagement"
        _sql("DELETE FROM engagement WHERE id = :e", e=e)
        return f"engagement {e} deleted"

    def delete_initiative(self) -> str:
        # An initiative with engagements cannot go (RESTRICT); its members go with it.
        init = self.pick("SELECT id FROM initiative WHERE id NOT IN "
                         "(SELECT initiative_id FROM engagement WHERE initiative_id IS NOT NULL)")
        if init is None:
            return "no empty initiative"
        _sql("DELETE FROM initiative WHERE id = :i", i=init)
        return f"initiative {init} deleted"

    def delete_organisation(self) -> str:
        # One that coordinates nothing (RESTRICT); its participations and memberships go.
        org = self.pick("SELECT id FROM organisation WHERE id NOT IN "
                        "(SELECT coordinator_organisation_id FROM initiative)")
        if org is None:
            return "no organisation to delete"
        _sql("DELETE FROM org_membership WHERE organisation_id = :o", o=org)
        _sql("DELETE FROM organisation WHERE id = :o", o=org)
        return f"organisation {org} deleted"

    # -- participation -----------------------------------------------------------------------

    def add_participant(self) -> str:
        e, org = self.engagement(), self.org()
        if e is None or org is None or _ids(
                "SELECT 1 FROM engagement_participant WHERE engagement_id = :e "
                "AND organisation_id = :o", e=e, o=org):
            return "no new participation"
        db.session.add(EngagementParticipant(engagement_id=e, organisation_id=org,
                                             role=ParticipantRole.SUPPORTER))
        return f"{org} takes part in {e}"

    def remove_participant(self) -> str:
        p = self.pick("SELECT id FROM engagement_participant")
        if p is None:
            return "no participant"
        if self.rng.random() < 0.5:
            db.session.delete(db.session.get(EngagementParticipant, p))
            return f"participant {p} removed (ORM)"
        _sql("DELETE FROM engagement_participant WHERE id = :p", p=p)
        return f"participant {p} removed"

    def hand_over_participation(self) -> str:
        p, org = self.pick("SELECT id FROM engagement_participant"), self.org()
        if p is None or org is None:
            return "no participant"
        try:
            with db.session.begin_nested():
                _sql("UPDATE engagement_participant SET organisation_id = :o WHERE id = :p",
                     o=org, p=p)
        except sa.exc.IntegrityError:
            return "already a participant"
        return f"participant {p} now {org}"

    # -- membership --------------------------------------------------------------------------

    def apply_or_join(self) -> str:
        init, org = self.initiative(), self.org()
        if init is None or org is None or _ids(
                "SELECT 1 FROM initiative_member WHERE initiative_id = :i "
                "AND organisation_id = :o", i=init, o=org):
            return "no new membership"
        status = self.rng.choice(list(MemberStatus))
        f.member(db.session.get(Initiative, init), db.session.get(Organisation, org),
                 status=status)
        return f"{org} joins {init} as {status}"

    def change_status(self) -> str:
        m = self.pick("SELECT id FROM initiative_member")
        if m is None:
            return "no member"
        status = self.rng.choice(list(MemberStatus))
        if self.rng.random() < 0.5:
            db.session.get(InitiativeMember, m).status = status
            return f"member {m} {status} (ORM)"
        _sql("UPDATE initiative_member SET status = :s WHERE id = :m", s=status.value, m=m)
        return f"member {m} {status}"

    def change_every_status(self) -> str:
        init = self.initiative()
        status = self.rng.choice([MemberStatus.ADMITTED, MemberStatus.LEFT])
        _sql("UPDATE initiative_member SET status = :s WHERE initiative_id = :i",
             s=status.value, i=init)
        return f"every member of {init} {status}"

    def remove_member(self) -> str:
        m = self.pick("SELECT id FROM initiative_member")
        if m is None:
            return "no member"
        _sql("DELETE FROM initiative_member WHERE id = :m", m=m)
        return f"member {m} deleted"

    STEPS = [
        (new_organisation, 1), (new_initiative, 1), (new_engagement, 3), (move_engagement, 3),
        (move_all_engagements, 1), (delete_engagement, 1), (delete_initiative, 1),
        (delete_organisation, 1), (add_participant, 4), (remove_participant, 2),
        (hand_over_participation, 1), (apply_or_join, 4), (change_status, 5),
        (change_every_status, 1), (remove_member, 2),
    ]

    def run(self, count: int) -> None:
        steps, weights = zip(*self.STEPS)
        for n in range(count):
            step = self.rng.choices(steps, weights)[0]
            what = step(self)
            assert_exact(f"step {n}: {what}")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_table_equals_the_rule_after_every_change(db_session, seed):
    rng = random.Random(seed)
    with system_scope("test", db_session):
        orgs = [f.organisation() for _ in range(5)]
        steps = _Steps(rng)
        for org in orgs[:2]:
            f.initiative(org)
        for _ in range(4):
            steps.new_engagement()
        assert_exact("start")
        steps.run(120)

        # What the tenancy filter and its inverse read now answer the rule.
        rule = _rows(RULE)
        for org in _ids("SELECT id FROM organisation"):
            seen = set(db.session.scalars(visible_engagement_ids(org)))
            assert seen == {e for o, e, _ in rule if o == org}
        for e in _ids("SELECT id FROM engagement"):
            viewers = list(db.session.scalars(engagement_viewer_ids(e)))
            assert sorted(viewers) == sorted({o for o, e2, _ in rule if e2 == e})


def test_seen_for_two_reasons_and_losing_one_keeps_the_other(db_session):
    with system_scope("test", db_session):
        lead, both = f.organisation(), f.organisation()
        init = f.initiative(lead)
        m = f.member(init, both)
        e = f.engagement(f.company(), lead, init, supporters=(both,))
        seen = set(_rows(sa.text("SELECT source FROM engagement_access "
                                 "WHERE organisation_id = :o AND engagement_id = :e")
                         .bindparams(o=both.id, e=e.id)))
        assert seen == {("member",), ("participant",)}
        m.status = MemberStatus.LEFT
        assert_exact()
        assert e.id in set(db.session.scalars(visible_engagement_ids(both.id)))
        _sql("DELETE FROM engagement_participant WHERE organisation_id = :o", o=both.id)
        assert_exact()
        assert e.id not in set(db.session.scalars(visible_engagement_ids(both.id)))
        assert list(db.session.scalars(engagement_viewer_ids(e.id))) == [lead.id]


def test_the_triggers_are_in_place(db_session):
    """A SQLite batch migration that copies one of the base tables drops its triggers: this
    names them, so that such a migration fails here rather than leave the table stale."""
    names = {
        "postgresql": {"engagement_participant_access", "initiative_member_access",
                       "engagement_access"},
        "sqlite": {f"{table}_access_{verb}" for table in ("engagement_participant",
                                                         "initiative_member")
                   for verb in ("insert", "delete", "update")}
        | {"engagement_access_insert", "engagement_access_update"},
    }
    dialect = db_session.bind.dialect.name
    sql = ("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal" if dialect == "postgresql"
           else "SELECT name FROM sqlite_master WHERE type = 'trigger'")
    assert names[dialect] <= set(_ids(sql))


def test_the_benchmark_world_has_an_exact_table(db_session):
    """engage bench-data writes with COPY (PostgreSQL) or executemany (SQLite), past the
    ORM: the triggers fill the table all the same."""
    generate(Sizes(orgs=8, users=40, companies=120, engagements=80, dialogue=200, due=3),
             seed=11, today=date(2026, 6, 1))
    with system_scope("test", db_session):
        assert_exact()
        counts = dict(db.session.execute(sa.text(
            "SELECT source, count(*) FROM engagement_access GROUP BY source")).all())
        assert counts.get("participant", 0) > 0 and counts.get("member", 0) > 0, counts


@pytest.mark.skipif(not is_postgres(), reason="the plan of a PostgreSQL statement")
def test_the_tenancy_filter_is_an_index_lookup(db_session):
    with system_scope("test", db_session):
        org = f.organisation()
        compiled = sa.select(sa.literal(1)).where(
            sa.literal(1).in_(visible_engagement_ids(org.id))).compile(
            db.engine, compile_kwargs={"literal_binds": True})
        db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(r[0] for r in db.session.execute(sa.text(f"EXPLAIN {compiled}")))
        assert "engagement_access" in plan and "Index" in plan, plan
        assert "engagement_participant" not in plan and "initiative_member" not in plan, plan
