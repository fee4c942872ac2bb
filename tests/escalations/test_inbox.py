"""The reviews inbox: every open review the organisation decides, oldest first, in pages."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from engage.engagements.models import EngagementParticipant, ParticipantRole
from engage.tenancy import system_scope
from tests import factories as f
from tests.conftest import login_as, login_ids

T0 = datetime(2026, 10, 1, 9, 0, tzinfo=timezone.utc)


def _reviews(db_session, lead, *, n, co_lead=None, supporter=None, start=T0) -> list[int]:
    """``n`` open reviews on engagements ``lead`` leads, opened a day apart, newest first
    in creation order so that the inbox must sort them."""
    ids = []
    for i in reversed(range(n)):
        e = f.engagement(f.company(), lead, supporters=(supporter,) if supporter else ())
        if co_lead is not None:
            db_session.add(EngagementParticipant(engagement_id=e.id, organisation_id=co_lead.id,
                                                 role=ParticipantRole.CO_LEAD))
        r = f.review(e, f.milestone(e))
        r.opened_at = start + timedelta(days=i)
        ids.append((r.opened_at, r.id))
    db_session.flush()
    return [i for _, i in sorted(ids)]


def _login(client, user_id, org_id, slug) -> None:
    login_ids(client, user_id, org_id, slug)


def _inbox(client, page=1) -> str:
    response = client.get("/reviews", query_string={"page": page})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_lists_every_open_review_the_org_decides_oldest_first_in_pages(client, db_session, app):
    with system_scope("test", db_session):
        lead, co_lead, supporter, other = (f.organisation() for _ in range(4))
        lead_user, co_lead_user, supporter_user = f.user(lead), f.user(co_lead), f.user(supporter)
        expected = _reviews(db_session, lead, n=5, co_lead=co_lead, supporter=supporter)
        _reviews(db_session, other, n=2)  # another coalition's reviews
        decided = _reviews(db_session, lead, n=1, start=T0 - timedelta(days=30))
        db_session.flush()
        from engage.escalations.models import EscalationReview, ReviewStatus

        db_session.get(EscalationReview, decided[0]).status = ReviewStatus.DECIDED
        db_session.commit()
        login_as(client, lead_user, lead)
        as_co_lead = (co_lead_user.id, co_lead.id, co_lead.slug)
        as_supporter = (supporter_user.id, supporter.id, supporter.slug)
    app.config["ENGAGE_PAGE_SIZE"] = 2
    try:
        pages = [_inbox(client, p) for p in (1, 2, 3)]
        _login(client, *as_co_lead)
        co_lead_first = _inbox(client, 1)
    finally:
        app.config["ENGAGE_PAGE_SIZE"] = 25
    seen = [int(i) for html in pages for i in re.findall(r'data-review="(\d+)"', html)]
    assert seen == expected  # all five, oldest first, none of the other org's, not the decided
    assert "5 open reviews, oldest first" in pages[0]
    assert "Page 1 of 3" in pages[0] and 'rel="next"' in pages[0]
    assert 'rel="prev"' in pages[2] and 'rel="next"' not in pages[2]
    # The co-lead decides too; the supporter does not.
    assert re.findall(r'data-review="(\d+)"', co_lead_first) == [str(i) for i in expected[:2]]
    _login(client, *as_supporter)
    html = _inbox(client)
    assert "data-review=" not in html and "No review waits" in html


def test_inbox_query_count_does_not_grow(client, db_session, count_queries):
    with system_scope("test", db_session):
        lead = f.organisation()
        user = f.user(lead)
        _reviews(db_session, lead, n=1)
        db_session.commit()
        login_as(client, user, lead)
        lead_id = lead.id
    db_session.commit()  # both requests then start a transaction (PostgreSQL: set_config)
    with count_queries() as small:
        _inbox(client)
    with system_scope("test", db_session):
        # The request shared this session and left its objects detached: read afresh.
        lead = db_session.get(type(lead), lead_id)
        _reviews(db_session, lead, n=10)
        db_session.commit()
    with count_queries() as large:
        assert _inbox(client).count("data-review=") == 11
    assert small.count == large.count
