"""On a fresh install (``engage db upgrade``, ``engage org create``) an engagement can escalate:
the migration installs the template ladders of ``engage.escalations.ladder_templates``."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from engage import create_app
from engage.companies.models import Company
from engage.engagements import service as engagements
from engage.engagements.models import Engagement, Milestone
from engage.escalations import ladder_templates, ladders, service
from engage.escalations.models import (
    Decision,
    DecisionKind,
    EscalationLadder,
    EscalationReview,
    StepKind,
)
from engage.extensions import db
from engage.initiatives import service as initiatives
from engage.organisations.models import Organisation, OrgMembership, OrgRole, User
from engage.tenancy import as_organisation, system_scope
from tests.test_migrations import _engage, empty_database_url  # noqa: F401  (a fixture)

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)


def test_the_study_template_has_the_twelve_measures_mildest_first():
    study = ladders.template_ladder(ladder_templates.STUDY)
    assert [s.kind for s in study.steps] == list(StepKind)
    assert study.steps[-1].kind is StepKind.DIVESTMENT_REVIEW
    assert all(s.wait_days > 0 and s.description and s.description_nl for s in study.steps)
    funds = ladders.template_ladder(ladder_templates.FUND_HOLDER)
    # Who holds through funds neither votes nor divests itself: every step asks the manager.
    assert all("manager" in s.description for s in funds.steps)
    assert funds.name_nl and funds.description_nl


def test_a_fresh_install_can_escalate(empty_database_url):  # noqa: F811
    assert _engage(empty_database_url, "db", "upgrade").exit_code == 0
    result = _engage(empty_database_url, "org", "create", "--slug", "pensioenfonds",
                     "--name", "Pensioenfonds")
    assert result.exit_code == 0, result.output
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        try:
            _escalate_on_the_installed_template()
        finally:
            db.session.remove()
            db.engine.dispose()


def _escalate_on_the_installed_template():
    session = db.session
    with system_scope("test: fresh install"):
        templates = session.scalars(
            sa.select(EscalationLadder).where(EscalationLadder.is_template.is_(True))
            .order_by(EscalationLadder.id)).all()
        # The same content as the service builds from the one definition.
        assert [(t.name, t.name_nl, t.description_nl) for t in templates] == [
            (s["name"], s["name_nl"], s["description_nl"]) for s in ladder_templates.TEMPLATES]
        for template, spec in zip(templates, ladder_templates.TEMPLATES, strict=True):
            assert ladders.steps_of(template) == ladders.template_spec_steps(spec)
        org = session.scalar(sa.select(Organisation).where(Organisation.slug == "pensioenfonds"))
        user = User(email="lead@pensioenfonds.example", name="Lead")
        session.add(user)
        session.flush()
        session.add(OrgMembership(user_id=user.id, organisation_id=org.id, role=OrgRole.ADMIN))
        company = Company(name="Garment Co", country="NL", sector="Apparel")
        session.add(company)
        session.commit()
        org_id, user_id, company_id, study_id = org.id, user.id, company.id, templates[0].id

    with as_organisation(org_id):
        actor = session.get(User, user_id)
        initiative = initiatives.create_initiative(actor=actor, organisation_id=org_id, data={
            "title": "Living wage", "theme": "Human rights", "common_goals": "A living wage",
            "ladder_id": str(study_id)})
        engagement = engagements.create_engagement(actor=actor, organisation_id=org_id, data={
            "company_id": str(company_id), "initiative_id": str(initiative.id),
            "title": "Living wage at Garment Co", "issue": "Wages below a living wage",
            "trigger": "reactive", "severity_scale": "4", "severity_scope": "4",
            "severity_irremediability": "3",
            "started_on": (NOW.date() - timedelta(days=60)).isoformat(),
            "milestone_title": "Roadmap published",
            "milestone_due_on": (NOW.date() - timedelta(days=5)).isoformat()})
        session.commit()
        engagement_id = engagement.id
        assert engagement.ladder_id not in (None, study_id)  # the initiative's own copy

    report = service.sweep(NOW)
    assert len(report.reviews_opened) == 1
    with as_organisation(org_id):
        review_id = session.scalar(sa.select(EscalationReview.id)
                                   .where(EscalationReview.engagement_id == engagement_id))
        assert session.scalar(sa.select(Milestone.id)
                              .where(Milestone.engagement_id == engagement_id)) is not None
        decision = service.record_decision(
            review_id, DecisionKind.ESCALATE, actor=session.get(User, user_id),
            organisation_id=org_id, reason="No roadmap after the deadline", now=NOW)
        assert decision.ladder_step.kind is StepKind.LETTER_TO_BOARD
        decision_id = decision.id
    service.apply_decision(decision_id, NOW)
    with as_organisation(org_id):
        engagement = session.get(Engagement, engagement_id)
        assert engagement.current_step.kind is StepKind.LETTER_TO_BOARD
        assert session.get(Decision, decision_id).apply_status.value == "done"
