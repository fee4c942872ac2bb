"""The report's numbers on a known world, its tenancy, and its query count."""

from __future__ import annotations

from datetime import date

import pytest
from engage.reports.service import ReportError, build_report
from engage.tenancy import as_organisation, system_scope

from tests import factories as f


def _report(org_id, start=date(2026, 1, 1), end=date(2026, 12, 31)):
    with as_organisation(org_id):
        return build_report(org_id, start, end)


def test_the_numbers_of_a_known_year(rworld):
    r = _report(rworld.a.id)
    assert (r.engagements, r.companies_engaged) == (3, 3)
    assert r.by_level == {"collaborative": 1, "direct": 2}
    assert r.by_topic == [(None, 2), ("living wage", 1)]
    # Only e1 is still open: its lowest open milestone is at stage 1 (one met at 3 does not
    # lift it); the two closed ones count under their outcome, not a stage.
    assert r.by_stage == {1: 1}
    assert r.held_back == {1: (1, 1)}  # e1 has milestones overdue and reviews open
    progress = next(t for t in r.tables() if t.key == "progress")
    assert [tuple(row[:1]) + tuple(row[2:]) for row in progress.rows] == [
        (0, 0, 0, 0), (1, 1, 1, 1), (2, 0, 0, 0), (3, 0, 0, 0), (4, 0, 0, 0)]
    assert r.milestones_met == 2
    assert r.reviews_opened == 2
    assert r.escalations == [("letter_to_board", 1)] and r.extensions == 1
    assert (r.closed_success, r.closed_no_prospect, r.success_rate) == (1, 1, 0.5)
    # B's coalition letter counts (A takes part in that dialogue); B's private call does not.
    assert dict(r.dialogue) == {"meeting": 1, "letter": 1}
    assert [(v.company, v.instruction, v.requested, v.matched) for v in r.votes] == [
        ("Alpha", "against", "against", True),
        ("Beta", "for", "against", False),
        ("Gamma", "for", None, None),
    ]
    assert (r.votes_with_request, r.votes_matched) == (2, 1)
    assert all(v.rationale.startswith("rationale of org-a") for v in r.votes)
    assert {t.key for t in r.tables()} == {"engagement", "topics", "levels", "progress",
                                           "escalations", "outcomes", "objectives", "dialogue",
                                           "votes"}
    assert all(t.serves for t in r.tables())


def test_a_period_inside_the_year(rworld):
    r = _report(rworld.a.id, date(2026, 1, 1), date(2026, 4, 30))
    # e3 closed 2026-06-30 and e2 started 2026-02-01: both active in the period.
    assert r.engagements == 3 and r.closed == 0 and r.success_rate is None
    assert [v.company for v in r.votes] == ["Alpha"] and r.reviews_opened == 0


def test_another_organisation_sees_only_its_own(rworld):
    r = _report(rworld.b.id)
    assert r.engagements == 2  # the coalition engagement and its own direct one
    assert [v.item for v in r.votes] == ["B's private vote"]
    assert dict(r.dialogue) == {"meeting": 1, "letter": 1, "call": 1}
    a = _report(rworld.a.id)
    assert "B's private vote" not in [v.item for v in a.votes]


def test_bad_periods_and_scope(rworld):
    with pytest.raises(ReportError):
        _report(rworld.a.id, date(2026, 5, 1), date(2026, 4, 1))
    from engage.tenancy import TenancyError

    with as_organisation(rworld.b.id), pytest.raises(TenancyError):
        build_report(rworld.a.id, date(2026, 1, 1), date(2026, 12, 31))


def test_the_query_count_does_not_grow_with_the_data(rworld, count_queries):
    with count_queries() as before:
        _report(rworld.a.id)
    with system_scope("more data"):
        from engage.extensions import db
        from engage.organisations.models import Organisation

        a = db.session.get(Organisation, rworld.a.id)
        for i in range(5):
            c = f.company(f"More {i}")
            e = f.engagement(c, a, started_on=date(2026, 3, 1))
            f.milestone(e, due_on=date(2026, 9, 1), stage=2)
            f.dialogue(e, a, occurred_on=date(2026, 4, 1))
            f.vote(a, c, e)
    with count_queries() as after:
        r = _report(rworld.a.id)
    assert r.engagements == 8
    assert after.count == before.count
