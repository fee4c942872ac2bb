"""Browser tests: Debian's Chromium, driven by Playwright, against Engage served over HTTP on
loopback, a committed database of its own, and two real OpenID Connect providers — one per
organisation — so people sign in exactly as they do in production.

The tests skip only where Chromium is missing and ENGAGE_REQUIRE_BROWSER is unset (CI sets
it, so there a missing browser fails instead). ``scripts/ensure-browser`` installs it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from engage import tenancy
from engage.companies.models import EsgRating
from engage.escalations.models import StepKind
from engage.extensions import db
from engage.initiatives.models import InitiativeStatus
from engage.organisations.models import OrganisationKind

from tests import factories as f
from tests.browser.live import LiveServer
from tests.escalations.committed_db import committed_database
from tests.oidc_support import Provider

CHROMIUM = Path(os.environ.get("ENGAGE_CHROMIUM", "/usr/bin/chromium"))
# Playwright's own browser download is not used: Debian's build, headless, and quiet (no
# update checks or sync calling out of the test machine).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PROJECT_ROOT = Path(__file__).resolve().parents[2]
STEP_TIMEOUT_MS = 10_000

LADDER = (StepKind.LETTER_TO_BOARD, StepKind.MEETING_WITH_BOARD, StepKind.PUBLIC_STATEMENT,
          StepKind.VOTE_AGAINST_DIRECTORS, StepKind.DIVESTMENT_REVIEW)


def _chromium_present() -> bool:
    return CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)


def pytest_collection_modifyitems(config, items):
    if _chromium_present() or os.environ.get("ENGAGE_REQUIRE_BROWSER"):
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed: scripts/ensure-browser "
                                   "installs it (set ENGAGE_REQUIRE_BROWSER=1 to fail instead)")
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(skip)


# --- the people and their organisations ----------------------------------------------------


@dataclass(frozen=True)
class Person:
    sub: str
    email: str
    name: str
    organisation: str


LEAD = Person("ann-lead", "ann@alpha.example", "Ann Lead", "Alpha Pension Fund")
SUPPORTER = Person("bo-supporter", "bo@beta.example", "Bo Supporter", "Beta Insurance")


@dataclass
class Site:
    """Everything the scenario needs to know about the running set-up."""

    url: str
    app: object
    alpha_id: int  # the lead's organisation; it coordinates the initiative
    beta_id: int  # the supporter's organisation; not yet a member of the initiative
    initiative_id: int
    company_id: int
    company_name: str
    initiative_title: str

    def at(self, path: str) -> str:
        return self.url + path


def _seed(app) -> dict:
    """Two organisations, a company, and an initiative with an escalation ladder that the
    lead's organisation coordinates and that is recruiting, so the supporter's organisation
    (not yet a member) finds it and signs on. People are not seeded: SSO provisions them."""
    with app.app_context(), tenancy.system_scope("browser test data"):
        alpha = f.organisation("alpha", kind=OrganisationKind.PENSION_FUND, aum="42000000000")
        alpha.name = LEAD.organisation
        beta = f.organisation("beta", kind=OrganisationKind.INSURER, aum="18000000000")
        beta.name = SUPPORTER.organisation
        company = f.company("Threadline Apparel N.V.", esg_rating=EsgRating.CCC,
                            rated_on=date.today() - timedelta(days=40), country="NL")
        initiative = f.initiative(
            alpha, status=InitiativeStatus.RECRUITING, title="Living wage in garment supply chains",
            description="Investors ask apparel companies to close the gap to a living wage.",
            common_goals="A published living-wage roadmap with dated steps, verified by workers.",
        )
        f.ladder(initiative, kinds=LADDER)
        ids = {"alpha_id": alpha.id, "beta_id": beta.id, "initiative_id": initiative.id,
               "company_id": company.id, "company_name": company.name,
               "initiative_title": initiative.title}
        db.session.commit()
    return ids


def _configure_sso(app, org_id: int, issuer: str, domain: str) -> None:
    """What an organisation's admin does once: name its provider and its e-mail domain."""
    from engage.auth import service as sso
    from engage.db import utcnow
    from engage.organisations.models import Organisation

    with app.app_context(), tenancy.as_organisation(org_id):
        org = db.session.get(Organisation, org_id)
        sso.configure(db.session, org,
                      sso.SsoSettings(issuer=issuer, client_id=f"engage-{org.slug}",
                                      client_secret=f"{org.slug}-client-secret", domains=[domain]),
                      actor_id=None, now=utcnow())
        db.session.commit()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    alpha_idp, beta_idp = Provider("alpha-idp"), Provider("beta-idp")
    try:
        for idp, person in ((alpha_idp, LEAD), (beta_idp, SUPPORTER)):
            idp.add_user(person.sub, email=person.email, name=person.name, email_verified=True)
        # No Prefect here: decisions wait in the outbox, and the sweep applies them at once
        # (no grace period for a Prefect run to claim them first).
        with committed_database(tmp_path_factory.mktemp("browser"), PREFECT_API_URL=None,
                                ENGAGE_APPLY_GRACE_SECONDS=0) as (app, _url):
            ids = _seed(app)
            _configure_sso(app, ids["alpha_id"], alpha_idp.issuer, "alpha.example")
            _configure_sso(app, ids["beta_id"], beta_idp.issuer, "beta.example")
            server = LiveServer(app)
            try:
                yield Site(url=server.url, app=app, **ids)
            finally:
                server.stop()
    finally:
        alpha_idp.stop()
        beta_idp.stop()


# --- the browser ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    if not _chromium_present():
        pytest.fail(f"{CHROMIUM} is missing and ENGAGE_REQUIRE_BROWSER is set: run "
                    "scripts/ensure-browser (Debian: apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=STEP_TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


# Every Content-Security-Policy violation on a page: the browser's own console report (it
# survives the navigation a blocked form submission leaves) and the page's
# ``securitypolicyviolation`` events, passed to the console by an init script (Playwright's
# init scripts are not subject to the page's policy).
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
                + ` at ${e.sourceFile || location.href}:${e.lineNumber}`);
});
"""


def _is_violation(text: str) -> bool:
    return "Content Security Policy" in text or text.startswith("CSP violation")


@pytest.fixture(scope="module")
def policy_violations() -> list[str]:
    """What the pages the test visited reported against the Content-Security-Policy (and
    the Permissions-Policy header's own errors); a test asserts it stays empty."""
    return []


@pytest.fixture(scope="module")
def new_page(browser, policy_violations):
    """``new_page()``: a page in a browser context of its own (own cookies: one person)."""
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        context.set_default_timeout(STEP_TIMEOUT_MS)
        context.add_init_script(REPORT_VIOLATIONS)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: _is_violation(message.text) and policy_violations.append(
            f"{page.url}: {message.text}"))
        page.on("console", lambda message: "Permissions-Policy" in message.text
                and policy_violations.append(f"{page.url}: {message.text}"))
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    folder = Path(os.environ.get("ENGAGE_SCREENSHOTS") or PROJECT_ROOT / ".artifacts" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
