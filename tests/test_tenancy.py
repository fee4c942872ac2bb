"""Tenancy: organisation B never gets organisation A's private rows, nor the shared rows of
engagements it takes no part in, through any ORM path."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy.orm import aliased

from engage import tenancy
from engage.audit.models import AuditEvent
from engage.companies.models import Company, Holding
from engage.engagements.models import (
    DialogueEntry,
    Engagement,
    EngagementParticipant,
    Letter,
    Milestone,
    Note,
    Objective,
    Signature,
    Visibility,
)
from engage.escalations.models import (
    Decision,
    DivestmentReview,
    EscalationLadder,
    EscalationReview,
    LadderStep,
    Resolution,
)
from engage.initiatives.models import Initiative, InitiativeMember, InitiativeStatus, MemberRole
from engage.organisations.models import ApiToken
from engage.tenancy import TenancyError, as_organisation, system_scope
from engage.votes.models import Vote
from tests import factories as f


@pytest.fixture
def world(db_session):
    """A coordinates initiative I (B is an admitted member) and runs E1 in it; E2 is A's
    direct engagement; C takes part in nothing. A and B each keep private rows."""
    with system_scope("test world", db_session):
        a, b, c = f.organisation("org-a"), f.organisation("org-b"), f.organisation("org-c")
        init = f.initiative(a)
        f.member(init, b, MemberRole.SUPPORTER)
        draft = f.initiative(a, status=InitiativeStatus.DRAFT)
        recruiting = f.initiative(a, status=InitiativeStatus.RECRUITING)
        x = f.company()
        e1 = f.engagement(x, a, initiative_=init)
        e2 = f.engagement(x, a)
        w = SimpleNamespace(a=a.id, b=b.id, c=c.id, e1=e1.id, e2=e2.id, company=x.id,
                            initiative=init.id, draft=draft.id, recruiting=recruiting.id)

        def private_rows(org):
            return {
                Holding: f.holding(org, x).id,
                Note: f.note(e1, org).id,
                Vote: f.vote(org, x, e1).id,
                ApiToken: f.api_token(org).id,
                DialogueEntry: f.dialogue(e1, org, Visibility.PRIVATE).id,
                AuditEvent: f.audit_event(org).id,
            }

        w.private_a, w.private_b = private_rows(a), private_rows(b)
        w.coalition_e1 = f.dialogue(e1, a).id

        lad = f.ladder()
        e2.ladder_id = lad.id
        m = f.milestone(e2)
        r = f.review(e2, m)
        d = f.decision(r, a, lad.steps[0])
        lt = f.letter(e2)
        w.e2_rows = {
            Engagement: e2.id,
            EngagementParticipant: e2.participants[0].id,
            Objective: f.objective(e2).id,
            Milestone: m.id,
            EscalationReview: r.id,
            Decision: d.id,
            Letter: lt.id,
            Signature: f.signature(lt, a).id,
            Resolution: db_session.scalar(sa.select(Resolution.id).where(
                Resolution.letter_id == f.resolution(e2).id)),
            DivestmentReview: f.divestment_review(e2).id,
            DialogueEntry: f.dialogue(e2, a).id,
            EscalationLadder: lad.id,
            LadderStep: lad.steps[0].id,
        }
        w.draft_rows = {
            Initiative: draft.id,
            InitiativeMember: draft.members[0].id,
        }
        db_session.commit()
    return w


def ids(session, model, *where):
    return set(session.scalars(sa.select(model.id).where(*where)))


PRIVATE = [Holding, Note, Vote, ApiToken, DialogueEntry, AuditEvent]
SHARED = [Engagement, EngagementParticipant, Objective, Milestone, EscalationReview, Decision,
          Letter, Signature, DivestmentReview, DialogueEntry, EscalationLadder, LadderStep,
          Resolution]


# --- private rows --------------------------------------------------------------------------


@pytest.mark.parametrize("model", PRIVATE, ids=lambda m: m.__name__)
def test_select_returns_only_own_private_rows(db_session, world, model):
    with as_organisation(world.b, db_session):
        seen = set(db_session.scalars(sa.select(model)).all())
        seen_ids = {row.id for row in seen}
    assert world.private_a[model] not in seen_ids
    assert world.private_b[model] in seen_ids


@pytest.mark.parametrize("model", PRIVATE, ids=lambda m: m.__name__)
def test_get_by_primary_key_is_none_for_other_org(db_session, world, model):
    with as_organisation(world.b, db_session):
        assert db_session.get(model, world.private_a[model]) is None
        assert db_session.get(model, world.private_b[model]) is not None


@pytest.mark.parametrize("model", PRIVATE, ids=lambda m: m.__name__)
def test_counts_exclude_other_org(db_session, world, model):
    with system_scope("test", db_session):
        total = db_session.scalar(sa.select(sa.func.count()).select_from(model))
    with as_organisation(world.b, db_session):
        b_count = db_session.scalar(sa.select(sa.func.count()).select_from(model))
        b_count_col = db_session.scalar(sa.select(sa.func.count(model.id)))
        legacy = db_session.query(model).count()
    assert b_count == b_count_col == legacy
    assert b_count < total
    assert b_count == len(ids_in_scope(db_session, world.b, model))


def ids_in_scope(session, org_id, model):
    with as_organisation(org_id, session):
        return ids(session, model)


BULK_UPDATES = {
    Holding: {"value_eur": 0},
    Note: {"body": "overwritten"},
    Vote: {"rationale": "overwritten"},
    ApiToken: {"name": "overwritten"},
    DialogueEntry: {"summary": "overwritten"},
}


@pytest.mark.parametrize("model", list(BULK_UPDATES), ids=lambda m: m.__name__)
def test_bulk_update_and_delete_touch_only_own_rows(db_session, world, model):
    values = BULK_UPDATES[model]
    column = next(iter(values))
    with as_organisation(world.b, db_session):
        own = ids(db_session, model)
        result = db_session.execute(sa.update(model).values(**values))
        assert result.rowcount == len(own)
    with system_scope("test", db_session):
        row = db_session.get(model, world.private_a[model])
        assert getattr(row, column) != values[column]
    with as_organisation(world.b, db_session):
        result = db_session.execute(sa.delete(model))
        assert result.rowcount == len(own)
    with system_scope("test", db_session):
        assert db_session.get(model, world.private_a[model]) is not None


def test_relationship_loads_are_filtered(db_session, world):
    with as_organisation(world.b, db_session):
        e1 = db_session.get(Engagement, world.e1)
        assert e1 is not None, "B is an admitted member of E1's initiative"
        dialogue = {d.id for d in e1.dialogue}
        notes = {n.id for n in e1.notes}
        holdings = {h.id for h in e1.company.holdings}
    assert world.private_a[DialogueEntry] not in dialogue
    assert {world.private_b[DialogueEntry], world.coalition_e1} <= dialogue
    assert notes == {world.private_b[Note]}
    assert holdings == {world.private_b[Holding]}


def test_eager_loads_joins_and_aliases_are_filtered(db_session, world):
    with as_organisation(world.b, db_session):
        e1 = db_session.scalars(
            sa.select(Engagement)
            .where(Engagement.id == world.e1)
            .options(sa.orm.selectinload(Engagement.notes), sa.orm.joinedload(Engagement.dialogue))
        ).unique().one()
        assert {n.id for n in e1.notes} == {world.private_b[Note]}
        assert world.private_a[DialogueEntry] not in {d.id for d in e1.dialogue}
        joined = db_session.scalars(
            sa.select(Holding.id).join(Company).where(Company.id == world.company)
        ).all()
        assert joined == [world.private_b[Holding]]
        h = aliased(Holding)
        assert set(db_session.scalars(sa.select(h.id))) == {world.private_b[Holding]}
        companies = db_session.scalars(sa.select(Company.id).join(Company.holdings)).all()
        assert companies == [world.company]


# --- shared rows ---------------------------------------------------------------------------


@pytest.mark.parametrize("model", SHARED, ids=lambda m: m.__name__)
def test_shared_rows_only_for_participants(db_session, world, model):
    row_id = world.e2_rows[model]
    for outsider in (world.b, world.c):
        with as_organisation(outsider, db_session):
            assert row_id not in ids(db_session, model)
            assert db_session.get(model, row_id) is None
    with as_organisation(world.a, db_session):
        assert row_id in ids(db_session, model)


@pytest.mark.parametrize("model", [Initiative, InitiativeMember], ids=lambda m: m.__name__)
def test_draft_initiative_only_for_coordinator(db_session, world, model):
    row_id = world.draft_rows[model]
    for outsider in (world.b, world.c):
        with as_organisation(outsider, db_session):
            assert row_id not in ids(db_session, model)
    with as_organisation(world.a, db_session):
        assert row_id in ids(db_session, model)


def test_recruiting_initiative_is_visible_but_its_members_are_not(db_session, world):
    with as_organisation(world.c, db_session):
        assert ids(db_session, Initiative) == {world.recruiting}
        assert ids(db_session, InitiativeMember) == set()
        assert ids(db_session, Engagement) == set()
    with as_organisation(world.b, db_session):
        assert ids(db_session, Engagement) == {world.e1}
        assert ids(db_session, Initiative) == {world.initiative, world.recruiting}


# --- no scope, writes, the escape hatch ----------------------------------------------------


def test_no_scope_refuses_scoped_models_and_fails_closed_on_joins(db_session, world):
    with pytest.raises(TenancyError):
        db_session.scalars(sa.select(Holding)).all()
    with pytest.raises(TenancyError):
        db_session.get(Note, world.private_a[Note])
    assert db_session.scalars(sa.select(Company.id)).all() == [world.company]
    # Reached only through a join: no rows rather than every organisation's rows.
    assert db_session.scalars(sa.select(Company.id).join(Company.holdings)).all() == []


def test_system_scope_sees_everything_and_needs_a_reason(db_session, world):
    with system_scope("escalation sweep", db_session):
        assert {world.private_a[Holding], world.private_b[Holding]} <= ids(db_session, Holding)
    with pytest.raises(TenancyError):
        system_scope("  ")


def test_an_organisation_writes_only_its_own_private_rows(db_session, world):
    with as_organisation(world.b, db_session):
        db_session.add(Holding(organisation_id=world.a, company_id=world.company,
                               value_eur=1, valued_on=f.TODAY.replace(day=1)))
        with pytest.raises(TenancyError):
            db_session.flush()
        db_session.rollback()
    with as_organisation(world.b, db_session):
        h = Holding(company_id=world.company, value_eur=1, valued_on=f.TODAY.replace(day=2))
        db_session.add(h)
        db_session.flush()
        assert h.organisation_id == world.b


def test_writes_need_a_scope(db_session, world):
    db_session.add(f.Company(name="Unscoped Ltd"))
    with pytest.raises(TenancyError, match="outside any scope"):
        db_session.flush()
    db_session.rollback()


def test_an_error_inside_a_scope_surfaces_as_itself(db_session, world):
    with pytest.raises(sa.exc.IntegrityError):
        with as_organisation(world.a, db_session):
            db_session.add(Holding(company_id=world.company, value_eur=-1, valued_on=f.TODAY))
            db_session.flush()
    db_session.rollback()
    assert tenancy.current_scope(db_session) is None
    with as_organisation(world.a, db_session):
        assert world.private_a[Holding] in ids(db_session, Holding)


def test_switching_scope_empties_the_identity_map(db_session, world):
    with as_organisation(world.a, db_session):
        assert db_session.get(Holding, world.private_a[Holding]) is not None
        with as_organisation(world.b, db_session):
            # Without the switch, get() would answer from the identity map.
            assert db_session.get(Holding, world.private_a[Holding]) is None


def test_the_filter_is_what_hides_the_rows(db_session, world):
    """Control: with the filter switched off, the same query leaks A's rows. So the tests
    above fail if the filter is removed."""
    sa.event.remove(FlaskSession, "do_orm_execute", tenancy._apply_tenancy)
    try:
        with as_organisation(world.b, db_session):
            assert world.private_a[Holding] in ids(db_session, Holding)
    finally:
        sa.event.listen(FlaskSession, "do_orm_execute", tenancy._apply_tenancy)
    with as_organisation(world.b, db_session):
        assert world.private_a[Holding] not in ids(db_session, Holding)
