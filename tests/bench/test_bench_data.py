"""The benchmark world at a small scale: the counts asked for, every row's parents present,
every engagement visible to its participants through the tenancy filter, and exactly the
asked number of milestones due for the sweep."""

from __future__ import annotations

import random
from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa
from engage.bench.data import BenchDataError, Sizes, _World, generate
from engage.engagements.models import Engagement, EngagementParticipant, Milestone
from engage.escalations.models import EscalationReview
from engage.extensions import db
from engage.models import Organisation
from engage.tenancy import as_organisation, system_scope

TODAY = date(2026, 6, 1)
SIZES = Sizes(orgs=8, users=40, companies=120, engagements=80, dialogue=400, due=3)


@pytest.fixture
def world(db_session):
    return generate(SIZES, seed=7, today=TODAY)


def _count(table: str) -> int:
    return db.session.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one()


def test_counts_match_the_sizes(world):
    assert world.counts["organisation"] == 8
    assert world.counts["user_account"] == 40
    assert world.counts["org_membership"] == 40
    assert world.counts["company"] == 120
    assert world.counts["engagement"] == 80
    assert world.counts["dialogue_entry"] == 400
    assert world.counts["milestone"] == 240
    with system_scope("test"):
        for table in ("organisation", "company", "engagement", "dialogue_entry", "milestone"):
            assert _count(table) == world.counts[table], table
        # The exclusion list's 90 companies come first, then synthetic ones.
        assert db.session.execute(sa.text(
            "SELECT count(*) FROM company WHERE exclusion_category IS NOT NULL")).scalar() == 90
        assert _count("escalation_review") > 0 and _count("decision") > 0
        assert _count("letter") > 0 and _count("vote") > 0


# (child table, column, parent table): the foreign keys SQLite does not check on bulk rows
# unless asked, checked here on both databases.
REFERENCES = [
    ("org_membership", "user_id", "user_account"),
    ("org_membership", "organisation_id", "organisation"),
    ("initiative", "coordinator_organisation_id", "organisation"),
    ("initiative_member", "initiative_id", "initiative"),
    ("engagement", "company_id", "company"),
    ("engagement", "initiative_id", "initiative"),
    ("engagement", "ladder_id", "escalation_ladder"),
    ("engagement", "current_step_id", "ladder_step"),
    ("engagement_participant", "engagement_id", "engagement"),
    ("engagement_participant", "organisation_id", "organisation"),
    ("milestone", "engagement_id", "engagement"),
    ("milestone", "objective_id", "objective"),
    ("dialogue_entry", "engagement_id", "engagement"),
    ("dialogue_entry", "author_id", "user_account"),
    ("escalation_review", "milestone_id", "milestone"),
    ("decision", "review_id", "escalation_review"),
    ("decision", "ladder_step_id", "ladder_step"),
    ("letter", "decision_id", "decision"),
    ("signature", "letter_id", "letter"),
    ("vote", "engagement_id", "engagement"),
    ("escalation_task", "decision_id", "decision"),
]


def test_no_orphan_rows(world):
    with system_scope("test"):
        for child, column, parent in REFERENCES:
            orphans = db.session.execute(sa.text(
                f'SELECT count(*) FROM "{child}" c WHERE c.{column} IS NOT NULL AND NOT EXISTS '
                f'(SELECT 1 FROM "{parent}" p WHERE p.id = c.{column})')).scalar_one()
            assert orphans == 0, f"{child}.{column}"
        # Milestones' objectives and reviews' milestones belong to the same engagement.
        assert db.session.execute(sa.text(
            "SELECT count(*) FROM milestone m JOIN objective o ON o.id = m.objective_id "
            "WHERE o.engagement_id <> m.engagement_id")).scalar_one() == 0
        # A collaborative engagement's participants are admitted members of its initiative.
        assert db.session.execute(sa.text(
            "SELECT count(*) FROM engagement_participant p JOIN engagement e "
            "ON e.id = p.engagement_id WHERE e.initiative_id IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM initiative_member m WHERE m.initiative_id = e.initiative_id "
            "AND m.organisation_id = p.organisation_id AND m.status = 'admitted')"
        )).scalar_one() == 0


def test_every_engagement_is_visible_to_its_participants(world):
    with system_scope("test"):
        pairs = db.session.execute(
            sa.select(EngagementParticipant.organisation_id, EngagementParticipant.engagement_id)
        ).all()
    by_org: dict[int, set[int]] = {}
    for org, engagement in pairs:
        by_org.setdefault(org, set()).add(engagement)
    assert len(by_org) > 1
    for org, engagements in by_org.items():
        with as_organisation(org):
            visible = set(db.session.scalars(sa.select(Engagement.id)))
        assert engagements <= visible, org


def test_exactly_the_asked_milestones_are_due(world, app):
    from engage.escalations.service import open_overdue_reviews, send_reminders

    with system_scope("test"):
        due = db.session.scalar(sa.select(sa.func.count()).select_from(Milestone).where(
            Milestone.overdue(TODAY),
            ~sa.exists().where(EscalationReview.milestone_id == Milestone.id)))
    assert due == SIZES.due
    now = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
    assert len(open_overdue_reviews(now)) == SIZES.due
    assert len(send_reminders(now)) == SIZES.due


class _Recorder:
    """Stands in for the bulk writer: keeps the rows instead of writing them."""

    def __init__(self) -> None:
        self.tables: dict[str, list[tuple]] = {}

    def write(self, name, columns, rows) -> int:
        self.tables.setdefault(name, []).extend(rows)
        return len(self.tables[name])


def _world(seed: int) -> dict[str, list[tuple]]:
    recorder = _Recorder()
    _World(recorder, SIZES, random.Random(seed), TODAY).write()
    return recorder.tables


def test_the_same_seed_gives_the_same_world(app):
    with app.app_context():
        first, again, other = _world(3), _world(3), _world(4)
    assert first == again
    assert first["engagement"] != other["engagement"]


def test_refuses_a_database_with_data(db_session):
    with system_scope("test"):
        db.session.add(Organisation(slug="existing", name="Existing", kind="bank"))
        db.session.commit()
    with pytest.raises(BenchDataError, match="empty, migrated database"):
        generate(SIZES, seed=1, today=TODAY)
