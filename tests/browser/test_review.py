"""A lead decides a review in a real browser: from the dashboard's to-do panel to the review
page, where how late, the ladder and the latest dialogue sit beside the decision; a decision
that needs a second reason, sent without it, comes back in place (no page load) with what was
typed; fixed, it is recorded and carried out. All under the Content-Security-Policy."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from playwright.sync_api import expect

from tests.browser.conftest import LEAD
from tests.browser.test_scenario import MILESTONE, lead_starts_an_engagement, sign_in

LATE_DAYS = 12
DIALOGUE = "Met the head of sourcing: no roadmap, no date for one"
REASON = "Twelve days past the roadmap deadline; the board ignored our meeting request"
SKIP = "The board refused a meeting in writing; a public statement is the leverage left"


def the_milestone_is_missed(site, engagement_id: int) -> int:
    """The roadmap was due twelve days ago; a meeting was logged; the organisation also has a
    vote to instruct and a task due; the sweep opens the review."""
    import sqlalchemy as sa

    from engage import tenancy
    from engage.engagements.models import Engagement, Milestone
    from engage.escalations import service
    from engage.escalations.models import EscalationReview
    from engage.extensions import db
    from tests import factories as f

    with site.app.app_context(), tenancy.system_scope("browser test: a missed deadline"):
        milestone = db.session.scalar(sa.select(Milestone).where(
            Milestone.engagement_id == engagement_id))
        milestone.due_on = date.today() - timedelta(days=LATE_DAYS)
        engagement = db.session.get(Engagement, engagement_id)
        alpha = engagement.participants[0].organisation
        f.dialogue(engagement, alpha, summary=DIALOGUE,
                   occurred_on=date.today() - timedelta(days=20))
        vote = f.vote(alpha, engagement.company, engagement)
        vote.agm_on = date.today() + timedelta(days=25)
        task = f.task(engagement, alpha, title="Ask the chair for a meeting before the AGM")
        task.due_on = date.today() + timedelta(days=6)
        db.session.commit()
    with site.app.app_context():
        report = service.sweep(datetime.now(timezone.utc))
    assert len(report.reviews_opened) == 1, report.describe()
    with site.app.app_context(), tenancy.system_scope("browser test"):
        return db.session.scalar(sa.select(EscalationReview.id).where(
            EscalationReview.engagement_id == engagement_id))


def test_the_lead_decides_a_review_on_one_screen(site, new_page, screenshots, policy_violations):
    page = new_page()
    sign_in(page, site, LEAD)
    engagement_id = lead_starts_an_engagement(page, site)
    review_id = the_milestone_is_missed(site, engagement_id)

    # The dashboard: what waits, nearest deadline first, the overdue review flagged.
    page.goto(site.at("/"))
    todo = page.locator("[data-section=todo]")
    expect(todo.get_by_role("heading", name="To do")).to_be_visible()
    items = todo.locator("li[data-todo]")
    expect(items).to_have_count(3)
    assert [items.nth(i).get_attribute("data-todo") for i in range(3)] == ["review", "task", "vote"]
    expect(items.first).to_have_attribute("data-overdue", "")
    expect(items.first).to_contain_text(f"{LATE_DAYS} days overdue")
    page.screenshot(path=screenshots / "dashboard-todo.png", full_page=True)

    items.first.get_by_role("link").click()
    expect(page).to_have_url(site.at(f"/reviews/{review_id}"))
    expect(page.get_by_role("heading", name=f"Missed: {MILESTONE}", level=1)).to_be_visible()
    expect(page.locator(f"[data-days-late='{LATE_DAYS}']")).to_contain_text(f"{LATE_DAYS} days overdue")
    expect(page.locator("[data-rung][data-proposed]")).to_contain_text("1. letter to board")
    expect(page.locator(".review-dialogue")).to_contain_text(DIALOGUE)
    expect(page.get_by_label("Step", exact=True)).to_have_value(
        page.locator("[data-rung][data-proposed]").get_attribute("data-rung"))

    # Straight to a public statement, past the letter and the meeting, without saying why.
    page.evaluate("window.engageNoReload = true")
    page.get_by_label("Escalate to").check()
    page.get_by_label("Step", exact=True).select_option(label="3. public statement")
    page.get_by_label("Reason (recorded with your name)").fill(REASON)
    page.get_by_role("button", name="Record decision").click()
    error = page.locator(f"#review-{review_id}-skip_reason-error")
    expect(error).to_contain_text("This skips step 1 (letter to board)")
    # In place: the same page (no load), the reason and the step as they were typed.
    assert page.evaluate("window.engageNoReload") is True
    expect(page).to_have_url(site.at(f"/reviews/{review_id}"))
    expect(page.get_by_label("Reason (recorded with your name)")).to_have_value(REASON)
    expect(page.get_by_label("Step", exact=True)).to_have_value(
        re.compile(r"\d+"))
    expect(page.get_by_label("Step", exact=True).locator("option:checked")).to_have_text(
        "3. public statement")
    page.screenshot(path=screenshots / "review.png", full_page=True)
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= 1600, height  # the review fits about one screen, not a long page

    page.get_by_label("Why skip ahead, or go to reducing exposure or the divestment review "
                      "(needed then)").fill(SKIP)
    page.get_by_role("button", name="Record decision").click()
    expect(page).to_have_url(re.compile(r"/decisions/\d+$"))
    expect(page.get_by_role("status").filter(has_text="Decision recorded")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Escalate to “Public statement”")
    expect(page.locator("[data-skip-reason]")).to_have_text(SKIP)

    # The review is decided: its page says so, and the to-do list no longer holds it.
    page.goto(site.at(f"/reviews/{review_id}"))
    expect(page.locator("[data-decided]")).to_contain_text(REASON)
    expect(page.get_by_label("Reason (recorded with your name)")).to_have_count(0)
    page.goto(site.at("/"))
    expect(page.locator("[data-section=todo] li[data-todo=review]")).to_have_count(0)
    assert policy_violations == []
