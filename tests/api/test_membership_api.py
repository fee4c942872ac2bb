"""Membership over time and the sign-on attestations through the API."""

from __future__ import annotations

from decimal import Decimal

from engage.initiatives import attestation
from engage.initiatives.models import InitiativeMember, MemberRole, MemberStatus
from engage.tenancy import system_scope

from tests import factories as f


def _b_member(db_session, api_world) -> int:
    with system_scope("test", db_session):
        member_id = f.member(api_world.initiative, api_world.b, MemberRole.SUPPORTER).id
        db_session.commit()
    return member_id


def test_a_member_updates_its_commitment_and_leaves(as_token, api_world, db_session):
    w = api_world
    member_id = _b_member(db_session, w)
    b = as_token("b_write")
    base = f"/initiatives/{w.initiative.id}/members/{member_id}"
    assert b.get(f"/engagements/{w.engagement.id}").status_code == 200
    bad = b.request("PUT", f"{base}/commitment", json={"committed_resources": "Two analysts",
                                                       "aum_committed_eur": "-1"})
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json"
    good = b.request("PUT", f"{base}/commitment", json={"committed_resources": "Two analysts",
                                                        "aum_committed_eur": "750000000"})
    assert good.status_code == 200, good.get_json()
    assert Decimal(good.get_json()["aum_committed_eur"]) == Decimal("750000000")
    # A read token, and A for B's membership, are refused.
    assert as_token("b_read").post(f"{base}/leave", json={}).status_code == 403
    assert as_token("a_write").post(f"{base}/leave", json={}).status_code == 400
    left = b.post(f"{base}/leave", json={"reason": "Mandate ended"})
    assert left.status_code == 200
    assert left.get_json()["status"] == "left" and left.get_json()["left_at"]
    assert b.get(f"/engagements/{w.engagement.id}").status_code == 404
    assert b.get(f"/initiatives/{w.initiative.id}/members").get_json()["total"] == 1


def test_the_coordinator_removes_and_hands_over(as_token, api_world, db_session):
    w = api_world
    member_id = _b_member(db_session, w)
    a = as_token("a_write")
    base = f"/initiatives/{w.initiative.id}"
    assert as_token("b_write").post(f"{base}/members/{member_id}/removal",
                                    json={"reason": "x"}).status_code == 403
    assert a.post(f"{base}/coordinator", json={"member_id": w.member.id}).status_code == 400
    handed = a.post(f"{base}/coordinator", json={"member_id": member_id})
    assert handed.status_code == 200 and handed.get_json()["coordinator"]["id"] == w.b.id
    # The new coordinator removes the former one, with a reason.
    b = as_token("b_write")
    assert b.post(f"{base}/members/{w.member.id}/removal", json={}).status_code == 400
    removed = b.post(f"{base}/members/{w.member.id}/removal", json={"reason": "Handed over"})
    assert removed.status_code == 200 and removed.get_json()["status"] == "removed"
    with system_scope("test", db_session):
        assert db_session.get(InitiativeMember, w.member.id).status is MemberStatus.REMOVED


def test_sign_on_attestations_are_listed_for_the_coordinator(as_token, api_world):
    w = api_world
    text = as_token("b_read").get("/attestation-text").get_json()
    assert text["version"] == attestation.CURRENT.version and text["guardrail"]
    b = as_token("b_write")
    stale = b.post(f"/initiatives/{w.recruiting.id}/members", json={
        "role": "supporter", "committed_resources": "One analyst",
        "independence_confirmed": True, "attestation_version": 0})
    assert stale.status_code == 400
    signed = b.post(f"/initiatives/{w.recruiting.id}/members", json={
        "role": "supporter", "committed_resources": "One analyst",
        "conflict_of_interest": "Lender to the company", "independence_confirmed": True,
        "attestation_version": text["version"]})
    assert signed.status_code == 201
    seen = as_token("a_read").get(f"/initiatives/{w.recruiting.id}/attestations").get_json()
    assert seen["total"] == 1
    item = seen["items"][0]
    assert item["organisation"]["id"] == w.b.id and item["version"] == text["version"]
    assert item["accepted_by"]["id"] == w.b_member.id
    assert item["conflict_of_interest"] == "Lender to the company"
    assert b.get(f"/initiatives/{w.recruiting.id}/attestations").get_json()["total"] == 1
