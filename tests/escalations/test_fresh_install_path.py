"""From an empty install to a co-signed letter and the review after it, from outside.

The database is migrated (``engage db upgrade``) and two organisations are created and given
single sign-on with the CLI (``engage org create``, ``engage org sso``); their first admins
sign in through real OpenID Connect providers on loopback and create API tokens on the
organisation page. Everything else goes through the API with those tokens, and the sweep
runs with a given ``now``: the coordinator creates an initiative on the installed template
and writes its ladder, the second organisation signs on, an engagement's milestone passes,
the review opens, the lead escalates, the letter is drafted, edited, opened for signing and
signed by both organisations
(its PDF lists exactly those two, with the assets each committed), sent, left unanswered,
and the next review opens.
"""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from engage import clock, create_app
from engage.escalations import service as escalations
from engage.escalations.models import EscalationLadder
from engage.extensions import db
from engage.tenancy import system_scope
from tests.api.conftest import ApiClient
from tests.oidc_support import Provider, sign_in
from tests.test_migrations import _engage, empty_database_url  # noqa: F401  (a fixture)

COORDINATOR = ("pensioenfonds", "Stichting Pensioenfonds Zorg")
MEMBER = ("verzekeraar", "Verzekeraar Noord N.V.")
INDITEX = "ES0148396007"


@pytest.fixture(scope="module")
def providers():
    started = [Provider("zorg"), Provider("noord")]
    yield started
    for provider in started:
        provider.stop()


def _install(url: str, monkeypatch, providers) -> None:
    """What an operator runs on the empty database: the CLI, nothing else."""
    assert _engage(url, "db", "upgrade").exit_code == 0
    for (slug, name), provider in zip((COORDINATOR, MEMBER), providers, strict=True):
        result = _engage(url, "org", "create", "--slug", slug, "--name", name)
        assert result.exit_code == 0, result.output
        secret_env = f"ENGAGE_SSO_SECRET_{slug.upper()}"
        monkeypatch.setenv(secret_env, f"{slug}-client-secret")
        result = _engage(url, "org", "sso", slug, "--issuer", provider.issuer,
                         "--client-id", f"engage-{slug}", "--client-secret-env", secret_env,
                         "--domain", f"{slug}.example", "--role-claim", "groups",
                         "--role-map", "admin=engage-admins")
        assert result.exit_code == 0, result.output


def _first_admin_token(app, provider: Provider, slug: str) -> str:
    """The organisation's first admin signs in through its provider and creates a write
    token on the organisation page (shown once)."""
    provider.add_user(f"{slug}-admin", email=f"admin@{slug}.example", name=f"Admin {slug}",
                      email_verified=True, groups=["engage-admins"])
    browser = app.test_client()
    assert sign_in(browser, slug, f"{slug}-admin").status_code == 302
    form = browser.get("/organisation/tokens")
    assert form.status_code == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.get_data(as_text=True)).group(1)
    page = browser.post("/organisation/tokens", data={
        "name": "coalition systems", "scope": "write", "csrf_token": csrf})
    assert page.status_code == 201, (slug, re.findall(r"(?s)<p role.*?</p>", page.get_data(as_text=True)))
    return re.search(r"eng_[A-Za-z0-9_-]{43}", page.get_data(as_text=True)).group(0)


def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def _pdf_text(response) -> str:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


def test_from_an_empty_install_to_the_review_after_an_unanswered_letter(
        empty_database_url, monkeypatch, providers):  # noqa: F811
    _install(empty_database_url, monkeypatch, providers)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database_url,
                      "ENGAGE_REGISTER_ORGS": (COORDINATOR[0],)})
    # Each request in its own app context (as a server runs them); the test's own calls (the
    # sweep) open theirs.
    try:
        tokens = [_first_admin_token(app, provider, slug)
                  for provider, (slug, _name) in zip(providers, (COORDINATOR, MEMBER),
                                                     strict=True)]
        _the_path(app, monkeypatch, *tokens)
    finally:
        with app.app_context():
            db.engine.dispose()


def _sweep(app, now: datetime) -> list[str]:
    """The sweep, as a flow run calls it, at ``now``: the keys of the reviews it opened."""
    with app.app_context():
        try:
            return escalations.sweep(now).reviews_opened
        finally:
            db.session.remove()


