"""One collaborative engagement, end to end in a real browser: two organisations sign in
through their own identity providers, work on one engagement, and escalate it to a letter
that the coalition co-signs.

Each step is a function named for what the person does; the elements are found by label,
role and text, as a person finds them.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from playwright.sync_api import Page, expect

from tests.browser.conftest import LEAD, SUPPORTER, Person, Site

MILESTONE = "Company publishes a living-wage roadmap"
MILESTONE_DUE = date.today() + timedelta(days=30)
PRIVATE_NOTE = "Our own view: the CFO was evasive about supplier audits"
REASON = "No roadmap after the deadline and two reminders"


# --- the steps ------------------------------------------------------------------------------


def sign_in(page: Page, site: Site, person: Person) -> None:
    """/login → work e-mail → the organisation's provider → back at Engage, signed in."""
    page.goto(site.at("/login"))
    page.get_by_label("Work e-mail address").fill(person.email)
    page.get_by_role("button", name="Continue").click()
    # The provider's own authorisation page (oidc-provider-mock): who is signing in.
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
    page.get_by_placeholder("sub").fill(person.sub)
    page.get_by_role("button", name="Authorize", exact=True).click()
    expect(page).to_have_url(site.at("/"))
    expect(page.get_by_text(person.name)).to_be_visible()


def milestone_passes_due(site: Site, due_on: date) -> None:
    """The scheduled sweep runs the day after the deadline and opens a review."""
    from engage.escalations import service

    with site.app.app_context():
        report = service.sweep(datetime.combine(due_on + timedelta(days=1), time(9), tzinfo=timezone.utc))
    assert len(report.reviews_opened) == 1, report.describe()


def lead_escalates_to_a_letter(page: Page, site: Site, engagement_id: int) -> None:
    """The lead opens the engagement, finds the review and decides: escalate to a letter."""
    page.goto(site.at(f"/engagements/{engagement_id}"))
    review = page.locator("article[data-review]").filter(has_text=f"Missed: {MILESTONE}")
    expect(review).to_be_visible()
    review.get_by_label("Escalate to").check()
    review.get_by_label("Step").select_option(label="1. letter to board")
    review.get_by_label("Reason (recorded with your name)").fill(REASON)
    review.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("status").filter(has_text="Decision recorded")).to_be_visible()
    expect(page.locator("[data-state]")).to_have_attribute("data-state", "pending")


def workflow_carries_out_the_decision(site: Site, page: Page) -> int:
    """Prefect does not run here: the sweep's outbox applies the decision, as it does when
    Prefect is down; the lead's page, polling, shows it carried out without a reload."""
    from engage.escalations import service

    with site.app.app_context():
        applied, failed = service.apply_outbox(datetime.now(timezone.utc) + timedelta(hours=1))
    assert applied and not failed
    expect(page.locator("[data-state]")).to_have_attribute("data-state", "done", timeout=8_000)
    page.reload()
    letter = page.locator("[data-letter][data-letter-status=open_for_signing]")
    expect(letter).to_have_count(1)
    return int(letter.get_attribute("data-letter"))


# --- the scenario ---------------------------------------------------------------------------


def test_lead_and_supporter_escalate_and_co_sign(site, new_page, screenshots):
    lead, supporter = new_page(), new_page()

    sign_in(lead, site, LEAD)
    sign_in(supporter, site, SUPPORTER)

    engagement_id = _engagement_until_the_form_exists(site)

    milestone_passes_due(site, MILESTONE_DUE)
    lead_escalates_to_a_letter(lead, site, engagement_id)
    letter_id = workflow_carries_out_the_decision(site, lead)
    assert letter_id

    lead.goto(site.at("/"))
    lead.screenshot(path=screenshots / "dashboard.png", full_page=True)
    lead.goto(site.at(f"/engagements/{engagement_id}"))
    lead.screenshot(path=screenshots / "engagement.png", full_page=True)


def _engagement_until_the_form_exists(site: Site) -> int:
    import sqlalchemy as sa
    from engage import tenancy
    from engage.companies.models import Company
    from engage.escalations.models import EscalationLadder
    from engage.extensions import db
    from engage.initiatives.models import Initiative
    from engage.organisations.models import Organisation

    from tests import factories as f

    with site.app.app_context(), tenancy.system_scope("browser test data"):
        alpha = db.session.get(Organisation, site.alpha_id)
        beta = db.session.get(Organisation, site.beta_id)
        init = db.session.get(Initiative, site.initiative_id)
        ladder_id = db.session.scalar(sa.select(EscalationLadder.id).where(EscalationLadder.initiative_id == init.id))
        e = f.engagement(db.session.get(Company, site.company_id), alpha, init, supporters=(beta,), ladder_id=ladder_id,
                         title="Living wage at Threadline")
        f.milestone(e, due_on=MILESTONE_DUE, title=MILESTONE)
        eid = e.id
        db.session.commit()
    return eid
