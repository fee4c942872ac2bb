"""Corrections through the API: facts, severity re-assessments, cancelled milestones and
corrected dialogue, each refused with the fields named and nothing written on bad input."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from engage.engagements.models import DialogueRevision, SeverityAssessment
from engage.tenancy import system_scope


@pytest.fixture(autouse=True)
def _committed(api_world, db_session):
    db_session.commit()


def _count(db_session, model) -> int:
    with system_scope("test"):
        return db_session.scalar(sa.select(sa.func.count()).select_from(model))


def test_facts_and_severity(as_token, api_world, db_session):
    api = as_token("a_write")
    eid = api_world.engagement.id
    fixed = api.patch(f"/engagements/{eid}", json={"rights_holders": "cobalt miners' children"})
    assert fixed.status_code == 200 and fixed.get_json()["rights_holders"] == "cobalt miners' children"
    assert api.patch(f"/engagements/{eid}", json={"title": ""}).status_code == 400
    refused = api.post(f"/engagements/{eid}/severity-assessments",
                       json={"severity_scale": 5, "severity_scope": 5,
                             "severity_irremediability": 6, "reason": "x"})
    assert refused.status_code == 400 and _count(db_session, SeverityAssessment) == 0
    done = api.post(f"/engagements/{eid}/severity-assessments",
                    json={"severity_scale": 5, "severity_scope": 5,
                          "severity_irremediability": 5, "reason": "Worse than reported"})
    assert done.status_code == 201, done.get_data(as_text=True)
    body = done.get_json()
    assert (body["severity"], body["reason"]) == (125, "Worse than reported")
    assert body["previous_severity"] == body["previous_scale"] * body["previous_scope"] * \
        body["previous_irremediability"]
    assert api.get(f"/engagements/{eid}").get_json()["severity"] == 125
    listed = api.get(f"/engagements/{eid}/severity-assessments").get_json()
    assert [a["id"] for a in listed["items"]] == [body["id"]]
    assert as_token("a_read").post(f"/engagements/{eid}/severity-assessments", json={
        "severity_scale": 1, "severity_scope": 1, "severity_irremediability": 1,
        "reason": "x"}).status_code == 403


def test_cancel_a_milestone(as_token, api_world):
    api = as_token("a_write")
    url = f"/engagements/{api_world.engagement.id}/milestones/{api_world.milestone.id}"
    assert api.post(f"{url}/cancel", json={"reason": ""}).status_code == 400
    done = api.post(f"{url}/cancel", json={"reason": "Replaced by a new target"})
    assert done.status_code == 200
    assert done.get_json()["cancelled_on"] and done.get_json()["cancel_reason"] == "Replaced by a new target"
    assert api.post(f"{url}/cancel", json={"reason": "again"}).status_code == 400
    engagement = api.get(f"/engagements/{api_world.engagement.id}").get_json()
    assert engagement["overdue_milestones"] == 0


def test_correct_dialogue_and_read_its_revisions(as_token, api_world, db_session):
    api = as_token("a_write")
    url = f"/engagements/{api_world.engagement.id}/dialogue/{api_world.dialogue.id}"
    assert api.patch(url, json={"summary": "No reason"}).status_code == 400
    assert _count(db_session, DialogueRevision) == 0
    done = api.patch(url, json={"summary": "Corrected", "company_level": "board",
                                "mode": "virtual", "follow_up": "Letter in May",
                                "reason": "Wrong summary"})
    assert done.status_code == 200, done.get_data(as_text=True)
    body = done.get_json()
    assert (body["summary"], body["company_level"], body["mode"], body["follow_up"]) == (
        "Corrected", "board", "virtual", "Letter in May")
    assert body["edited_at"]
    revisions = api.get(f"{url}/revisions").get_json()["items"]
    assert [r["reason"] for r in revisions] == ["Wrong summary"]
    created = api.post(f"/engagements/{api_world.engagement.id}/dialogue", json={
        "kind": "meeting", "occurred_on": "2026-01-10", "summary": "AGM side meeting",
        "company_level": "investor_relations", "mode": "in_person"})
    assert created.status_code == 201
    assert created.get_json()["company_level"] == "investor_relations"
