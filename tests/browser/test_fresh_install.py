"""A fresh install, as a coalition starts on one: an empty, migrated database; two
organisations created and pointed at their identity providers with the CLI, nothing else;
then everything by hand in the browser. The first admin signs in through single sign-on,
imports the company register, creates an initiative and its first engagement; the second
organisation's admin and analyst sign in, see nothing of it, apply to the initiative, are
admitted and then see the engagement, sign on, and see each change the lead makes at once;
a direct engagement becomes theirs only when they accept the invitation to co-lead it.

At each step each organisation sees exactly what it should: who sees an engagement is the
``engagement_access`` table the database's triggers keep, and the dashboard and the
engagement page come from the render cache, so a page stale after a write would show here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from engage.extensions import db
from tests.browser.live import LiveServer
from tests.escalations.committed_db import committed_database
from tests.oidc_support import Provider
from tests.test_migrations import _engage

COMPANIES_CSV = ("name,isin,country,sector\n"
                 "Threadline Apparel N.V.,NL0000009165,NL,Textiles\n"
                 "Cobaltix Mining plc,GB0002634946,GB,Mining\n")
INITIATIVE = "Living wage in garment supply chains"
ENGAGEMENT = "Living wage at Threadline"
DIRECT = "Child labour in cobalt sourcing"
FIRST_MILESTONE = "Company publishes a living-wage roadmap"
SECOND_MILESTONE = "Company discloses its supplier list"


@dataclass(frozen=True)
class Person:
    slug: str
    sub: str
    email: str
    name: str
    organisation: str


ADA = Person("alpha", "ada-admin", "ada@alpha.example", "Ada Admin", "Alpha Pensioenfonds")
BEA = Person("beta", "bea-admin", "bea@beta.example", "Bea Admin", "Beta Verzekeringen N.V.")
BEN = Person("beta", "ben-analyst", "ben@beta.example", "Ben Analyst", "Beta Verzekeringen N.V.")


@dataclass
class FreshSite:
    url: str

    def at(self, path: str) -> str:
        return self.url + path


@pytest.fixture(scope="module")
def fresh_site(tmp_path_factory):
    providers = {"alpha": Provider("alpha-idp"), "beta": Provider("beta-idp")}
    monkeypatch = pytest.MonkeyPatch()
    try:
        for person, groups in ((ADA, ["engage-admins"]), (BEA, ["engage-admins"]), (BEN, [])):
            providers[person.slug].add_user(person.sub, email=person.email, name=person.name,
                                            email_verified=True, groups=groups)
        with committed_database(tmp_path_factory.mktemp("fresh"), PREFECT_API_URL=None,
                                ENGAGE_REGISTER_ORGS=("alpha",)) as (app, url):
            # What the operator runs (README, "Single sign-on"), and nothing else.
            for slug, name, kind in (("alpha", ADA.organisation, "pension_fund"),
                                     ("beta", BEA.organisation, "insurer")):
                created = _engage(url, "org", "create", "--slug", slug, "--name", name,
                                  "--kind", kind)
                assert created.exit_code == 0, created.output
                secret = f"ENGAGE_SSO_SECRET_{slug.upper()}"
                monkeypatch.setenv(secret, f"{slug}-client-secret")
                configured = _engage(url, "org", "sso", slug, "--issuer", providers[slug].issuer,
                                     "--client-id", f"engage-{slug}", "--client-secret-env",
                                     secret, "--domain", f"{slug}.example", "--role-claim",
                                     "groups", "--role-map", "admin=engage-admins")
                assert configured.exit_code == 0, configured.output
            server = LiveServer(app)
            try:
                yield FreshSite(server.url)
            finally:
                server.stop()
                with app.app_context():
                    db.session.remove()
    finally:
        monkeypatch.undo()
        for provider in providers.values():
            provider.stop()


# --- the steps ------------------------------------------------------------------------------


def sign_in(page: Page, site: FreshSite, person: Person) -> None:
    page.goto(site.at("/login"))
    page.get_by_label("Work e-mail address").fill(person.email)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
    page.get_by_placeholder("sub").fill(person.sub)
    page.get_by_role("button", name="Authorize", exact=True).click()
    expect(page).to_have_url(site.at("/"))
    expect(page.get_by_text(person.name)).to_be_visible()


def first_admin_finds_an_empty_install(page: Page, site: FreshSite) -> None:
    expect(page.get_by_role("heading", name=f"Engagements of {ADA.organisation}")).to_be_visible()
    expect(page.get_by_text("Your organisation takes part in no engagement yet")).to_be_visible()
    page.goto(site.at("/organisation/users"))
    row = page.locator("tr", has_text=ADA.email)
    expect(row.locator("select[name=role]")).to_have_value("admin")


def admin_imports_the_company_register(page: Page, site: FreshSite, tmp_path) -> None:
    csv = tmp_path / "companies.csv"
    csv.write_text(COMPANIES_CSV, encoding="utf-8")
    page.goto(site.at("/imports"))
    page.locator("#file-companies").set_input_files(str(csv))
    page.locator("form:has(#file-companies)").get_by_role("button", name="Import").click()
    expect(page.get_by_text("2 lines, 2 new, 0 updated")).to_be_visible()


def admin_creates_the_initiative(page: Page, site: FreshSite) -> str:
    page.goto(site.at("/initiatives/new"))
    page.get_by_label("Title", exact=True).fill(INITIATIVE)
    page.get_by_label("Theme", exact=True).fill("living wage")
    page.get_by_label("Description", exact=True).fill(
        "Investors ask apparel companies to close the gap to a living wage.")
    page.get_by_label("Common and specified goals").fill("A published living-wage roadmap.")
    page.get_by_label("Status").select_option("recruiting")
    page.get_by_label("Common escalation strategy").select_option(
        label="Escalation strategy of the study (template)")
    page.get_by_role("button", name="Create initiative").click()
    expect(page).to_have_url(re.compile(r"/initiatives/\d+$"))
    expect(page.get_by_role("heading", name=INITIATIVE, level=1)).to_be_visible()
    return page.url.removeprefix(site.url)


def _choose_company(page: Page, name: str) -> None:
    page.get_by_label("Find the company by name or ISIN").fill(name.split()[0])
    page.get_by_role("button", name="Search").click()
    company = page.get_by_label("Company", exact=True)
    expect(company.locator("option", has_text=name)).to_have_count(1)
    company.select_option(company.locator("option", has_text=name).get_attribute("value"))


def admin_starts_the_engagement(page: Page, site: FreshSite) -> str:
    page.get_by_role("link", name="New engagement").click()
    _choose_company(page, "Threadline Apparel N.V.")
    page.get_by_label("Title", exact=True).fill(ENGAGEMENT)
    page.get_by_label("Issue: the (potential) harm to people").fill(
        "Wages in the supply chain are below a living wage")
    page.get_by_label("Rights-holders affected").fill("garment workers")
    page.get_by_label("Reactive", exact=False).check()
    for label, value in (("Scale", "4"), ("Scope", "3"), ("Irremediability", "2")):
        page.get_by_label(label, exact=True).select_option(value)
    page.get_by_label("Start date").fill((date.today() - timedelta(days=10)).isoformat())
    page.get_by_label("Objective", exact=True).fill("Pay a living wage to garment workers")
    page.get_by_label("Milestone", exact=True).fill(FIRST_MILESTONE)
    page.get_by_label("Due", exact=True).fill((date.today() + timedelta(days=20)).isoformat())
    page.get_by_role("button", name="Start the engagement").click()
    expect(page.get_by_role("heading", name=ENGAGEMENT, level=1)).to_be_visible()
    path = re.search(r"/engagements/\d+$", page.url).group(0)
    page.goto(site.at("/"))
    expect(page.locator("tr", has_text=ENGAGEMENT)).to_contain_text("Lead")
    return path


def sees_no_engagement(page: Page, site: FreshSite, path: str) -> None:
    assert page.goto(site.at(path)).status == 404
    page.goto(site.at("/engagements"))
    expect(page.get_by_role("link", name=ENGAGEMENT)).to_have_count(0)
    page.goto(site.at("/"))
    expect(page.get_by_text("Your organisation takes part in no engagement yet")).to_be_visible()


def second_organisation_applies(page: Page, site: FreshSite, initiative: str) -> None:
    page.goto(site.at(initiative))
    sign_on = page.locator("#sign-on")
    sign_on.get_by_label("Supporter").check()
    sign_on.get_by_label("Committed resources").fill("One analyst, 0.2 FTE")
    sign_on.get_by_label("Committed assets under management (EUR)").fill("2500000000")
    sign_on.get_by_label("I confirm that my organisation decides and votes independently").check()
    sign_on.get_by_role("button", name="Apply to join").click()
    expect(page.locator("[data-application=pending]")).to_contain_text(
        "Your organisation applied as Supporter")


def coordinator_admits(page: Page, site: FreshSite, initiative: str) -> None:
    page.goto(site.at("/"))  # the dashboard asks for the answer at once
    expect(page.get_by_text(f"Answer {BEA.organisation}’s request to sign on")).to_be_visible()
    page.goto(site.at(initiative))
    row = page.locator("tr[data-member]", has_text=BEA.organisation)
    row.get_by_role("button", name="Admit").click()
    expect(page.locator("tr[data-member]", has_text=BEA.organisation)).to_have_attribute(
        "data-member-status", "admitted")


def member_sees_the_engagement(page: Page, site: FreshSite, path: str) -> None:
    assert page.goto(site.at(path)).status == 200
    expect(page.get_by_role("heading", name=ENGAGEMENT, level=1)).to_be_visible()
    expect(page.locator("#milestones")).to_contain_text(FIRST_MILESTONE)
    page.goto(site.at("/engagements"))
    expect(page.get_by_role("link", name=ENGAGEMENT)).to_be_visible()


def member_signs_on(page: Page, site: FreshSite, path: str) -> None:
    page.goto(site.at(path))
    page.get_by_role("button", name="Sign on to this engagement").click()
    expect(page.locator("#participants").get_by_text(BEA.organisation)).to_be_visible()
    page.goto(site.at("/"))
    expect(page.locator("tr", has_text=ENGAGEMENT)).to_contain_text("Supporter")


def lead_changes_the_milestones(page: Page, site: FreshSite, path: str) -> None:
    page.goto(site.at(path))
    expect(page.locator("#participants li").first).to_contain_text(ADA.organisation)
    page.get_by_text("Add a milestone").click()
    page.get_by_label("Milestone", exact=True).fill(SECOND_MILESTONE)
    page.get_by_label("Due", exact=True).fill((date.today() + timedelta(days=12)).isoformat())
    page.get_by_role("button", name="Add milestone").click()
    expect(page.locator("tr[data-milestone]", has_text=SECOND_MILESTONE)).to_be_visible()
    first = page.locator("tr[data-milestone]", has_text=FIRST_MILESTONE)
    first.get_by_role("link", name=re.compile("^Edit")).click()
    page.get_by_label("Stage").select_option("2")
    page.get_by_role("button", name="Save milestone").click()
    expect(page.locator("tr[data-milestone]", has_text=FIRST_MILESTONE).locator("td[data-stage]")
           ).to_have_attribute("data-stage", "2")


def others_see_the_change_at_once(page: Page, site: FreshSite, path: str) -> None:
    """The engagement page and the dashboard, both cached, show the lead's writes."""
    page.goto(site.at(path))
    expect(page.locator("tr[data-milestone]", has_text=SECOND_MILESTONE)).to_be_visible()
    expect(page.locator("tr[data-milestone]", has_text=FIRST_MILESTONE).locator("td[data-stage]")
           ).to_have_attribute("data-stage", "2")
    page.goto(site.at("/"))
    expect(page.get_by_text(f"Milestone: {SECOND_MILESTONE}")).to_be_visible()


