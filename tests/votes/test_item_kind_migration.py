"""Revision 0023 gives each existing vote the kind of its item: a vote an escalation proposed
takes the kind of the ladder step its decision took; every other vote is "other"."""

from __future__ import annotations

from datetime import date, datetime, timezone

import sqlalchemy as sa

from engage.escalations.models import Decision, EscalationReview, LadderStep
from tests.test_migrations import _engage, empty_database_url  # noqa: F401  (the fixture)

MOMENT = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)


def test_existing_votes_get_the_kind_of_their_escalation_step(empty_database_url):  # noqa: F811
    url = empty_database_url
    assert _engage(url, "db", "upgrade").exit_code == 0
    result = _engage(url, "demo-load")
    assert result.exit_code == 0, result.output
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            org, company, engagement, ladder = conn.execute(sa.text(
                "SELECT p.organisation_id, e.company_id, e.id, e.ladder_id FROM engagement e "
                "JOIN engagement_participant p ON p.engagement_id = e.id "
                "WHERE e.ladder_id IS NOT NULL ORDER BY e.id LIMIT 1")).one()
            decisions = {}
            for kind in ("vote_against_directors", "vote_against_annual_report",
                         "letter_to_board"):
                step = conn.execute(LadderStep.__table__.insert().values(
                    ladder_id=ladder, position=100 + len(decisions), kind=kind, wait_days=30)
                ).inserted_primary_key[0]
                review = conn.execute(EscalationReview.__table__.insert().values(
                    engagement_id=engagement, trigger_key=f"migration-test:{kind}",
                    reason="step_wait_elapsed", due_at=MOMENT)).inserted_primary_key[0]
                decisions[kind] = conn.execute(Decision.__table__.insert().values(
                    review_id=review, engagement_id=engagement, kind="escalate",
                    ladder_step_id=step, reason="test", decided_by_organisation_id=org)
                ).inserted_primary_key[0]
        assert _engage(url, "db", "downgrade", "0022").exit_code == 0
        items = {"Re-elect the directors": decisions["vote_against_directors"],
                 "Adopt the annual report": decisions["vote_against_annual_report"],
                 "A letter's vote": decisions["letter_to_board"],
                 "Entered by hand": None}
        with engine.begin() as conn:
            for item, decision in items.items():
                conn.execute(sa.text(
                    "INSERT INTO vote (organisation_id, company_id, engagement_id, decision_id, "
                    "agm_on, item, instruction, requested_instruction, status, rationale, "
                    "created_at) VALUES (:org, :company, :engagement, :decision, :agm, :item, "
                    "'against', 'against', 'proposed', '', :at)"),
                    {"org": org, "company": company, "engagement": engagement,
                     "decision": decision, "agm": date(2027, 5, 1), "item": item, "at": MOMENT})
        result = _engage(url, "db", "upgrade")
        assert result.exit_code == 0, result.output
        with engine.connect() as conn:
            kinds = dict(conn.execute(sa.text(
                "SELECT item, item_kind FROM vote WHERE item IN :items").bindparams(
                    sa.bindparam("items", expanding=True)), {"items": list(items)}).all())
            others = conn.execute(sa.text(
                "SELECT count(*) FROM vote WHERE decision_id IS NULL AND item_kind <> 'other'"
            )).scalar()
        assert kinds == {"Re-elect the directors": "directors",
                         "Adopt the annual report": "report",
                         "A letter's vote": "other", "Entered by hand": "other"}
        assert others == 0  # the demo's hand-entered votes, as nothing recorded more
    finally:
        engine.dispose()
