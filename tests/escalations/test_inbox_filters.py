"""/reviews: search, filters (initiative, why, escalation step, own role, still overdue),
sortable columns both ways, names as people read them, the count and the query string
kept; another coalition's reviews never show, whatever the filter."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta, timezone
from urllib.parse import quote

import pytest

from engage.engagements.models import EngagementParticipant, ParticipantRole
from engage.escalations.models import EscalationReview, ReviewReason, StepKind
from engage.organisations.models import OrgRole
from engage.tenancy import system_scope
from tests import factories as f
from tests.conftest import login_ids

NOW = datetime.combine(f.TODAY, time(12), tzinfo=timezone.utc)


@pytest.fixture
def world(db_session, frozen_clock):
    frozen_clock(NOW)
    with system_scope("test", db_session):
        org, partner, other = f.organisation(), f.organisation(), f.organisation()
        user = f.user(org, role=OrgRole.ADMIN)
        first, second = f.initiative(org, title="Living wage"), f.initiative(partner, title="Cobalt")
        ladder = f.ladder(None, kinds=(StepKind.LETTER_TO_BOARD,))
        past = f.TODAY - timedelta(days=20)

        # Led by us, its milestone still unmet: overdue.
        altria = f.engagement(f.company("Altria"), org, initiative_=first, title="Tobacco farms")
        led = f.review(altria, f.milestone(altria, due_on=past))
        led.opened_at = NOW - timedelta(days=10)
        # Co-led by us, its milestone met since the review opened: not overdue any more.
        atlantia = f.engagement(f.company("ATLANTIA"), partner, initiative_=second,
                                title="Road safety")
        db_session.add(EngagementParticipant(engagement_id=atlantia.id, organisation_id=org.id,
                                             role=ParticipantRole.CO_LEAD))
        met = f.milestone(atlantia, due_on=past - timedelta(days=5))
        co_led = f.review(atlantia, met)
        co_led.opened_at = NOW - timedelta(days=5)
        met.met_on = f.TODAY - timedelta(days=1)
        # Led by us, the step's waiting time ran out: overdue.
        edf = f.engagement(f.company("Électricité de France"), org, title="Éoliennes",
                           ladder_id=ladder.id, current_step_id=ladder.steps[0].id)
        step = f._add(EscalationReview(
            engagement_id=edf.id, reason=ReviewReason.STEP_WAIT_ELAPSED, trigger_key="step:t1",
            due_at=NOW - timedelta(days=2), opened_at=NOW - timedelta(days=1)))
        # Another coalition's review, overdue.
        zeta = f.engagement(f.company("Zeta Mining"), other, title="Zeta secret")
        theirs = f.review(zeta, f.milestone(zeta, due_on=past))
        ids = {"user": user.id, "org": org.id, "slug": org.slug, "first": first.id,
               "second": second.id, "led": led.id, "co_led": co_led.id, "step": step.id,
               "theirs": theirs.id}
        db_session.commit()
    return ids


def _get(client, world, query: str = ""):
    login_ids(client, world["user"], world["org"], world["slug"])
    response = client.get("/reviews" + query)
    return response, response.get_data(as_text=True)


def _names(world, html: str) -> list[str]:
    by_id = {v: k for k, v in world.items() if k in ("led", "co_led", "step", "theirs")}
    return [by_id[int(i)] for i in re.findall(r'<tr data-review="(\d+)"', html)]


def _total(html: str) -> int:
    return int(re.search(r'data-total="(\d+)"', html).group(1))


def test_oldest_first_with_the_overdue_flagged(client, world):
    response, html = _get(client, world)
    assert response.status_code == 200
    assert _names(world, html) == ["led", "co_led", "step"]
    assert _total(html) == 3
    flagged = re.findall(r'<tr data-review="(\d+)" class="is-overdue"', html)
    assert flagged == [str(world["led"]), str(world["step"])]
    assert "met on" in html  # the co-led review's milestone was met since


def test_sorting_both_ways_names_as_people_read_them(client, world):
    expected = {
        "?sort=-opened": ["step", "co_led", "led"],
        "?sort=company": ["led", "co_led", "step"],  # Altria, ATLANTIA, Électricité
        "?sort=-company": ["step", "co_led", "led"],
        "?sort=engagement": ["step", "co_led", "led"],  # Éoliennes, Road, Tobacco
        "?sort=deadline": ["co_led", "led", "step"],
        "?sort=-deadline": ["step", "led", "co_led"],
    }
    for query, names in expected.items():
        _r, html = _get(client, world, query)
        assert _names(world, html) == names, query


def test_each_filter_and_the_count(client, world):
    cases = {
        f"?initiative={world['first']}": ["led"],
        f"?initiative={world['second']}": ["co_led"],
        "?reason=step_wait_elapsed": ["step"],
        "?reason=milestone_overdue": ["led", "co_led"],
        "?step=letter_to_board": ["step"],
        "?role=co_lead": ["co_led"],
        "?role=lead": ["led", "step"],
        "?overdue=1": ["led", "step"],
        f"?overdue=1&initiative={world['first']}": ["led"],
        "?q=" + quote("ELECTRICITE"): ["step"],
        "?q=eoliennes": ["step"],
        "?q=zeta": [],
    }
    for query, names in cases.items():
        _r, html = _get(client, world, query)
        assert _names(world, html) == names, query
        assert _total(html) == len(names), query


def test_the_url_carries_the_filters_and_bad_values_are_ignored(client, world):
    _r, html = _get(client, world, "?overdue=1&sort=-deadline")
    link = re.search(r'<a href="([^"]+)" data-sort="deadline">', html).group(1).replace("&amp;", "&")
    assert "overdue=1" in link and "sort=deadline" in link
    assert 'aria-sort="descending"' in html
    for query in ("?reason=whim", "?role=supporter", "?initiative=1.5", "?sort=secret",
                  "?step=none"):
        response, html = _get(client, world, query)
        assert response.status_code == 200, query
        assert "ignored" in html or "usual order" in html, query
        assert _total(html) == 3, query


def test_another_coalitions_review_never_shows(client, world):
    for query in ("", "?q=zeta", "?overdue=1", "?sort=-company", "?reason=milestone_overdue"):
        _r, html = _get(client, world, query)
        assert "theirs" not in _names(world, html), query
        assert "Zeta" not in html, query
