"""One collaborative engagement, end to end in a real browser: two organisations sign in
through their own identity providers, work on one engagement, and escalate it to a letter
that the lead drafts beside its live preview, opens for signing, the two organisations sign
and the lead sends.

Each step is a function named for what the person does; the elements are found by label,
role and text, as a person finds them.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

from playwright.sync_api import Page, expect

from tests.browser.conftest import LEAD, SUPPORTER, Person, Site

ENGAGEMENT = "Living wage at Threadline"
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


def lead_starts_an_engagement(page: Page, site: Site) -> int:
    """From the initiative its organisation coordinates, the lead starts an engagement with
    its first milestone."""
    page.goto(site.at(f"/initiatives/{site.initiative_id}"))
    expect(page.get_by_role("heading", name=site.initiative_title, level=1)).to_be_visible()
    page.get_by_role("link", name="New engagement").click()
    expect(page).to_have_url(site.at(f"/engagements/new?initiative={site.initiative_id}"))
    expect(page.get_by_role("heading", name="New engagement")).to_be_visible()
    expect(page.get_by_label("Initiative", exact=True)).to_have_value(str(site.initiative_id))
    company = page.get_by_label("Company", exact=True)
    company.select_option(company.locator("option", has_text=site.company_name).get_attribute("value"))
    page.get_by_label("Title", exact=True).fill(ENGAGEMENT)
    page.get_by_label("Issue: the (potential) harm to people").fill(
        "Wages in the supply chain are below a living wage")
    page.get_by_label("Rights-holders affected").fill("garment workers")
    page.get_by_label("Reactive", exact=False).check()
    for label, value in (("Scale", "4"), ("Scope", "3"), ("Irremediability", "2")):
        page.get_by_label(label, exact=True).select_option(value)
    page.get_by_label("Start date").fill((date.today() - timedelta(days=60)).isoformat())
    page.get_by_label("Objective", exact=True).fill("Pay a living wage to garment workers")
    page.get_by_label("Milestone", exact=True).fill(MILESTONE)
    page.get_by_label("Due", exact=True).fill(MILESTONE_DUE.isoformat())
    page.get_by_role("button", name="Start the engagement").click()
    expect(page.get_by_role("heading", name=ENGAGEMENT, level=1)).to_be_visible()
    expect(page.locator("tr", has_text=MILESTONE)).to_be_visible()
    return int(re.search(r"/engagements/(\d+)$", page.url).group(1))


def supporter_applies_to_join_the_initiative(page: Page, site: Site) -> None:
    """The supporter's organisation signs on to the initiative; the antitrust guardrail must
    be confirmed first."""
    page.goto(site.at(f"/initiatives/{site.initiative_id}"))
    sign_on = page.locator("#sign-on")
    expect(sign_on.get_by_role("heading", name="Sign on to this initiative")).to_be_visible()
    sign_on.get_by_label("Supporter").check()
    sign_on.get_by_label("Committed resources").fill("One analyst, 0.2 FTE")
    sign_on.get_by_label("Committed assets under management (EUR)").fill("2500000000")
    sign_on.get_by_role("button", name="Apply to join").click()
    # Not confirmed: refused, with the reason, and nothing sent.
    expect(page.get_by_role("alert")).to_contain_text("The application was not sent")
    sign_on = page.locator("#sign-on")
    sign_on.get_by_label("I confirm that my organisation decides and votes independently").check()
    sign_on.get_by_role("button", name="Apply to join").click()
    expect(page.locator("[data-application=pending]")).to_contain_text(
        "Your organisation applied as Supporter")


def coordinator_admits(page: Page, site: Site, organisation: str) -> None:
    """On the initiative page, its coordinator (the lead's organisation) admits the applicant."""
    page.goto(site.at(f"/initiatives/{site.initiative_id}"))
    expect(page.locator("#member-count")).to_have_text("1")
    row = page.locator("tr[data-member]", has_text=organisation)
    expect(row).to_have_attribute("data-member-status", "pending")
    row.get_by_role("button", name="Admit").click()
    expect(page.locator("tr[data-member]", has_text=organisation)).to_have_attribute(
        "data-member-status", "admitted")
    expect(page.locator("#member-count")).to_have_text("2")


def supporter_signs_on_to_the_engagement(page: Page, site: Site, engagement_id: int) -> None:
    """Now a member of the initiative, the supporter's organisation joins the engagement."""
    page.goto(site.at(f"/engagements/{engagement_id}"))
    page.get_by_role("button", name="Sign on to this engagement").click()
    participants = page.locator("#participants")
    expect(participants.get_by_text(SUPPORTER.organisation)).to_be_visible()
    expect(page.get_by_role("button", name="Sign on to this engagement")).to_have_count(0)
    # The page came back whole: the dialogue log is open to the new participant.
    expect(page.get_by_text("Log dialogue", exact=True).first).to_be_visible()


def supporter_logs_a_private_note(page: Page, site: Site, engagement_id: int) -> None:
    """Dialogue only its own organisation sees: the supporter's private note. (The dialogue
    form is for participants: it appears on the page htmx loads after signing on.)"""
    page.get_by_text("Log dialogue", exact=True).first.click()  # opens the form
    form = page.locator("#dialogue-form")
    form.get_by_label("What").select_option(label="Call")
    form.get_by_label("Date").fill((date.today() - timedelta(days=2)).isoformat())
    form.get_by_label("Summary").fill(PRIVATE_NOTE)
    form.get_by_label("Private to my organisation").check()
    form.get_by_role("button", name="Log dialogue").click()
    expect(page.get_by_role("status").filter(has_text="Dialogue logged")).to_be_visible()
    entry = page.locator("[data-dialogue]", has_text=PRIVATE_NOTE)
    expect(entry).to_have_attribute("data-visibility", "private")
    expect(entry.get_by_text("Only your organisation sees this entry.")).to_be_visible()
    page.reload()  # kept, not just shown
    expect(page.locator("[data-dialogue][data-visibility=private]", has_text=PRIVATE_NOTE)).to_be_visible()


def lead_does_not_see_the_note(page: Page, site: Site, engagement_id: int) -> None:
    """Neither on the engagement page nor in the coalition activity of the dashboard."""
    page.goto(site.at("/"))
    expect(page.get_by_role("heading", name="Recent coalition activity")).to_be_visible()
    expect(page.locator("[data-activity=dialogue]")).to_have_count(0)
    page.goto(site.at(f"/engagements/{engagement_id}"))
    expect(page.locator("#timeline")).to_be_visible()
    expect(page.locator("#participants").get_by_text(SUPPORTER.organisation)).to_be_visible()
    expect(page.get_by_text(PRIVATE_NOTE)).to_have_count(0)
    assert PRIVATE_NOTE not in page.content()


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
    """Prefect does not run here: the next sweep applies the decision from the outbox, as it
    does whenever Prefect is down; the lead's page, polling, shows it carried out."""
    from engage.escalations import service

    with site.app.app_context():
        report = service.sweep(datetime.now(timezone.utc))
    assert len(report.decisions_applied) == 1 and not report.decisions_failed, report.describe()
    expect(page.locator("[data-state]")).to_have_attribute("data-state", "done", timeout=8_000)
    page.reload()
    letter = page.locator("[data-letter][data-letter-status=draft]")
    expect(letter).to_have_count(1)
    # A draft: nobody is offered to sign it yet.
    expect(letter.get_by_role("button", name="Co-sign")).to_have_count(0)
    return int(letter.get_attribute("data-letter"))


CLOSING = "Kind regards, on behalf of the signatories"


def lead_drafts_the_letter(page: Page, site: Site, engagement_id: int, letter_id: int,
                           folder) -> None:
    """On the letter's page the lead edits the draft; the preview beside it, the letter as
    the company will receive it, follows as they type (htmx, no reload), and is saved."""
    page.goto(site.at(f"/engagements/{engagement_id}"))
    page.locator(f"#letter-{letter_id}").get_by_role("link", name="Edit the draft").click()
    expect(page).to_have_url(site.at(f"/letters/{letter_id}"))
    preview = page.locator("#letter-preview")
    expect(preview).to_contain_text("DRAFT · not sent")
    expect(preview).to_contain_text(f"for the investor initiative “{site.initiative_title}”")
    expect(preview).to_contain_text(f"Contact: {LEAD.name}, {LEAD.email}")
    expect(preview).to_contain_text("No investor has signed this letter yet.")
    expect(preview).not_to_contain_text(REASON)
    page.evaluate("window.engageNoReload = true")
    text = page.get_by_label("Text", exact=True)
    expect(text).to_have_value(re.compile(r"^To the Board of Directors of Threadline"))
    text.press("Control+End")
    text.press_sequentially(f"\n\n{CLOSING}\n- <b>bold?</b>", delay=20)
    expect(preview).to_contain_text(CLOSING)
    expect(preview.locator("li", has_text="<b>bold?</b>")).to_have_count(1)  # escaped, as typed
    assert page.evaluate("window.engageNoReload") is True, "the preview reloaded the page"
    page.screenshot(path=folder / "letter-draft.png", full_page=True)
    page.get_by_role("button", name="Save the draft").click()
    expect(page.get_by_role("status").filter(has_text="The draft is saved.")).to_be_visible()
    expect(page.get_by_label("Text", exact=True)).to_have_value(re.compile(re.escape(CLOSING)))


def lead_opens_the_letter_for_signing(page: Page, site: Site, letter_id: int) -> None:
    page.get_by_role("button", name="Open for signing").click()
    expect(page.get_by_role("status").filter(has_text="open for signing")).to_be_visible()
    expect(page.locator("#letter-status")).to_have_attribute("data-status", "open_for_signing")
    expect(page.get_by_label("Text", exact=True)).to_have_count(0)  # frozen
    expect(page.locator("#letter-preview")).to_contain_text(CLOSING)


def supporter_co_signs_and_the_count_updates_in_place(page: Page, site: Site, engagement_id: int,
                                                    letter_id: int) -> None:
    """The count of signatories changes in place, without reloading the page."""
    page.goto(site.at(f"/engagements/{engagement_id}"))
    count = page.locator(f"#letter-{letter_id}-signatories")
    expect(count).to_have_text("0 signatories")
    # A mark on this very document: a page reload would wipe it.
    page.evaluate("window.engageNoReload = true")
    page.locator(f"#letter-{letter_id}").get_by_role("button", name="Co-sign").click()
    expect(page.locator(f"#letter-{letter_id}-signatories")).to_have_text("1 signatory")
    expect(page.locator(f"#letter-{letter_id}").get_by_text("Your organisation has signed")).to_be_visible()
    assert page.evaluate("window.engageNoReload") is True, "the page was reloaded"


def lead_signs_and_sends(page: Page, site: Site, letter_id: int, folder) -> None:
    """The lead's organisation signs second, on the letter's page; the preview and the PDF
    name exactly the two signatories; the lead marks the letter sent."""
    page.goto(site.at(f"/letters/{letter_id}"))
    item = page.locator(f"#letter-{letter_id}")
    expect(item.locator(f"#letter-{letter_id}-signatories")).to_have_text("1 signatory")
    item.get_by_role("button", name="Co-sign").click()
    expect(page.locator(f"#letter-{letter_id}-signatories")).to_have_text("2 signatories")
    page.reload()
    preview = page.locator("#letter-preview")
    expect(preview).to_contain_text("Signed by 2 investors")
    expect(preview).to_contain_text(LEAD.organisation)
    expect(preview).to_contain_text(SUPPORTER.organisation)
    item = page.locator(f"#letter-{letter_id}")
    item.get_by_label("Channel").select_option(label="e-mail")
    item.get_by_role("button", name="Mark sent").click()
    expect(page.locator(f"#letter-{letter_id}-sent")).to_contain_text("its text and signatories are final")
    page.reload()
    expect(page.locator("#letter-status")).to_have_attribute("data-status", "sent")
    expect(page.get_by_role("heading", name="The letter as sent")).to_be_visible()
    expect(page.locator("#letter-preview")).to_contain_text("Sent on")
    expect(page.locator("#letter-preview")).not_to_contain_text("DRAFT")
    expect(page.get_by_role("button", name="Return to draft")).to_have_count(0)
    page.screenshot(path=folder / "letter-sent.png", full_page=True)


# --- the scenario ---------------------------------------------------------------------------


def test_lead_and_supporter_escalate_and_co_sign(site, new_page, screenshots, policy_violations):
    lead, supporter = new_page(), new_page()
    try:
        sign_in(lead, site, LEAD)
        engagement_id = lead_starts_an_engagement(lead, site)

        sign_in(supporter, site, SUPPORTER)
        supporter_applies_to_join_the_initiative(supporter, site)
        coordinator_admits(lead, site, SUPPORTER.organisation)
        supporter_signs_on_to_the_engagement(supporter, site, engagement_id)
        supporter_logs_a_private_note(supporter, site, engagement_id)
        lead_does_not_see_the_note(lead, site, engagement_id)

        milestone_passes_due(site, MILESTONE_DUE)
        lead_escalates_to_a_letter(lead, site, engagement_id)
        letter_id = workflow_carries_out_the_decision(site, lead)
        lead_drafts_the_letter(lead, site, engagement_id, letter_id, screenshots)
        lead_opens_the_letter_for_signing(lead, site, letter_id)
        supporter_co_signs_and_the_count_updates_in_place(supporter, site, engagement_id, letter_id)
        lead_signs_and_sends(lead, site, letter_id, screenshots)
    except BaseException:
        # What each person saw when the step failed, next to the run's other screenshots.
        lead.screenshot(path=screenshots / "failed-lead.png", full_page=True)
        supporter.screenshot(path=screenshots / "failed-supporter.png", full_page=True)
        raise

    take_screenshots(lead, site, engagement_id, letter_id, screenshots)
    # Signing out goes on to the provider (form-action 'self' must not stop it).
    lead.get_by_role("button", name="Sign out").click()
    expect(lead.get_by_role("button", name="Sign out")).to_have_count(0)
    # Every page, fragment and form of the story ran under the Content-Security-Policy.
    assert policy_violations == []


def test_the_api_reference_works_under_its_policy(site, new_page, policy_violations):
    """Swagger UI renders the operations from Engage's own files, breaking no rule."""
    page = new_page()
    page.goto(site.at("/api/v1/docs"))
    expect(page.locator(".opblock").first).to_be_visible()
    expect(page.locator(".opblock-summary-path", has_text="/engagements").first).to_be_visible()
    assert policy_violations == []


def test_a_violation_would_be_seen(site, new_page, policy_violations):
    """The check above can fail: an inline script on one of Engage's pages is reported."""
    page = new_page()
    page.goto(site.at("/login"))
    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = 'window.ran = 1'; document.body.append(s); }""")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.wait_for_timeout(300)
    assert page.evaluate("window.ran") is None
    assert any("script-src" in v for v in policy_violations), policy_violations
    policy_violations.clear()


def take_screenshots(page: Page, site: Site, engagement_id: int, letter_id: int, folder) -> None:
    """The lead's dashboard, engagement page and initiative page at the end of the story."""
    page.goto(site.at("/"))
    expect(page.locator("[data-activity=signature]", has_text=SUPPORTER.organisation).first
           ).to_be_visible()
    page.screenshot(path=folder / "dashboard.png", full_page=True)
    page.goto(site.at(f"/engagements/{engagement_id}"))
    expect(page.locator(f"#letter-{letter_id}-signatories")).to_have_text("2 signatories")
    page.screenshot(path=folder / "engagement.png", full_page=True)
    page.goto(site.at(f"/initiatives/{site.initiative_id}"))
    expect(page.locator("#member-count")).to_have_text("2")
    page.screenshot(path=folder / "initiative.png", full_page=True)
