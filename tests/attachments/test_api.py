"""Attachments in the API: multipart uploads, lists, downloads and deletion, with the pages'
rules; a co-participant never reaches the files of another organisation's private entry."""

from __future__ import annotations

import io

import pytest

from engage.organisations.tokens import create_token
from engage.tenancy import as_organisation
from tests.api.conftest import ApiClient
from tests.attachments.conftest import PDF, TEXT


@pytest.fixture
def api(app, db_session, world):
    def client_for(org, user):
        with as_organisation(org.id):
            secret = create_token(db_session, organisation=org, name="sync", scope="write",
                                  created_by=user).secret
            db_session.commit()
        return ApiClient(app.test_client(), secret)

    return client_for


def send(client: ApiClient, path: str, data: bytes, name: str = "minutes.pdf"):
    return client.client.post(f"/api/v1{path}", headers=client.headers,
                              data={"file": (io.BytesIO(data), name)},
                              content_type="multipart/form-data")


def test_upload_list_download_delete(api, world, store):
    lead = api(world.lead, world.lead_user)
    path = f"/engagements/{world.engagement.id}/milestones/{world.milestone.id}/attachments"
    created = send(lead, path, PDF)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["kind"], body["content_type"], body["filename"], body["size"]) == (
        "pdf", "application/pdf", "minutes.pdf", len(PDF))
    assert body["parent_kind"] == "milestone" and body["parent_id"] == world.milestone.id
    listed = lead.get(path).get_json()
    assert [i["id"] for i in listed["items"]] == [body["id"]]
    content = lead.get(f"/attachments/{body['id']}/content")
    assert content.status_code == 200 and content.data == PDF
    assert content.headers["Content-Disposition"].startswith("attachment;")
    assert content.headers["X-Content-Type-Options"] == "nosniff"
    letter = send(lead, f"/letters/{world.letter.id}/attachments", TEXT, "reply.txt")
    assert letter.status_code == 201 and letter.get_json()["kind"] == "text"
    assert lead.request("DELETE", f"/attachments/{body['id']}").status_code == 204
    assert lead.get(f"/attachments/{body['id']}").status_code == 404


def test_bad_uploads_are_problems_naming_the_field(app, api, world, store, monkeypatch):
    monkeypatch.setitem(app.config, "ENGAGE_ATTACHMENT_MAX_BYTES", 1024)
    lead = api(world.lead, world.lead_user)
    path = f"/engagements/{world.engagement.id}/milestones/{world.milestone.id}/attachments"
    as_json = lead.post(path, json={"file": "x"})
    assert as_json.status_code == 415 and as_json.mimetype == "application/problem+json"
    for data, name, message in ((b"", "e.pdf", "empty"),
                                (b"<!DOCTYPE html><p>hi", "r.pdf", "cannot be attached"),
                                (b"%PDF" + b"0" * 2000, "big.pdf", "larger than")):
        response = send(lead, path, data, name)
        assert response.status_code == 400 and response.mimetype == "application/problem+json"
        assert message in " ".join(response.get_json()["errors"]["file"])
    missing = lead.client.post(f"/api/v1{path}", headers=lead.headers, data={},
                               content_type="multipart/form-data")
    assert missing.status_code == 400 and "file" in missing.get_json()["errors"]


def test_a_private_entrys_files_are_the_organisations_alone(api, world, db_session, store):
    lead, co_lead = api(world.lead, world.lead_user), api(world.co_lead, world.co_lead_user)
    private = (f"/engagements/{world.engagement.id}/dialogue/{world.private_entry.id}"
               "/attachments")
    created = send(lead, private, TEXT, "off-record.txt")
    assert created.status_code == 201
    attachment_id = created.get_json()["id"]
    assert co_lead.get(private).status_code == 404
    for method, path in (("GET", f"/attachments/{attachment_id}"),
                         ("GET", f"/attachments/{attachment_id}/content"),
                         ("DELETE", f"/attachments/{attachment_id}")):
        response = co_lead.request(method, path)
        assert response.status_code == 404, (method, path)
    assert send(co_lead, private, PDF).status_code == 404
    # The co-lead may not attach to the lead's coalition entry either, nor delete the
    # lead's milestone file it can see.
    coalition = (f"/engagements/{world.engagement.id}/dialogue/{world.coalition_entry.id}"
                 "/attachments")
    assert send(co_lead, coalition, PDF).status_code == 400
    shared = send(lead, f"/engagements/{world.engagement.id}/milestones/{world.milestone.id}"
                  "/attachments", PDF).get_json()["id"]
    assert co_lead.get(f"/attachments/{shared}/content").data == PDF
    assert co_lead.request("DELETE", f"/attachments/{shared}").status_code == 400
    assert lead.get(f"/attachments/{attachment_id}/content").data == TEXT