def lead_starts_a_direct_engagement_and_invites(page: Page, site: FreshSite) -> str:
    page.goto(site.at("/engagements/new"))
    _choose_company(page, "Cobaltix Mining plc")
    page.get_by_label("Initiative", exact=True).select_option("")
    page.get_by_label("Title", exact=True).fill(DIRECT)
    page.get_by_label("Issue: the (potential) harm to people").fill(
        "Children work in artisanal mines that supply the company")
    page.get_by_label("Proactive", exact=False).check()
    for label, value in (("Scale", "5"), ("Scope", "3"), ("Irremediability", "4")):
        page.get_by_label(label, exact=True).select_option(value)
    page.get_by_label("Start date").fill(date.today().isoformat())
    page.get_by_label("Objective", exact=True).fill("End child labour in the supply chain")
    page.get_by_role("button", name="Start the engagement").click()
    expect(page.get_by_role("heading", name=DIRECT, level=1)).to_be_visible()
    path = re.search(r"/engagements/\d+$", page.url).group(0)
    page.get_by_label("Organisation", exact=True).select_option(label=BEA.organisation)
    page.get_by_label("Co-lead").check()
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator("[data-invitation-sent]")).to_contain_text(BEA.organisation)
    return path


def invited_organisation_accepts(page: Page, site: FreshSite, path: str) -> None:
    assert page.goto(site.at(path)).status == 404  # invited is not yet taking part
    page.goto(site.at("/"))
    expect(page.get_by_text(f"Answer the invitation to “{DIRECT}”")).to_be_visible()
    page.goto(site.at("/invitations"))
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_text("Your organisation takes part in the engagement now.")).to_be_visible()
    assert page.goto(site.at(path)).status == 200
    # The lead first, however the roles' names sort.
    expect(page.locator("#participants li")).to_have_count(2)
    expect(page.locator("#participants li").nth(0)).to_contain_text(ADA.organisation)
    expect(page.locator("#participants li").nth(1)).to_contain_text(BEA.organisation)
    page.goto(site.at("/"))
    expect(page.locator("tr", has_text=DIRECT)).to_contain_text("Co-lead")