def _the_path(app, monkeypatch, coordinator_token: str, member_token: str) -> None:
    lead = ApiClient(app.test_client(), coordinator_token)
    member = ApiClient(app.test_client(), member_token)
    start = datetime.now(timezone.utc).replace(microsecond=0)
    moment = [start]
    monkeypatch.setattr(clock, "now", lambda: moment[0])
    with app.app_context():
        today = clock.local_date(start)

    # The company register's keeper adds the company.
    company = _ok(lead.post("/companies", json={
        "name": "Industria de Diseño Textil", "isin": INDITEX, "country": "ES",
        "sector": "Apparel"}), 201)

    # The coordinator creates the initiative on the installed study template, committing its
    # assets, then writes its own ladder.
    with app.app_context(), system_scope("test: the installed templates"):
        # The API has no list of the installed templates yet: the first is the study's.
        study = db.session.scalar(sa.select(EscalationLadder.id).where(
            EscalationLadder.is_template.is_(True)).order_by(EscalationLadder.id))
        db.session.remove()
    initiative = _ok(lead.post("/initiatives", json={
        "title": "A living wage in garment supply chains", "theme": "Human rights",
        "common_goals": "Suppliers pay a living wage by 2028", "status": "recruiting",
        "ladder_id": study, "aum_committed_eur": "12500000000"}), 201)
    ladder_url = f"/initiatives/{initiative['id']}/ladder"
    copied = _ok(lead.get(ladder_url))
    assert len(copied["steps"]) == 12 and not copied["is_template"]
    ladder = _ok(lead.request("PUT", ladder_url, json={"steps": [
        {"kind": "letter_to_board", "wait_days": 90,
         "description": "Every member co-signs a letter to the board."},
        {"kind": "meeting_with_board", "wait_days": 60},
        {"kind": "public_statement", "wait_days": 60},
        {"kind": "divestment_review", "wait_days": 90}]}))
    assert [s["kind"] for s in ladder["steps"]] == [
        "letter_to_board", "meeting_with_board", "public_statement", "divestment_review"]

    # The second organisation signs on with what it commits; the coordinator admits it.
    application = _ok(member.post(f"/initiatives/{initiative['id']}/members", json={
        "role": "supporter", "aum_committed_eur": "3000000000",
        "committed_resources": "One analyst, two days a month",
        "independence_confirmed": True}), 201)
    assert _ok(lead.patch(f"/initiatives/{initiative['id']}/members/{application['id']}",
                          json={"status": "admitted"}))["status"] == "admitted"

    # An engagement with a milestone; the member takes part in it.
    engagement = _ok(lead.post("/engagements", json={
        "company_id": company["id"], "initiative_id": initiative["id"],
        "title": "A living wage at Inditex's suppliers",
        "issue": "Garment workers in the supply chain are paid less than a living wage",
        "rights_holders": "Garment workers and their families", "trigger": "reactive",
        "severity_scale": 4, "severity_scope": 4, "severity_irremediability": 3,
        "started_on": (today - timedelta(days=30)).isoformat(),
        "objective": "A time-bound living wage roadmap", "objective_kind": "end_impact",
        "milestone_title": "Living wage roadmap published",
        "milestone_due_on": (today + timedelta(days=14)).isoformat()}), 201)
    eid = engagement["id"]
    _ok(member.post(f"/engagements/{eid}/participants"), 201)

    # The deadline passes: the sweep opens the review, once.
    moment[0] = start + timedelta(days=16)
    assert len(_sweep(app, moment[0])) == 1
    assert _sweep(app, moment[0]) == []
    reviews = _ok(lead.get("/reviews", query_string={"engagement_id": eid, "status": "open"}))
    assert reviews["total"] == 1 and reviews["items"][0]["reason"] == "milestone_overdue"
    first_review = reviews["items"][0]["id"]

    # The lead escalates to the ladder's first step; the sweep carries the decision out
    # (no orchestrator here: after the grace period) and the letter is drafted.
    decision = _ok(lead.post(f"/reviews/{first_review}/decision", json={
        "kind": "escalate", "reason": "No roadmap by the agreed date"}), 201)
    assert decision["ladder_step_id"] == ladder["steps"][0]["id"]
    moment[0] += timedelta(hours=1)
    _sweep(app, moment[0])
    assert _ok(lead.get(f"/reviews/{first_review}/decision"))["apply_status"] == "done"
    letters = _ok(lead.get("/letters", query_string={"engagement_id": eid}))
    assert letters["total"] == 1
    letter = letters["items"][0]
    assert (letter["kind"], letter["status"], letter["signatory_count"], letter["aum_eur"]) == (
        "letter_to_board", "draft", 0, "0.00")
    url = f"/letters/{letter['id']}"
    assert "No investor has signed this letter yet." in _pdf_text(lead.get(f"{url}/pdf"))

    # The lead edits the draft; the PDF is the letter as it now stands. Nobody signs a draft.
    edited = _ok(lead.patch(url, json={
        "body_text": "Dear members of the board,\n\nWe ask you to publish a time-bound living "
                     "wage roadmap for your suppliers by the end of the quarter.\n\nYours "
                     "sincerely,",
        "contact_name": "Admin pensioenfonds", "contact_email": "admin@pensioenfonds.example"}))
    assert edited["status"] == "draft"
    text = _pdf_text(lead.get(f"{url}/pdf"))
    assert "time-bound living wage roadmap" in text and "DRAFT" in text
    assert member.post(f"{url}/signatures").status_code == 400
    assert member.patch(url, json={"title": "Not a lead's"}).status_code == 403
    assert _ok(lead.post(f"{url}/open"))["status"] == "open_for_signing"
    assert lead.patch(url, json={"title": "Too late"}).status_code == 409

    # Signed by both organisations, each through its own token: the PDF states exactly
    # those two, with the assets each committed to the initiative, and is still a draft.
    _ok(lead.post(f"{url}/signatures"), 201)
    text = _pdf_text(lead.get(f"{url}/pdf"))
    assert "Signed by 1 investor, together EUR 12.5 bn" in text
    assert MEMBER[1] not in text
    _ok(member.post(f"{url}/signatures"), 201)
    signed = _ok(lead.get(url))
    assert (signed["signatory_count"], signed["aum_eur"]) == (2, "15500000000.00")
    assert sorted((s["organisation"]["name"], s["aum_eur"], s["aum_basis"])
                  for s in signed["signatures"]) == [
        (COORDINATOR[1], "12500000000.00", "committed"),
        (MEMBER[1], "3000000000.00", "committed")]
    text = _pdf_text(member.get(f"{url}/pdf"))
    assert "DRAFT" in text
    assert "Signed by 2 investors, together EUR 15.5 bn" in text
    assert f"{COORDINATOR[1]} · EUR 12.5 bn" in text and f"{MEMBER[1]} · EUR 3.0 bn" in text
    assert text.count(" · EUR ") == 2

    # Sent: final, dated, and the company's answer is due in 30 days.
    sent = _ok(lead.post(f"{url}/send", json={"channel": "email"}))
    with app.app_context():
        sent_on = clock.local_date(moment[0])
    assert (sent["status"], sent["sent_on"]) == ("sent", sent_on.isoformat())
    text = _pdf_text(lead.get(f"{url}/pdf"))
    assert "DRAFT" not in text
    assert f"Sent on {sent_on:%B} {sent_on.day}, {sent_on.year}" in text
    assert member.post(f"{url}/signatures").status_code == 409
    response_milestone = sent["response_milestone_id"]
    due = _ok(lead.get(f"/engagements/{eid}/milestones/{response_milestone}"))
    assert due["due_on"] == (sent_on + timedelta(days=30)).isoformat()

    # The company does not answer by then: the sweep opens the next review, on that date.
    moment[0] = start + timedelta(days=16 + 31, hours=2)
    opened = _sweep(app, moment[0])
    assert opened == [f"milestone:{response_milestone}:v1"]
    reviews = _ok(lead.get("/reviews", query_string={"engagement_id": eid, "status": "open"}))
    assert [(r["milestone_id"], r["reason"]) for r in reviews["items"]] == [
        (response_milestone, "milestone_overdue")]
    # The member sees the same record.
    assert _ok(member.get("/reviews", query_string={"engagement_id": eid}))["total"] == 2
