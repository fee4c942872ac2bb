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


# --- an engagement's ladder ------------------------------------------------------------------------

def test_the_lead_tailors_the_engagement_ladder_and_reverts(as_token, api_world, db_session):
    a = as_token("a_write")
    path = f"/engagements/{api_world.engagement.id}/ladder"
    shared = a.get(path).get_json()
    assert shared["tailored"] is False and shared["initiative_id"] == api_world.initiative.id
    body = {"steps": [
        {"id": shared["steps"][0]["id"], "kind": shared["steps"][0]["kind"], "wait_days": 10,
         "description": "Write to the chair.", "description_nl": "Schrijf de voorzitter."}]}
    tailored = _put(a, path, body)
    assert tailored.status_code == 200, tailored.get_json()
    got = tailored.get_json()
    assert got["tailored"] is True and got["engagement_id"] == api_world.engagement.id
    assert got["id"] != shared["id"] and got["initiative_id"] is None
    assert [(s["wait_days"], s["description"], s["description_nl"]) for s in got["steps"]] == [
        (10, "Write to the chair.", "Schrijf de voorzitter.")]
    assert a.get(path).get_json()["id"] == got["id"]
    # The initiative's ladder did not change.
    initiative_ladder = a.get(f"/initiatives/{api_world.initiative.id}/ladder").get_json()
    assert initiative_ladder == shared
    # Keeping the step without its Dutch keeps the Dutch.
    again = _put(a, path, {"steps": [{"id": got["steps"][0]["id"], "kind": "letter_to_board",
                                      "wait_days": 10, "description": "Write to the chair."}]})
    assert again.get_json()["steps"][0]["description_nl"] == "Schrijf de voorzitter."
    reverted = a.request("DELETE", path)
    assert reverted.status_code == 200
    assert reverted.get_json()["id"] == shared["id"]
    assert a.get(path).get_json()["tailored"] is False
    assert a.request("DELETE", path).status_code == 409


def test_bad_engagement_ladders_are_400s_and_write_nothing(as_token, api_world):
    a = as_token("a_write")
    path = f"/engagements/{api_world.engagement.id}/ladder"
    before = a.get(path).get_json()
    for body in ({"steps": []}, {}, {"steps": [{"kind": "bribe", "wait_days": 3}]},
                 {"steps": [{"kind": "letter_to_board", "wait_days": 3}], "copy_from": 1},
                 {"steps": [{"id": 999999, "kind": "letter_to_board", "wait_days": 3}]},
                 {"copy_from": 999999}, {"copy_from": api_world.template.id + 10_000}):
        response = _put(a, path, body)
        assert response.status_code == 400, (body, response.get_json())
        assert response.mimetype == "application/problem+json"
    assert a.get(path).get_json() == before


def test_only_leads_tailor_through_the_api(as_token, api_world, db_session):
    path = f"/engagements/{api_world.engagement.id}/ladder"
    body = {"steps": [{"kind": "letter_to_board", "wait_days": 3}]}
    assert _put(as_token("a_read"), path, body).status_code == 403
    assert as_token("a_read").request("DELETE", path).status_code == 403
    assert _put(as_token("b_write"), path, body).status_code == 404


# --- templates -----------------------------------------------------------------------------------

def _admin(app, api_world):
    from tests.api.conftest import ApiClient
    from tests.conftest import login_as
    from tests.oidc_support import csrf_token

    client = app.test_client()
    login_as(client, api_world.a_admin, api_world.a)
    return ApiClient(client, None), {"X-CSRFToken": csrf_token(client)}


def test_admins_keep_their_own_templates(app, as_token, api_world, db_session):
    admin, csrf = _admin(app, api_world)
    listed = as_token("a_write").get("/ladder-templates", query_string={"per_page": 100})
    items = listed.get_json()["items"]
    installed = [t for t in items if t["installed"]]
    assert len(installed) == len(ladder_templates.TEMPLATES)
    assert api_world.template.id in [t["id"] for t in items if not t["installed"]]
    body = {"name": "Our ladder", "name_nl": "Onze ladder", "copy_from": installed[0]["id"]}
    created = admin.request("POST", "/ladder-templates", json=body, headers=csrf)
    assert created.status_code == 201, created.get_json()
    made = created.get_json()
    assert made["organisation_id"] == api_world.a.id and not made["installed"]
    assert made["steps"][0]["description_nl"] == installed[0]["steps"][0]["description_nl"]
    # The coordinator can start the initiative's ladder from it.
    copied = _put(as_token("a_write"), f"/initiatives/{api_world.initiative.id}/ladder",
                  {"copy_from": made["id"]})
    assert copied.status_code == 200 and len(copied.get_json()["steps"]) == len(made["steps"])
    # Rename and rewrite it.
    put = admin.request("PUT", f"/ladder-templates/{made['id']}", headers=csrf, json={
        "name": "Our short ladder", "steps": [{"kind": "letter_to_board", "wait_days": 5}]})
    assert put.status_code == 200, put.get_json()
    assert put.get_json()["name"] == "Our short ladder" and len(put.get_json()["steps"]) == 1
    # B neither sees nor copies it.
    b = as_token("b_write")
    assert b.get(f"/ladder-templates/{made['id']}").status_code == 404
    assert made["id"] not in [t["id"] for t in b.get("/ladder-templates").get_json()["items"]]
    # Deleted while unused.
    gone = admin.request("DELETE", f"/ladder-templates/{made['id']}", headers=csrf)
    assert gone.status_code == 204
    assert as_token("a_write").get(f"/ladder-templates/{made['id']}").status_code == 404


def test_installed_templates_are_read_only_and_members_do_not_write(app, as_token, api_world):
    admin, csrf = _admin(app, api_world)
    installed = as_token("a_write").get("/ladder-templates").get_json()["items"][0]
    assert installed["installed"]
    body = {"name": "Mine now", "steps": [{"kind": "letter_to_board", "wait_days": 1}]}
    assert admin.request("PUT", f"/ladder-templates/{installed['id']}", json=body,
                         headers=csrf).status_code == 403
    assert admin.request("DELETE", f"/ladder-templates/{installed['id']}",
                         headers=csrf).status_code == 403
    assert as_token("a_write").request("POST", "/ladder-templates", json=body).status_code == 403
    assert as_token("a_write").request(
        "PUT", f"/ladder-templates/{api_world.template.id}", json=body).status_code == 403
    bad = admin.request("POST", "/ladder-templates", headers=csrf,
                        json={"name": "", "steps": [{"kind": "letter_to_board", "wait_days": 1}]})
    assert bad.status_code == 400 and "name" in bad.get_json()["errors"]
    assert as_token("a_write").get(f"/ladder-templates/{installed['id']}").get_json() == installed


def test_a_template_an_engagement_climbs_is_not_deleted(app, as_token, api_world, db_session):
    from engage.engagements.models import Engagement
    from engage.extensions import db

    admin, csrf = _admin(app, api_world)
    with system_scope("test", db_session):
        db.session.get(Engagement, api_world.engagement.id).ladder_id = api_world.template.id
        db.session.commit()
    response = admin.request("DELETE", f"/ladder-templates/{api_world.template.id}", headers=csrf)
    assert response.status_code == 409
    assert as_token("a_write").get(f"/ladder-templates/{api_world.template.id}").status_code == 200
