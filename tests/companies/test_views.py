"""Company list and profile: search, pagination, what each organisation sees, follow."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from engage.companies.models import CompanyFollow, EsgRating, ExclusionCategory
from engage.initiatives.models import InitiativeStatus
from engage.notifications.models import Notification, NotificationKind
from engage.tenancy import system_scope

from tests import factories as f
from tests.conftest import login_as
from tests.oidc_support import csrf_token


def _world(db_session):
    with system_scope("test companies", db_session):
        a, b = f.organisation(), f.organisation()
        a_user, a_follower, b_user = f.user(a), f.user(a), f.user(b)
        init = f.initiative(a, InitiativeStatus.ACTIVE)
        company = f.rated_company(
            EsgRating.CCC, name="Shoe Factory plc", isin="NL0000000001", lei="5493001KJTIIGC8Y1R12",
            controversies="Forced labour allegations at a tier-2 supplier.",
            exclusion_category=ExclusionCategory.HUMAN_RIGHTS,
            exclusion_reason="Severe and systematic human rights violations.",
            excluded_on=date(2025, 1, 1), next_agm_on=date(2027, 5, 20))
        engagement = f.engagement(company, a, init, title="Forced labour at Shoe Factory")
        vote_a = f.vote(a, company, engagement)
        vote_b = f.vote(b, company)
        db_session.commit()
        ids = dict(a=a, b=b, a_user=a_user, a_follower=a_follower, b_user=b_user,
                   company=company.id, engagement=engagement.id, vote_a=vote_a.item,
                   vote_b=vote_b.item)
        for obj in ids.values():
            getattr(obj, "id", None)
        return ids


def _as(client, user, org) -> str:
    login_as(client, user, org)
    return csrf_token(client)


def test_profile_shows_identifiers_rating_exclusion_engagements_and_own_votes_only(client, db_session):
    w = _world(db_session)
    _as(client, w["a_user"], w["a"])
    page = client.get(f"/companies/{w['company']}").get_data(as_text=True)
    for text in ("NL0000000001", "5493001KJTIIGC8Y1R12", 'data-rating="CCC"', 'data-excluded="yes"',
                 "Severe and systematic human rights violations.", "Forced labour allegations",
                 "Forced labour at Shoe Factory", w["vote_a"]):
        assert text in page, text
    assert w["vote_b"] not in page
    # Organisation B sees neither A's engagement nor A's vote; it sees its own vote.
    _as(client, w["b_user"], w["b"])
    page = client.get(f"/companies/{w['company']}").get_data(as_text=True)
    assert w["vote_b"] in page and w["vote_a"] not in page
    assert "Forced labour at Shoe Factory" not in page
    assert client.get("/companies/999999").status_code == 404


def test_search_pagination_and_constant_queries(client, db_session, count_queries):
    w = _world(db_session)
    _as(client, w["b_user"], w["b"])
    listing = client.get("/companies?q=nl00000").get_data(as_text=True)
    assert f'data-company="{w["company"]}"' in listing
    assert 'data-company=' not in client.get("/companies?q=no+such+thing").get_data(as_text=True)
    assert "No company matches" in client.get("/companies?q=%25_").get_data(as_text=True)
    fragment = client.get("/companies?q=shoe", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True) and 'id="company-rows"' in fragment.get_data(as_text=True)
    with system_scope("test", db_session):
        for _ in range(2):
            f.company()
        db_session.commit()
    with count_queries() as small:
        client.get("/companies")
    with system_scope("test", db_session):
        for _ in range(30):
            f.company()
        db_session.commit()
    with count_queries() as large:
        page = client.get("/companies").get_data(as_text=True)
    assert large.count == small.count
    assert 'rel="next"' in page
    second = client.get("/companies?page=2&q=company").get_data(as_text=True)
    assert 'rel="prev"' in second and "q=company" in second


def test_follow_and_unfollow_with_and_without_htmx_then_notifications(client, db_session):
    w = _world(db_session)
    url = f"/companies/{w['company']}"
    token = _as(client, w["a_follower"], w["a"])
    assert client.post(f"{url}/follow", data={}).status_code == 400  # no CSRF token
    response = client.post(f"{url}/follow", data={"csrf_token": token})
    assert response.status_code == 303
    assert 'data-following="yes"' in client.get(url).get_data(as_text=True)
    assert 'data-following="yes"' in client.get(url).get_data(as_text=True)
    fragment = client.post(f"{url}/unfollow", data={"csrf_token": token}, headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in html and 'data-following="no"' in html
    fragment = client.post(f"{url}/follow", data={"csrf_token": token}, headers={"HX-Request": "true"})
    assert 'data-following="yes"' in fragment.get_data(as_text=True)
    with system_scope("test", db_session):
        assert db_session.scalar(sa.select(sa.func.count()).select_from(CompanyFollow)) == 1
    # A new engagement and a vote a colleague of A records on the company, through the
    # pages, reach A's follower.
    token = _as(client, w["a_user"], w["a"])
    created = client.post("/engagements/new", data={
        "csrf_token": token, "company_id": w["company"], "level": "direct",
        "title": "Second dialogue with Shoe Factory", "issue": "Forced labour",
        "trigger": "reactive", "severity_scale": "4", "severity_scope": "3",
        "severity_irremediability": "2", "started_on": "2025-01-06",
        "objective_kind": "end_impact", "objective": "No forced labour in its supply chain"})
    assert created.status_code == 303
    recorded = client.post("/votes", data={
        "csrf_token": token, "company_id": w["company"], "agm_on": "2027-05-20",
        "item": "Re-elect the chair", "instruction": "against", "status": "instructed"})
    assert recorded.status_code == 303
    token = _as(client, w["a_follower"], w["a"])
    notes = client.get("/notifications").get_data(as_text=True)
    assert "New engagement on Shoe Factory plc: Second dialogue with Shoe Factory" in notes
    assert "Vote recorded on Shoe Factory plc" in notes
    with system_scope("test", db_session):
        kinds = set(db_session.scalars(sa.select(Notification.kind).where(
            Notification.user_id == w["a_follower"].id)))
    assert kinds == {NotificationKind.COMPANY_ENGAGEMENT, NotificationKind.COMPANY_VOTE}
    # A viewer cannot follow.
    with system_scope("test", db_session):
        from engage.organisations.models import OrgRole

        viewer = f.user(db_session.get(type(w["a"]), w["a"].id), OrgRole.VIEWER)
        db_session.commit()
        viewer_id = viewer.id
    token = _as(client, type("U", (), {"id": viewer_id}), w["a"])
    assert client.post(f"{url}/follow", data={"csrf_token": token}).status_code == 403
    assert re.search(r'data-following', client.get(url).get_data(as_text=True)) is None
