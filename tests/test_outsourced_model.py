"""The insurer's outsourced model from an empty install, with no demo rows.

The insurer's policy outsources engagement to its fiduciary manager and follows it. Here:
two organisations are created with the CLI and their people sign in through their own
identity providers (real OpenID Connect on loopback); the company comes from a CSV import.
The fiduciary manager leads an outsourced engagement and invites the insurer as its
outsourcing client; the insurer accepts, follows the milestones and the dialogue, sees the
review the sweep opens (run with a given ``now``), and cannot change any of it.
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa
from engage.companies.models import Company
from engage.engagements.models import Engagement, EngagementInvitation
from engage.escalations import service as escalations
from engage.escalations.models import EscalationReview
from engage.organisations.models import Organisation
from engage.tenancy import system_scope

from tests.oidc_support import Provider, csrf_token, sign_in

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def idps():
    fiduciary, insurer = Provider("fiduciary"), Provider("insurer")
    yield fiduciary, insurer
    fiduciary.stop()
    insurer.stop()


def _engage(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result


def _token(client) -> str:
    """The client's CSRF token. The test's app context outlives each request, so the token
    cached in ``g`` by one client's page is forgotten before another client asks."""
    from flask import g

    g.pop("csrf_token", None)
    return csrf_token(client)


def _count(db_session, model) -> int:
    with system_scope("test", db_session):
        return db_session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_fiduciary_leads_and_the_insurer_follows(app, db_session, idps, tmp_path,
                                                     monkeypatch):
    fid_idp, ins_idp = idps
    assert _count(db_session, Organisation) == 0  # an empty install: no demo rows
    assert _count(db_session, Company) == 0

    # --- the install: organisations, their sign-in, the company register (CLI only) --------
    _engage(app, "org", "create", "--slug", "fiduciary", "--name", "Fiduciair Beheer N.V.",
            "--kind", "service_provider")
    _engage(app, "org", "create", "--slug", "insurer", "--name", "Verzekeraar N.V.",
            "--kind", "insurer")
    for slug, idp in (("fiduciary", fid_idp), ("insurer", ins_idp)):
        monkeypatch.setitem(os.environ, f"ENGAGE_SSO_SECRET_{slug.upper()}", f"{slug}-secret")
        _engage(app, "org", "sso", slug, "--issuer", idp.issuer, "--client-id", f"engage-{slug}",
                "--client-secret-env", f"ENGAGE_SSO_SECRET_{slug.upper()}",
                "--domain", f"{slug}.example")
    register = tmp_path / "companies.csv"
    register.write_text("name,country\nTailings Mining plc,GB\n")
    _engage(app, "import", "companies", str(register))
    with system_scope("test", db_session):
        company_id = db_session.scalar(sa.select(Company.id))
        assert {o.slug for o in db_session.scalars(sa.select(Organisation))} == {
            "fiduciary", "insurer"}

    fid_idp.add_user("anna", email="anna@fiduciary.example", name="Anna Fiduciair",
                     email_verified=True)
    ins_idp.add_user("bram", email="bram@insurer.example", name="Bram Verzekeraar",
                     email_verified=True)
    provider, client = app.test_client(), app.test_client()
    assert sign_in(provider, "fiduciary", "anna").status_code == 302
    assert sign_in(client, "insurer", "bram").status_code == 302
    client_token = _token(client)

    # --- the provider leads an outsourced engagement ----------------------------------------
    token = _token(provider)
    created = provider.post("/engagements/new", data={
        "csrf_token": token, "company_id": str(company_id), "level": "outsourced",
        "title": "Tailings dam safety", "issue": "Unsafe tailings dam above a village",
        "rights_holders": "Villagers downstream", "trigger": "reactive",
        "severity_scale": "5", "severity_scope": "3", "severity_irremediability": "5",
        "started_on": "2026-06-01", "objective_kind": "end_impact",
        "objective": "An independent dam safety review, published",
        "milestone_title": "Company commissions an independent review",
        "milestone_due_on": "2026-10-01"})
    assert created.status_code == 303, created.get_data(as_text=True)[:2000]
    engagement_id = int(re.search(r"/engagements/(\d+)", created.headers["Location"]).group(1))
    assert provider.post(f"/engagements/{engagement_id}/dialogue", data={
        "csrf_token": token, "kind": "meeting", "occurred_on": "2026-07-02",
        "summary": "Met the chair; a review is promised by October."}).status_code == 303

    # The insurer sees nothing of it yet.
    assert client.get(f"/engagements/{engagement_id}").status_code == 404

    # --- the invitation --------------------------------------------------------------------
    invited = provider.post(f"/engagements/{engagement_id}/invitations", data={
        "csrf_token": token, "organisation_id": str(_org_id(db_session, "insurer")),
        "role": "client", "message": "Your mandate: follow our dialogue here."})
    assert invited.status_code == 303
    notifications = client.get("/notifications").get_data(as_text=True)
    assert "Tailings dam safety" in notifications
    with system_scope("test", db_session):
        invitation_id = db_session.scalar(sa.select(EngagementInvitation.id))
    assert f'data-invitation="{invitation_id}"' in client.get("/invitations").get_data(as_text=True)
    answer = client.post(f"/invitations/{invitation_id}/accept", data={"csrf_token": client_token})
    assert answer.status_code == 303

    # --- the deadline passes; the sweep, with a given now, opens a review -------------------
    escalations.sweep(NOW)
    with system_scope("test", db_session):
        review_id = db_session.scalar(sa.select(EscalationReview.id).where(
            EscalationReview.engagement_id == engagement_id))
    assert review_id is not None

    # --- the insurer follows: milestones, dialogue, the review -----------------------------
    page = client.get(f"/engagements/{engagement_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Company commissions an independent review" in text
    assert "Met the chair; a review is promised by October." in text
    assert f'id="review-{review_id}"' in text
    assert "Fiduciair Beheer N.V." in text and "lead, service provider" in text
    assert 'data-role="client"' in text
    # ... and cannot change them.
    assert client.post(f"/engagements/{engagement_id}/dialogue", data={
        "csrf_token": client_token, "kind": "call", "occurred_on": "2026-11-01",
        "summary": "Not ours to log"}).status_code == 403
    assert client.post(f"/engagements/{engagement_id}/milestones", data={
        "csrf_token": client_token, "title": "Not ours", "due_on": "2027-01-01"}).status_code == 403
    assert client.post(f"/reviews/{review_id}/decision", data={
        "csrf_token": client_token, "kind": "extend", "new_due_on": "2027-01-01",
        "reason": "Not ours to decide"}).status_code == 403
    with system_scope("test", db_session):
        assert db_session.get(EscalationReview, review_id).decision is None
        assert db_session.get(Engagement, engagement_id).title == "Tailings dam safety"
    assert _count(db_session, Organisation) == 2  # still no demo rows


def _org_id(db_session, slug: str) -> int:
    with system_scope("test", db_session):
        return db_session.scalar(sa.select(Organisation.id).where(Organisation.slug == slug))
