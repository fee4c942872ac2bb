"""The API's remaining writes: recording and changing votes, the coordinator's admit /
decline, and signing on to an engagement. Each goes through the same service as the page."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from engage.audit.models import AuditEvent
from engage.initiatives.models import MemberRole
from engage.tenancy import system_scope
from engage.votes.models import Vote, VoteInstruction

from tests import factories as f


@pytest.fixture(autouse=True)
def _committed(api_world, db_session):
    """A refused write rolls back its unit of work: the world must be committed before it."""
    db_session.commit()


def _audits(db_session, action: str, object_id) -> int:
    with system_scope("test"):
        return db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == action, AuditEvent.object_id == str(object_id)))


def test_record_a_vote_and_take_it_to_cast(as_token, api_world, db_session):
    api = as_token("a_write")
    created = api.post("/votes", json={
        "company_id": api_world.company.id, "engagement_id": api_world.engagement.id,
        "agm_on": "2027-05-12", "item": "Approval of the remuneration report",
        "instruction": "against"})
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert (body["status"], body["instruction"], body["engagement_id"], body["company"]["id"]) == (
        "instructed", "against", api_world.engagement.id, api_world.company.id)
    assert _audits(db_session, "vote.create", body["id"]) == 1
    url = f"/votes/{body['id']}"
    refused = api.patch(url, json={"status": "cast"})
    assert refused.status_code == 400 and "rationale" in refused.get_json()["errors"]
    back = api.patch(url, json={"status": "proposed"})
    assert back.status_code == 400 and "status" in back.get_json()["errors"]
    cast = api.patch(url, json={"status": "cast", "rationale": "Pay ignores the living wage"})
    assert cast.status_code == 200 and cast.get_json()["status"] == "cast"
    final = api.patch(url, json={"instruction": "for"})
    assert final.status_code == 409 and final.mimetype == "application/problem+json"
    assert api.get(url).get_json()["instruction"] == "against"
    # The same item at the same AGM again is a 400 naming the field.
    dup = api.post("/votes", json={"company_id": api_world.company.id, "agm_on": "2027-05-12",
                                   "item": "Approval of the remuneration report",
                                   "instruction": "for"})
    assert dup.status_code == 400 and "item" in dup.get_json()["errors"]


def test_the_ask_needs_a_rationale_to_depart_from(as_token, api_world, db_session):
    with system_scope("test"):
        vote = db_session.get(Vote, api_world.vote.id)
        vote.requested_instruction = VoteInstruction.AGAINST
        db_session.commit()
    api = as_token("a_write")
    url = f"/votes/{api_world.vote.id}"
    refused = api.patch(url, json={"instruction": "for", "status": "instructed"})
    assert refused.status_code == 400 and "rationale" in refused.get_json()["errors"]
    ok = api.patch(url, json={"instruction": "for", "status": "instructed",
                              "rationale": "The company met the milestone."})
    assert ok.status_code == 200 and ok.get_json()["requested_instruction"] == "against"


def test_vote_writes_refuse_bad_input_read_tokens_and_other_organisations(as_token, api_world):
    api = as_token("a_write")
    for body in ({"company_id": api_world.company.id, "agm_on": "2027-05-12", "item": "",
                  "instruction": "for"},
                 {"company_id": api_world.company.id, "agm_on": "someday", "item": "x",
                  "instruction": "for"},
                 {"company_id": 999999, "agm_on": "2027-05-12", "item": "x",
                  "instruction": "for"},
                 {"company_id": api_world.company.id, "agm_on": "2027-05-12", "item": "x",
                  "instruction": "for", "status": "proposed"},
                 {"company_id": api_world.company.id, "agm_on": "2027-05-12", "item": "x",
                  "instruction": "for", "status": "cast"}):
        response = api.post("/votes", json=body)
        assert response.status_code == 400, body
    assert api.patch(f"/votes/{api_world.vote.id}", json={}).status_code == 400
    assert as_token("a_read").patch(f"/votes/{api_world.vote.id}",
                                    json={"instruction": "for"}).status_code == 403
    assert as_token("b_write").patch(f"/votes/{api_world.vote.id}",
                                     json={"instruction": "for"}).status_code == 404


def test_the_coordinator_admits_and_declines_applications(as_token, api_world, db_session):
    url = f"/initiatives/{api_world.recruiting.id}/members"
    applied = as_token("b_write").post(url, json={
        "role": "supporter", "committed_resources": "One analyst", "independence_confirmed": True})
    member_id = applied.get_json()["id"]
    # Only the coordinator decides: B sees the recruiting initiative, but may not decide.
    assert as_token("b_write").patch(f"{url}/{member_id}",
                                     json={"status": "admitted"}).status_code == 403
    assert as_token("a_read").patch(f"{url}/{member_id}",
                                    json={"status": "admitted"}).status_code == 403
    bad = as_token("a_write").patch(f"{url}/{member_id}", json={"status": "pending"})
    assert bad.status_code == 400 and "status" in bad.get_json()["errors"]
    admitted = as_token("a_write").patch(f"{url}/{member_id}", json={"status": "admitted"})
    assert admitted.status_code == 200, admitted.get_data(as_text=True)
    assert admitted.get_json()["status"] == "admitted" and admitted.get_json()["admitted_at"]
    assert _audits(db_session, "initiative_member.admitted", member_id) == 1
    again = as_token("a_write").patch(f"{url}/{member_id}", json={"status": "declined"})
    assert again.status_code == 409
    # A member of another initiative is not found under this one.
    assert as_token("a_write").patch(f"{url}/{api_world.member.id}",
                                     json={"status": "admitted"}).status_code == 404


def test_the_coordinator_declines_with_a_reason(as_token, api_world, db_session):
    url = f"/initiatives/{api_world.recruiting.id}/members"
    member_id = as_token("b_write").post(url, json={
        "role": "observer", "independence_confirmed": True}).get_json()["id"]
    declined = as_token("a_write").patch(f"{url}/{member_id}", json={
        "status": "declined", "reason": "We need supporters with resources."})
    assert declined.status_code == 200 and declined.get_json()["status"] == "declined"
    assert _audits(db_session, "initiative_member.declined", member_id) == 1


def test_sign_on_to_an_engagement_and_list_its_participants(as_token, api_world, db_session):
    with system_scope("test"):
        f.member(api_world.initiative, api_world.b)
        db_session.commit()
    url = f"/engagements/{api_world.engagement.id}/participants"
    joined = as_token("b_write").post(url)
    assert joined.status_code == 201, joined.get_data(as_text=True)
    body = joined.get_json()
    assert (body["organisation"]["id"], body["role"]) == (api_world.b.id, "supporter")
    assert as_token("b_write").post(url).status_code == 409
    assert as_token("a_write").post(url).status_code == 409  # the lead takes part already
    listed = as_token("b_read").get(url).get_json()
    assert [(p["organisation"]["id"], p["role"]) for p in listed["items"]] == [
        (api_world.a.id, "lead"), (api_world.b.id, "supporter")]
    assert listed["total"] == 2


def test_sign_on_is_refused_to_non_members_and_read_tokens(as_token, api_world, db_session):
    with system_scope("test"):
        f.member(api_world.initiative, api_world.b, role=MemberRole.OBSERVER)
        db_session.commit()
    url = f"/engagements/{api_world.engagement.id}/participants"
    observer = as_token("b_write").post(url)
    assert observer.status_code == 400 and "observers" in observer.get_json()["detail"]
    assert as_token("b_read").post(url).status_code == 403
