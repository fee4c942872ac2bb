"""Private notes: an organisation keeps its own working notes on an engagement, beside the
shared log. Another organisation — a co-participant too — never sees them: not on the page,
not by guessing a note's id, not in the API, not in its report."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from engage.audit.models import AuditEvent
from engage.engagements import notes as service
from engage.engagements.models import Note
from engage.tenancy import as_organisation, system_scope
from tests.engagements.conftest import act_as, audit_actions, post
from tests.escalations.conftest import NOW
from tests.api.conftest import ApiClient


def _add(client, world, token, htmx=False, body="Their CFO hinted at a 2027 roadmap"):
    return post(client, f"/engagements/{world.engagement.id}/notes", token, htmx=htmx,
                body=body)


def _notes(db_session, org_id):
    with as_organisation(org_id):
        return db_session.scalars(sa.select(Note).order_by(Note.id)).all()


def test_an_organisation_keeps_private_notes_on_the_page(client, db_session, world):
    token = act_as(client, world.supporter_user, world.supporter)
    page = client.get(f"/engagements/{world.engagement.id}").get_data(as_text=True)
    assert "Our private notes" in page and "No notes yet" in page
    response = _add(client, world, token, htmx=True)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="notes"' in text
    assert "Their CFO hinted at a 2027 roadmap" in text and "<html" not in text
    plain = _add(client, world, token, body="Ask about the audit firm")
    assert plain.status_code == 303 and "#note-" in plain.headers["Location"]
    notes = _notes(db_session, world.supporter.id)
    assert [n.body for n in notes] == ["Their CFO hinted at a 2027 roadmap",
                                       "Ask about the audit firm"]
    assert all(n.author_id == world.supporter_user.id for n in notes)
    page = client.get(f"/engagements/{world.engagement.id}").get_data(as_text=True)
    assert page.index("Ask about the audit firm") < page.index("Their CFO hinted")  # newest first

    first = notes[0]
    edited = post(client, f"/engagements/notes/{first.id}", token, htmx=True,
                  body="CFO: roadmap in 2027, confirmed")
    assert edited.status_code == 200 and "CFO: roadmap in 2027, confirmed" in edited.get_data(as_text=True)
    deleted = post(client, f"/engagements/notes/{notes[1].id}/delete", token)
    assert deleted.status_code == 303 and deleted.headers["Location"].endswith("#notes")
    assert [n.body for n in _notes(db_session, world.supporter.id)] == [
        "CFO: roadmap in 2027, confirmed"]
    # Every change is in the organisation's own audit trail, the earlier text kept.
    assert audit_actions(db_session, "note.create") == 2
    assert audit_actions(db_session, "note.update") == 1
    assert audit_actions(db_session, "note.delete") == 1
    with as_organisation(world.supporter.id):
        update = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "note.update"))
    assert update.organisation_id == world.supporter.id
    assert update.before["body"] == "Their CFO hinted at a 2027 roadmap"


def test_bad_notes_are_explained_and_keep_what_was_typed(client, db_session, world):
    token = act_as(client, world.lead_user, world.lead)
    for body, message in [("   ", "cannot be empty"), ("x" * 10_001, "At most 10000 characters")]:
        for htmx in (True, False):
            response = _add(client, world, token, htmx=htmx, body=body)
            text = response.get_data(as_text=True)
            assert response.status_code == 400 and message in text
            assert 'role="alert"' in text and ("<html" in text) is not htmx
    with as_organisation(world.lead.id):
        note_id = service.add_note(world.engagement, actor=world.lead_user,
                                   organisation_id=world.lead.id, body="Kept", now=NOW).id
        db_session.commit()
    response = post(client, f"/engagements/notes/{note_id}", token, body="")
    assert response.status_code == 400 and "cannot be empty" in response.get_data(as_text=True)
    assert [n.body for n in _notes(db_session, world.lead.id)] == ["Kept"]


@pytest.mark.parametrize("who", ["co_lead", "outsider"])
def test_no_other_organisation_sees_or_touches_a_note(who, client, db_session, world):
    """The co-lead takes part in the same engagement and still sees none of the lead's notes;
    an outsider sees neither the engagement nor the notes."""
    with as_organisation(world.lead.id):
        note = service.add_note(world.engagement, actor=world.lead_user,
                                organisation_id=world.lead.id, body="Lead secret read",
                                now=NOW)
        db_session.commit()
        note_id = note.id
    user, org = getattr(world, f"{who}_user"), getattr(world, who)
    token = act_as(client, user, org)
    page = client.get(f"/engagements/{world.engagement.id}")
    assert page.status_code == (200 if who == "co_lead" else 404)
    assert "Lead secret read" not in page.get_data(as_text=True)
    assert post(client, f"/engagements/notes/{note_id}", token,
                body="Overwritten").status_code == 404
    assert post(client, f"/engagements/notes/{note_id}/delete", token).status_code == 404
    # The co-lead (it sees the engagement) may keep notes of its own; the outsider may not.
    own = post(client, f"/engagements/{world.engagement.id}/notes", token, body="Mine")
    assert own.status_code == (303 if who == "co_lead" else 404)
    # The co-lead may keep notes of its own; they are its own, and the lead's stay the lead's.
    assert all(n.organisation_id == org.id for n in _notes(db_session, org.id))
    assert [n.body for n in _notes(db_session, world.lead.id)] == ["Lead secret read"]
    # The service refuses another organisation's note even when handed the object.
    with system_scope("test"):
        stray = db_session.get(Note, note_id)
    with as_organisation(world.co_lead.id):
        try:
            service.update_note(stray, actor=world.co_lead_user, organisation_id=world.co_lead.id,
                                body="x")
            raised = False
        except service.EngagementError:
            raised = True
        db_session.rollback()
    assert raised


def test_the_api_keeps_notes_private(client, app, db_session, world):
    from engage.organisations.tokens import create_token

    def token(org, user):
        with as_organisation(org.id):
            secret = create_token(db_session, organisation=org, name="sync", scope="write",
                                  created_by=user).secret
            db_session.commit()
        return ApiClient(app.test_client(), secret)

    lead, co_lead = token(world.lead, world.lead_user), token(world.co_lead, world.co_lead_user)
    base = f"/engagements/{world.engagement.id}/notes"
    created = lead.post(base, json={"body": "Lead only"})
    assert created.status_code == 201, created.get_json()
    note_id = created.get_json()["id"]
    assert created.get_json()["author"]["id"] == world.lead_user.id
    assert [n["body"] for n in lead.get(base).get_json()["items"]] == ["Lead only"]
    assert co_lead.get(base).get_json()["items"] == []
    for method, json in (("GET", None), ("PATCH", {"body": "x"}), ("DELETE", None)):
        response = co_lead.request(method, f"{base}/{note_id}", json=json)
        assert response.status_code == 404 and response.mimetype == "application/problem+json"
    bad = lead.patch(f"{base}/{note_id}", json={"body": ""})
    assert bad.status_code == 400 and "body" in bad.get_json()["errors"]
    assert lead.patch(f"{base}/{note_id}", json={"body": "Lead, edited"}).get_json()["body"] == "Lead, edited"
    assert lead.request("DELETE", f"{base}/{note_id}").status_code == 204
    assert lead.get(f"{base}/{note_id}").status_code == 404


def test_notes_only_in_their_own_organisations_report(client, app, db_session, world):
    with as_organisation(world.lead.id):
        service.add_note(world.engagement, actor=world.lead_user, organisation_id=world.lead.id,
                         body="Lead note for the report", now=NOW)
        db_session.commit()
    year = NOW.year
    token = act_as(client, world.lead_user, world.lead)
    plain = client.get(f"/reports?year={year}").get_data(as_text=True)
    assert "Lead note for the report" not in plain and 'data-section="notes"' not in plain
    asked = client.get(f"/reports?year={year}&notes=1").get_data(as_text=True)
    assert 'data-section="notes"' in asked and "Lead note for the report" in asked
    csv = client.get(f"/reports/download.csv?year={year}&notes=1").get_data(as_text=True)
    assert "Lead note for the report" in csv
    other = app.test_client()
    act_as(other, world.co_lead_user, world.co_lead)
    theirs = other.get(f"/reports?year={year}&notes=1").get_data(as_text=True)
    assert 'data-section="notes"' in theirs and "Lead note for the report" not in theirs
    assert token


def test_the_report_command_includes_notes_when_asked(app, db_session, world, tmp_path):
    with as_organisation(world.lead.id):
        service.add_note(world.engagement, actor=world.lead_user, organisation_id=world.lead.id,
                         body="From the command line", now=NOW)
        db_session.commit()
    runner = app.test_cli_runner()
    for flags, expected in (([], False), (["--notes"], True)):
        out = tmp_path / f"r{len(flags)}.csv"
        result = runner.invoke(args=["report", "--org", world.lead.slug, "--year", str(NOW.year),
                                     "--format", "csv", "--output", str(out), *flags])
        assert result.exit_code == 0, result.output
        assert ("From the command line" in out.read_text()) is expected
    for flags in (["--notes"],):
        out = tmp_path / "co.csv"
        result = runner.invoke(args=["report", "--org", world.co_lead.slug, "--year",
                                     str(NOW.year), "--format", "csv", "--output", str(out),
                                     *flags])
        assert result.exit_code == 0 and "From the command line" not in out.read_text()


def test_the_demos_notes_are_on_their_organisations_page(app, client, db_session):
    """The demo's note on H&M is Groenbank's: on its page, marked private; a co-participant
    of the same engagement (PF Vakmensen) does not see it."""
    from datetime import date

    from engage.companies.models import Company
    from engage.demo import load_demo
    from engage.engagements.models import Engagement
    from engage.organisations.models import Organisation, OrgMembership, User

    load_demo(date(2026, 11, 22))
    seen = {}
    for slug in ("groenbank", "pf-vakmensen"):
        with system_scope("test"):
            engagement_id = db_session.scalar(
                sa.select(Engagement.id).join(Company).where(Company.isin == "SE0000106270"))
            org = db_session.scalar(sa.select(Organisation).where(Organisation.slug == slug))
            user = db_session.scalar(sa.select(User).join(OrgMembership)
                                     .where(OrgMembership.organisation_id == org.id))
            user.locale = "en"
            ids = (user.id, org.id)
            db_session.commit()
        browser = client if slug == "groenbank" else app.test_client()
        act_as(browser, type("U", (), {"id": ids[0]}),
               type("O", (), {"id": ids[1], "slug": slug}))
        seen[slug] = browser.get(f"/engagements/{engagement_id}").get_data(as_text=True)
    assert "largest garment position" in seen["groenbank"]
    assert "Our private notes" in seen["pf-vakmensen"]
    assert "largest garment position" not in seen["pf-vakmensen"]
