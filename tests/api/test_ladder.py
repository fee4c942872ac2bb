"""``/api/v1/initiatives/{id}/ladder``: the coordinator reads and writes the ladder; other
organisations neither see nor write it."""

from __future__ import annotations

import sqlalchemy as sa
from engage.escalations import ladder_templates
from engage.escalations.models import EscalationLadder, LadderStep
from engage.tenancy import system_scope


def _put(client, path, body):
    return client.request("PUT", path, json=body)


def test_the_coordinator_reads_and_writes_the_ladder(as_token, api_world, db_session):
    a = as_token("a_write")
    path = f"/initiatives/{api_world.initiative.id}/ladder"
    got = a.get(path)
    assert got.status_code == 200
    steps = got.get_json()["steps"]
    assert [s["position"] for s in steps] == list(range(1, len(steps) + 1))
    body = {"steps": [
        {"kind": "meeting_with_board", "wait_days": 30, "description": "Meet the chair."},
        {"id": steps[0]["id"], "kind": steps[0]["kind"], "wait_days": steps[0]["wait_days"],
         "description": steps[0]["description"]},
    ]}
    written = _put(a, path, body)
    assert written.status_code == 200, written.get_json()
    assert [(s["kind"], s["wait_days"]) for s in written.get_json()["steps"]] == [
        ("meeting_with_board", 30), (steps[0]["kind"], steps[0]["wait_days"])]
    with system_scope("test", db_session):
        ladder_id = db_session.scalar(sa.select(EscalationLadder.id).where(
            EscalationLadder.initiative_id == api_world.initiative.id))
        assert db_session.scalar(sa.select(sa.func.count()).select_from(LadderStep).where(
            LadderStep.ladder_id == ladder_id, LadderStep.retired_at.is_(None))) == 2
        study = db_session.scalar(sa.select(EscalationLadder.id).where(
            EscalationLadder.name == ladder_templates.TEMPLATES[0]["name"]))
    copied = _put(a, path, {"copy_from": study})
    assert copied.status_code == 200, copied.get_json()
    assert len(copied.get_json()["steps"]) == 12


def test_bad_ladders_are_400s(as_token, api_world):
    a = as_token("a_write")
    path = f"/initiatives/{api_world.initiative.id}/ladder"
    before = a.get(path).get_json()
    for body in ({"steps": []}, {}, {"steps": [{"kind": "bribe", "wait_days": 3}]},
                 {"steps": [{"kind": "letter_to_board", "wait_days": -1}]},
                 {"steps": [{"id": 999999, "kind": "letter_to_board", "wait_days": 3}]},
                 {"copy_from": 999999}, {"steps": [{"kind": "letter_to_board"}]}):
        response = _put(a, path, body)
        assert response.status_code == 400, (body, response.get_json())
    assert a.get(path).get_json() == before


def test_other_organisations_and_read_tokens_cannot_write_it(as_token, api_world):
    path = f"/initiatives/{api_world.initiative.id}/ladder"
    body = {"steps": [{"kind": "letter_to_board", "wait_days": 3}]}
    # B does not see A's private initiative at all.
    assert as_token("b_write").get(path).status_code == 404
    assert _put(as_token("b_write"), path, body).status_code == 404
    assert _put(as_token("a_read"), path, body).status_code == 403
    recruiting = f"/initiatives/{api_world.recruiting.id}/ladder"
    # B sees the recruiting initiative but does not coordinate it.
    assert _put(as_token("b_write"), recruiting, body).status_code == 403
