"""Invitations to take part in an engagement, through the API."""

from __future__ import annotations

from engage.engagements.models import EngagementLevel
from engage.tenancy import system_scope

from tests import factories as f


def test_invite_accept_follow_and_leave(as_token, api_world, db_session):
    w = api_world
    with system_scope("test", db_session):
        engagement_id = f.engagement(w.company, w.a, level=EngagementLevel.OUTSOURCED,
                                     title="Outsourced for B").id
        db_session.commit()
    a, b = as_token("a_write"), as_token("b_write")
    assert b.get(f"/engagements/{engagement_id}").status_code == 404
    bad = a.post(f"/engagements/{engagement_id}/invitations",
                 json={"organisation_id": w.b.id, "role": "lead"})
    assert bad.status_code == 400 and "role" in bad.get_json()["errors"]
    refused = a.post(f"/engagements/{w.engagement.id}/invitations",
                     json={"organisation_id": w.b.id, "role": "observer"})
    assert refused.status_code == 400  # a collaborative engagement: members sign on
    sent = a.post(f"/engagements/{engagement_id}/invitations",
                  json={"organisation_id": w.b.id, "role": "client", "message": "Follow us"})
    assert sent.status_code == 201, sent.get_json()
    invitation = sent.get_json()
    assert invitation["status"] == "pending" and invitation["organisation"]["id"] == w.b.id
    assert a.get(f"/engagements/{engagement_id}/invitations").get_json()["total"] == 1
    received = b.get("/invitations").get_json()
    assert [i["id"] for i in received["items"]] == [invitation["id"]]
    assert received["items"][0]["engagement_title"] == "Outsourced for B"
    assert a.get("/invitations").get_json()["total"] == 0  # A received none
    assert a.post(f"/invitations/{invitation['id']}/accept").status_code == 400
    assert as_token("b_read").post(f"/invitations/{invitation['id']}/accept").status_code == 403
    accepted = b.post(f"/invitations/{invitation['id']}/accept")
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "accepted"
    assert b.get(f"/engagements/{engagement_id}").status_code == 200
    roles = {p["organisation"]["id"]: p["role"] for p in
             b.get(f"/engagements/{engagement_id}/participants").get_json()["items"]}
    assert roles == {w.a.id: "lead", w.b.id: "client"}
    # The client follows; it does not write.
    assert b.post(f"/engagements/{engagement_id}/dialogue", json={
        "kind": "call", "occurred_on": "2026-11-01", "summary": "Ours"}).status_code == 403
    assert a.post(f"/engagements/{engagement_id}/leave").status_code == 400  # the lead stays
    left = b.post(f"/engagements/{engagement_id}/leave")
    assert left.status_code == 200 and left.get_json()["role"] == "client"
    assert b.get(f"/engagements/{engagement_id}").status_code == 404
