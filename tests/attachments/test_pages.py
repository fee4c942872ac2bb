"""Attachments on the engagement page: upload (multipart, CSRF), list, download as a
download only, delete; bad files refused with the reason; every change audited; another
organisation reaches none of the files it may not see, by page or by guessing ids."""

from __future__ import annotations

import hashlib
import io

import pytest
import sqlalchemy as sa

from engage.attachments.models import Attachment
from engage.tenancy import as_organisation, system_scope
from tests.attachments.conftest import EML, JPEG, PDF, PNG, TEXT, ooxml
from tests.engagements.conftest import HX, act_as, audit_actions


def upload(client, token, kind, parent_id, data, name="evidence.pdf", htmx=False):
    return client.post(f"/attachments/{kind}/{parent_id}",
                       data={"csrf_token": token, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", headers=HX if htmx else {})


def attachments(db_session, org_id):
    with as_organisation(org_id):
        return db_session.scalars(sa.select(Attachment).order_by(Attachment.id)).all()


def test_a_lead_attaches_evidence_to_a_milestone_a_letter_and_its_own_dialogue(
        client, db_session, world, store):
    token = act_as(client, world.lead_user, world.lead)
    response = upload(client, token, "milestone", world.milestone.id, PDF, "minutes.pdf",
                      htmx=True)
    text = response.get_data(as_text=True)
    assert response.status_code == 200, text
    assert f'id="attachments-milestone-{world.milestone.id}"' in text and "minutes.pdf" in text
    plain = upload(client, token, "letter", world.letter.id, ooxml("word/document.xml"),
                   "reply.docx")
    assert plain.status_code == 303
    assert plain.headers["Location"].endswith(f"#letter-{world.letter.id}")
    assert upload(client, token, "dialogue", world.coalition_entry.id, EML,
                  "reply.eml").status_code == 303
    rows = attachments(db_session, world.lead.id)
    assert [(a.parent_kind.value, a.kind, a.filename) for a in rows] == [
        ("milestone", "pdf", "minutes.pdf"), ("letter", "docx", "reply.docx"),
        ("dialogue", "eml", "reply.eml")]
    # Content-addressed: stored under its SHA-256, once.
    digest = hashlib.sha256(PDF).hexdigest()
    assert rows[0].sha256 == digest and store.get(digest) == PDF
    assert audit_actions(db_session, "attachment.create") == 3

    page = client.get(f"/engagements/{world.engagement.id}").get_data(as_text=True)
    for a in rows:
        assert f'href="/attachments/{a.id}/download"' in page

    download = client.get(f"/attachments/{rows[0].id}/download")
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "minutes.pdf" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download.headers["Content-Security-Policy"]
    eml = client.get(f"/attachments/{rows[2].id}/download")
    assert eml.mimetype == "message/rfc822" and eml.data == EML


@pytest.mark.parametrize(("data", "name", "kind", "stored_as"), [
    (PNG, "photo.png", "png", "photo.png"),
    (JPEG, "site visit.JPG", "jpeg", "site visit.JPG"),
    (TEXT, "notes.txt", "text", "notes.txt"),
    (ooxml("xl/workbook.xml"), "wages.xlsx", "xlsx", "wages.xlsx"),
    # The name does not decide: a PNG called .pdf downloads with a .png ending.
    (PNG, "report.pdf", "png", "report.pdf.png"),
    (PDF, "../../etc/passwd", "pdf", "passwd.pdf"),
])
def test_the_kind_is_read_from_the_content(client, db_session, world, store, data, name, kind,
                                           stored_as):
    token = act_as(client, world.lead_user, world.lead)
    assert upload(client, token, "milestone", world.milestone.id, data, name).status_code == 303
    (row,) = attachments(db_session, world.lead.id)
    assert (row.kind, row.filename) == (kind, stored_as)


@pytest.mark.parametrize(("data", "name", "message"), [
    (b"", "empty.pdf", "is empty"),
    (b"<html><body><script>alert(1)</script></body></html>", "report.pdf",
     "cannot be attached"),
    (b"  <svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "chart.png",
     "cannot be attached"),
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "tool.pdf", "cannot be attached"),
    (b"PK\x03\x04" + b"\x00" * 40, "fake.docx", "cannot be attached"),
    (ooxml("other/part.xml"), "odd.docx", "cannot be attached"),
    (b"GIF89a" + b"\x00" * 10, "anim.gif", "cannot be attached"),
    (b"%PDF" + b"x" * 3000, "big.pdf", "larger than"),
])
def test_bad_files_are_refused_with_the_reason(app, client, db_session, world, store, data,
                                               name, message, monkeypatch):
    monkeypatch.setitem(app.config, "ENGAGE_ATTACHMENT_MAX_BYTES", 2048)
    token = act_as(client, world.lead_user, world.lead)
    for htmx in (True, False):
        response = upload(client, token, "milestone", world.milestone.id, data, name, htmx=htmx)
        text = response.get_data(as_text=True)
        assert response.status_code == 400 and message in text, text[-800:]
        assert 'role="alert"' in text and ("<html" in text.lower()[:200]) is not htmx
    assert attachments(db_session, world.lead.id) == []
    assert list(store.root.rglob("*")) == [] if store.root.exists() else True


def test_no_file_at_all_is_a_field_error(client, world, store):
    token = act_as(client, world.lead_user, world.lead)
    response = client.post(f"/attachments/milestone/{world.milestone.id}",
                           data={"csrf_token": token}, headers=HX)
    assert response.status_code == 400 and "is empty" in response.get_data(as_text=True)
    no_csrf = client.post(f"/attachments/milestone/{world.milestone.id}",
                          data={"file": (io.BytesIO(PDF), "a.pdf")},
                          content_type="multipart/form-data")
    assert no_csrf.status_code == 400 and "CSRF" in no_csrf.get_data(as_text=True)


def test_who_may_attach(client, db_session, world, store):
    """A supporter takes part but does not lead: no files on milestones and letters, nor on
    another organisation's dialogue entry."""
    token = act_as(client, world.supporter_user, world.supporter)
    for kind, parent_id, message in (
            ("milestone", world.milestone.id, "lead and co-lead"),
            ("letter", world.letter.id, "lead and co-lead"),
            ("dialogue", world.coalition_entry.id, "organisation that logged")):
        response = upload(client, token, kind, parent_id, PDF, htmx=True)
        assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert attachments(db_session, world.supporter.id) == []


def test_delete_audits_and_frees_content_no_longer_attached(client, db_session, world, store):
    token = act_as(client, world.lead_user, world.lead)
    upload(client, token, "milestone", world.milestone.id, PDF, "a.pdf")
    upload(client, token, "letter", world.letter.id, PDF, "same-content.pdf")
    first, second = attachments(db_session, world.lead.id)
    key = first.sha256
    assert first.sha256 == second.sha256
    response = client.post(f"/attachments/{first.id}/delete", data={"csrf_token": token},
                           headers=HX)
    assert response.status_code == 200 and "a.pdf" not in response.get_data(as_text=True)
    assert store.get(key) == PDF  # the letter's copy still names it
    response = client.post(f"/attachments/{second.id}/delete", data={"csrf_token": token})
    assert response.status_code == 303
    assert attachments(db_session, world.lead.id) == []
    assert not (store.root / key[:2] / key[2:4] / key).exists()
    assert audit_actions(db_session, "attachment.delete") == 2


@pytest.mark.parametrize("who", ["co_lead", "supporter", "outsider"])
def test_a_private_entrys_files_stay_private(who, client, db_session, world, store):
    """The lead's private dialogue entry's file: no other organisation lists or downloads it,
    by its id or by its entry's, and nobody but the lead deletes the lead's files."""
    lead_token = act_as(client, world.lead_user, world.lead)
    upload(client, lead_token, "dialogue", world.private_entry.id, TEXT, "off-record.txt")
    upload(client, lead_token, "milestone", world.milestone.id, PDF, "shared.pdf")
    private, shared = attachments(db_session, world.lead.id)
    client.get("/logout")
    user, org = getattr(world, f"{who}_user"), getattr(world, who)
    token = act_as(client, user, org)
    page = client.get(f"/engagements/{world.engagement.id}")
    assert "off-record.txt" not in page.get_data(as_text=True)
    assert client.get(f"/attachments/{private.id}/download").status_code == 404
    assert client.get(f"/attachments/dialogue/{world.private_entry.id}",
                      headers=HX).status_code == 404
    assert upload(client, token, "dialogue", world.private_entry.id, PDF).status_code == 404
    assert client.post(f"/attachments/{private.id}/delete",
                       data={"csrf_token": token}).status_code == 404
    visible = {a.id for a in attachments(db_session, org.id)}
    assert private.id not in visible
    if who == "outsider":
        assert visible == set()
        assert client.get(f"/attachments/{shared.id}/download").status_code == 404
        assert client.post(f"/attachments/{shared.id}/delete",
                           data={"csrf_token": token}).status_code == 404
    else:
        # A participant sees the coalition's files, and cannot delete the lead's.
        assert shared.id in visible
        assert client.get(f"/attachments/{shared.id}/download").data == PDF
        refused = client.post(f"/attachments/{shared.id}/delete", data={"csrf_token": token},
                              headers=HX)
        assert refused.status_code == 400
        assert "organisation that attached" in refused.get_data(as_text=True)
    with system_scope("test"):
        assert db_session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 2


def test_guessing_ids_finds_nothing(client, world, store):
    token = act_as(client, world.outsider_user, world.outsider)
    for url in ("/attachments/999999/download", "/attachments/dialogue/999999",
                "/attachments/notakind/1", f"/attachments/milestone/{world.milestone.id}"):
        assert client.get(url, headers=HX).status_code == 404, url
    assert client.post("/attachments/999999/delete", data={"csrf_token": token}).status_code == 404
