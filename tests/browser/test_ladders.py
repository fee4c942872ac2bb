"""The lead tailors an engagement's ladder in a real browser: copies the shared steps, edits a
step's Dutch text, sees the ladder marked tailored, and goes back to the shared ladder; all
under the Content-Security-Policy."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import LEAD
from tests.browser.test_scenario import lead_starts_an_engagement, sign_in


def test_the_lead_tailors_the_ladder_and_goes_back(site, new_page, screenshots,
                                                   policy_violations):
    page = new_page()
    sign_in(page, site, LEAD)
    engagement_id = lead_starts_an_engagement(page, site)
    page.goto(site.at(f"/engagements/{engagement_id}"))
    page.locator("#ladder-h ~ p a").click()
    expect(page.get_by_role("heading", name="Tailor the ladder for this engagement")).to_be_visible()

    page.get_by_label("Start from a template or another ladder").select_option(index=0)
    page.get_by_role("button", name="Copy these steps").click()
    expect(page.get_by_role("status").filter(has_text="Steps copied")).to_be_visible()
    expect(page.locator("h1 [data-tailored]")).to_have_text("tailored")

    dutch = page.get_by_label("What step 1 asks of the members, in Dutch", exact=True)
    dutch.fill("Een brief aan de voorzitter, door alle leden ondertekend.")
    page.get_by_label("Days to respond to step 1", exact=True).fill("21")
    page.get_by_role("button", name="Save the tailored ladder").click()
    expect(page.get_by_role("status").filter(has_text="tailored ladder is saved")).to_be_visible()
    expect(page.get_by_label("What step 1 asks of the members, in Dutch", exact=True)).to_have_value(
        "Een brief aan de voorzitter, door alle leden ondertekend.")
    expect(page.get_by_label("Days to respond to step 1", exact=True)).to_have_value("21")
    page.screenshot(path=screenshots / "ladder-tailored.png", full_page=True)

    page.goto(site.at(f"/engagements/{engagement_id}"))
    expect(page.locator("#ladder-h [data-tailored]")).to_be_visible()

    page.goto(site.at(f"/engagements/{engagement_id}/ladder"))
    page.get_by_role("button", name="Go back to the shared ladder").click()
    expect(page.get_by_role("status").filter(has_text="shared ladder again")).to_be_visible()
    expect(page.locator("[data-tailored]")).to_have_count(0)

    page.goto(site.at("/ladders/templates"))
    expect(page.get_by_role("heading", name="Ladder templates")).to_be_visible()
    page.screenshot(path=screenshots / "ladder-templates.png", full_page=True)
    assert policy_violations == []
