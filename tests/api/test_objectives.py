"""Objectives through the API: listed with the engagement, added and closed by its leads,
refused with the fields named, audited like the page's writes (one service)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from engage.audit.models import AuditEvent
from engage.engagements.models import Objective
from engage.tenancy import system_scope


@pytest.fixture(autouse=True)
def _committed(api_world, db_session):
    db_session.commit()


def _count(db_session) -> int:
    with system_scope("test"):
        return db_session.scalar(sa.select(sa.func.count()).select_from(Objective))


def test_the_lead_adds_lists_and_closes_objectives(as_token, api_world, db_session):
    api = as_token("a_write")
    base = f"/engagements/{api_world.engagement.id}/objectives"
    created = api.post(base, json={"kind": "prevent_recurrence",
                                   "description": "Audit every tier-2 supplier yearly"})
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert (body["kind"], body["status"], body["closed_on"], body["reason"]) == (
        "prevent_recurrence", "open", None, "")
    listed = api.get(base).get_json()
    assert [o["kind"] for o in listed["items"]] == ["end_impact", "prevent_recurrence"]
    engagement = api.get(f"/engagements/{api_world.engagement.id}").get_json()
    assert len(engagement["objectives"]) == 2
    assert engagement["objectives"][1]["status"] == "open"

    url = f"{base}/{body['id']}"
    before = _count(db_session)
    refused = api.patch(url, json={"status": "abandoned"})
    assert refused.status_code == 400
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert "reason" in refused.get_json()["errors"]
    assert api.get(url).get_json()["status"] == "open" and _count(db_session) == before
    closed = api.patch(url, json={"status": "abandoned", "reason": "Covered by the sector initiative"})
    assert closed.status_code == 200
    assert closed.get_json()["status"] == "abandoned" and closed.get_json()["closed_on"]
    with system_scope("test"):
        assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "objective.update",
            AuditEvent.object_id == str(body["id"]))) == 1


def test_read_tokens_and_unknown_objectives_are_refused(as_token, api_world, db_session):
    base = f"/engagements/{api_world.engagement.id}/objectives"
    before = _count(db_session)
    assert as_token("a_read").post(base, json={"kind": "other", "description": "x"}).status_code == 403
    assert as_token("a_write").patch(f"{base}/999999", json={"status": "met"}).status_code == 404
    bad = as_token("a_write").post(base, json={"kind": "nonsense", "description": ""})
    assert bad.status_code == 400 and set(bad.get_json()["errors"]) == {"kind", "description"}
    assert _count(db_session) == before


def test_an_engagement_starts_with_its_objectives(as_token, api_world, db_session):
    api = as_token("a_write")
    created = api.post("/engagements", json={
        "company_id": api_world.company.id, "level": "direct", "title": "Cobalt",
        "issue": "Child labour in artisanal mines", "trigger": "reactive",
        "severity_scale": 5, "severity_scope": 4, "severity_irremediability": 5,
        "started_on": "2026-02-01",
        "objectives": [{"kind": "end_impact", "description": "No child labour"},
                       {"kind": "provide_remedy", "description": "Schooling for the children"}]})
    assert created.status_code == 201, created.get_data(as_text=True)
    assert [(o["kind"], o["status"]) for o in created.get_json()["objectives"]] == [
        ("end_impact", "open"), ("provide_remedy", "open")]
