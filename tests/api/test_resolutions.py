"""A resolution's filing terms and filing through the API: each organisation sees the
co-filers' aggregate, never another organisation's holding."""

from __future__ import annotations

from datetime import timedelta

from engage import clock
from engage.engagements.models import EngagementParticipant, ParticipantRole
from engage.tenancy import system_scope
from tests import factories as f
from tests.factories import TODAY


def _b_co_files(api_world, db_session, holding="333333.33"):
    """B joins the engagement, co-files the resolution and holds shares in the company."""
    with system_scope("test"):
        db_session.add(EngagementParticipant(engagement_id=api_world.engagement.id,
                                             organisation_id=api_world.b.id,
                                             role=ParticipantRole.SUPPORTER))
        f.member(api_world.initiative, api_world.b)
        f.holding(api_world.b, api_world.company, holding)
        db_session.commit()


def test_each_co_filer_sees_the_aggregate_and_never_a_position(as_token, api_world, db_session):
    url = f"/letters/{api_world.resolution.id}/resolution"
    terms = as_token("a_read").get(url)
    assert terms.status_code == 200
    body = terms.get_json()
    assert body["threshold_eur"] == "1000000.00" and body["co_filers"] == 1
    assert body["threshold_met"] is False and body["holdings_total_eur"] is None
    assert body["filing_deadline"] == (TODAY + timedelta(days=60)).isoformat()
    _b_co_files(api_world, db_session)
    b = as_token("b_write")
    assert b.post(f"/letters/{api_world.resolution.id}/signatures").status_code == 201
    # 750,000 + 333,333.33 >= 1,000,000: met; two holders, so no total.
    for name in ("a_read", "b_read"):
        seen = as_token(name).get(url)
        text = seen.get_data(as_text=True)
        assert seen.get_json()["threshold_met"] is True and seen.get_json()["co_filers"] == 2
        assert "750000" not in text and "333333" not in text and "1083333" not in text
        letter = as_token(name).get(f"/letters/{api_world.resolution.id}").get_data(as_text=True)
        assert "750000" not in letter and "333333" not in letter
    # The coordinator (A) sets the threshold; B, a co-filer, may not.
    refused = b.patch(url, json={"threshold_eur": "1"})
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert as_token("a_read").patch(url, json={"threshold_eur": "1"}).status_code == 403
    raised = as_token("a_write").patch(url, json={"threshold_eur": "2000000.00"})
    assert raised.status_code == 200 and raised.get_json()["threshold_met"] is False


def test_file_a_resolution(as_token, api_world, db_session):
    a = as_token("a_write")
    base = f"/letters/{api_world.resolution.id}"
    bad = a.patch(f"{base}/resolution", json={"filing_days": 400, "agm_on": "2000-01-01"})
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json"
    # A holds 750,000: below the 1,000,000 threshold.
    refused = a.post(f"{base}/file", json={"channel": "email"})
    assert refused.status_code == 400 and "threshold" in refused.get_json()["detail"]
    assert a.patch(f"{base}/resolution", json={"threshold_eur": "700000"}).status_code == 200
    wrong_kind = a.post(f"{base}/publish", json={"published_in": "website"})
    assert wrong_kind.status_code == 409 and "filed" in wrong_kind.get_json()["detail"]
    # The AGM moves closer: 60 days before it has passed, so filing is refused until the
    # leads record that the company accepts filings up to 10 days before.
    agm = (clock.today() + timedelta(days=30)).isoformat()
    moved = a.patch(f"{base}/resolution", json={"agm_on": agm})
    assert moved.get_json()["filing_deadline"] < clock.today().isoformat()
    late = a.post(f"{base}/file", json={"channel": "email"})
    assert late.status_code == 400 and "filing deadline" in late.get_data(as_text=True)
    assert a.patch(f"{base}/resolution", json={"filing_days": 10}).status_code == 200
    filed = a.post(f"{base}/file", json={"channel": "portal"})
    assert filed.status_code == 200, filed.get_data(as_text=True)
    body = filed.get_json()
    assert (body["status"], body["made_public"], body["sent_channel"]) == ("sent", "filed", "portal")
    assert body["response_milestone_id"] is not None
    again = a.post(f"{base}/file", json={"channel": "portal"})
    assert again.status_code == 409
    assert again.get_json()["detail"] == ("This resolution has been filed: its text and co-filers "
                                          "are final.")
    assert a.patch(f"{base}/resolution", json={"threshold_eur": "1"}).status_code == 409
    # A letter to the board is not a resolution.
    assert a.get(f"/letters/{api_world.letter.id}/resolution").status_code == 404
    assert a.get(f"/letters/{api_world.letter.id}").get_json()["made_public"] is None


def test_list_documents_by_kind(as_token, api_world):
    a = as_token("a_read")
    listed = a.get("/letters", query_string={"kind": "resolution"}).get_json()["items"]
    assert [item["id"] for item in listed] == [api_world.resolution.id]
    assert listed[0]["kind"] == "resolution" and listed[0]["made_public"] is None
    assert a.get("/letters", query_string={"kind": "memo"}).status_code == 400
