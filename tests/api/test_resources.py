"""Each resource: lists paginate, gets return the object, writes go through the services."""

from __future__ import annotations

import sqlalchemy as sa
from engage.escalations.models import Decision
from engage.tenancy import as_organisation


def test_lists_use_one_envelope_and_a_constant_number_of_queries(as_token, count_queries):
    api = as_token("a_read")
    for path in ("/companies", "/initiatives", "/engagements", "/reviews", "/letters", "/votes"):
        body = api.get(path, query_string={"per_page": 1}).get_json()
        assert set(body) == {"items", "page", "per_page", "total"}, path
        assert body["per_page"] == 1 and len(body["items"]) <= 1 and body["total"] >= 1
    with count_queries() as q:
        api.get("/engagements")
    assert q.count <= 12, q.statements


def test_gets_and_filters(as_token, api_world):
    api = as_token("a_read")
    e = api.get(f"/engagements/{api_world.engagement.id}").get_json()
    assert e["company"]["id"] == api_world.company.id and e["participants"][0]["role"] == "lead"
    assert api.get("/companies", query_string={"q": "NL00000"}).get_json()["total"] == 1
    assert api.get("/engagements", query_string={"status": "closed_success"}).get_json()["total"] == 0
    dialogue = api.get(f"/engagements/{api_world.engagement.id}/dialogue").get_json()["items"]
    assert {d["visibility"] for d in dialogue} == {"coalition", "private"}


def test_create_an_engagement_and_its_milestones(as_token, api_world):
    api = as_token("a_write")
    created = api.post("/engagements", json={
        "company_id": api_world.company.id, "title": "Grievance mechanism", "issue": "No remedy",
        "trigger": "proactive", "severity_scale": 3, "severity_scope": 2,
        "severity_irremediability": 4, "started_on": "2026-10-01",
        "milestone_title": "Mechanism published", "milestone_due_on": "2027-03-01"})
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert body["level"] == "direct" and body["participants"][0]["organisation"]["id"] == api_world.a.id
    ms = api.get(f"/engagements/{body['id']}/milestones").get_json()["items"]
    assert [m["title"] for m in ms] == ["Mechanism published"]
    changed = api.patch(f"/engagements/{body['id']}/milestones/{ms[0]['id']}",
                        json={"due_on": "2027-05-01", "stage": 1})
    assert changed.status_code == 200 and changed.get_json()["deadline_version"] == 2


def test_sign_on_to_a_recruiting_initiative(as_token, api_world):
    response = as_token("b_write").post(f"/initiatives/{api_world.recruiting.id}/members", json={
        "role": "supporter", "committed_resources": "One analyst", "aum_committed_eur": "1500.50",
        "independence_confirmed": True})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["status"] == "pending"
    again = as_token("b_write").post(f"/initiatives/{api_world.recruiting.id}/members", json={
        "role": "supporter", "committed_resources": "x", "independence_confirmed": True})
    assert again.status_code == 400 and again.mimetype == "application/problem+json"


def test_co_sign_a_letter_once(as_token, api_world, db_session):
    from engage.engagements.models import EngagementParticipant, ParticipantRole
    from engage.tenancy import system_scope

    from tests import factories as f

    with system_scope("test"):
        db_session.add(EngagementParticipant(engagement_id=api_world.engagement.id,
                                             organisation_id=api_world.b.id,
                                             role=ParticipantRole.SUPPORTER))
        f.member(api_world.initiative, api_world.b)
        db_session.flush()
    api = as_token("b_write")
    url = f"/letters/{api_world.letter.id}/signatures"
    signed = api.post(url)
    assert signed.status_code == 201, signed.get_data(as_text=True)
    assert signed.get_json()["organisation"]["id"] == api_world.b.id
    assert api.post(url).status_code == 400
    assert len(api.get(url).get_json()["items"]) == 2


def test_decide_a_review_through_record_decision(as_token, api_world, db_session):
    url = f"/reviews/{api_world.review.id}/decision"
    assert as_token("b_write").post(url, json={"kind": "close", "close_outcome": "success",
                                               "reason": "x"}).status_code == 404
    api = as_token("a_write")
    bad = api.post(url, json={"kind": "extend", "reason": "More time"})
    assert bad.status_code == 400 and "date" in bad.get_json()["detail"]
    made = api.post(url, json={"kind": "escalate", "reason": "No roadmap after two letters"})
    assert made.status_code == 201, made.get_data(as_text=True)
    body = made.get_json()
    assert body["ladder_step_id"] == api_world.ladder_steps[0].id
    assert body["decided_by"]["id"] == api_world.a_member.id
    assert api.get(url).get_json()["id"] == body["id"]
    assert api.post(url, json={"kind": "close", "close_outcome": "success",
                               "reason": "x"}).status_code == 409
    with as_organisation(api_world.a.id):
        assert db_session.scalar(sa.select(sa.func.count()).select_from(Decision)) == 1