# --- the walk -------------------------------------------------------------------------------


def test_from_an_empty_install_to_a_second_organisation_on_board(
        fresh_site, new_page, screenshots, policy_violations, tmp_path):
    site = fresh_site
    ada, bea, ben = new_page(), new_page(), new_page()
    shots = screenshots / "fresh-install"
    shots.mkdir(exist_ok=True)
    try:
        sign_in(ada, site, ADA)
        first_admin_finds_an_empty_install(ada, site)
        admin_imports_the_company_register(ada, site, tmp_path)
        initiative = admin_creates_the_initiative(ada, site)
        engagement = admin_starts_the_engagement(ada, site)
        ada.screenshot(path=shots / "alpha-dashboard.png", full_page=True)

        sign_in(bea, site, BEA)
        sign_in(ben, site, BEN)
        sees_no_engagement(bea, site, engagement)
        sees_no_engagement(ben, site, engagement)
        second_organisation_applies(bea, site, initiative)
        sees_no_engagement(bea, site, engagement)  # pending is not admitted
        coordinator_admits(ada, site, initiative)
        member_sees_the_engagement(bea, site, engagement)
        member_sees_the_engagement(ben, site, engagement)
        member_signs_on(bea, site, engagement)

        lead_changes_the_milestones(ada, site, engagement)
        others_see_the_change_at_once(bea, site, engagement)
        others_see_the_change_at_once(ben, site, engagement)
        bea.goto(site.at(engagement))
        bea.screenshot(path=shots / "beta-engagement.png", full_page=True)

        direct = lead_starts_a_direct_engagement_and_invites(ada, site)
        invited_organisation_accepts(bea, site, direct)
        bea.screenshot(path=shots / "beta-dashboard.png", full_page=True)
    except BaseException:
        for name, page in (("alpha", ada), ("beta-admin", bea), ("beta-analyst", ben)):
            page.screenshot(path=shots / f"failed-{name}.png", full_page=True)
        raise
    assert policy_violations == []
