"""A member prepares the AGM season in a real browser: opens Votes from the navigation, sees
a proposed vote flagged by the consistency check (a vote *for* the directors of a company
its engagement escalates against, departing from the coalition's ask), is refused an
instruction without a rationale in place, gives one and instructs; then downloads the CSV
for the proxy agent. All under the Content-Security-Policy."""

from __future__ import annotations

import re
from datetime import date, timedelta

import sqlalchemy as sa
from playwright.sync_api import expect

from engage import tenancy
from engage.companies.models import Company
from engage.escalations.models import EscalationLadder, StepKind
from engage.extensions import db
from engage.organisations.models import Organisation
from engage.votes.models import Vote, VoteInstruction, VoteItemKind, VoteStatus
from tests import factories as f
from tests.browser.conftest import LEAD
from tests.browser.test_scenario import sign_in

ITEM = "Re-election of the directors responsible for wages"
RATIONALE = "The board committed to a living-wage roadmap on 12 November; we support it."


def _escalated_engagement_with_a_proposal(site) -> int:
    """The lead's engagement with the company has escalated to voting against the directors;
    the proposal it made was set to "for" while still a proposal."""
    with site.app.app_context(), tenancy.system_scope("browser test: an escalated engagement"):
        ladder = db.session.scalar(sa.select(EscalationLadder).where(
            EscalationLadder.initiative_id == site.initiative_id))
        step = next(s for s in ladder.steps if s.kind == StepKind.VOTE_AGAINST_DIRECTORS)
        company = db.session.get(Company, site.company_id)
        company.next_agm_on = date.today() + timedelta(days=40)
        alpha = db.session.get(Organisation, site.alpha_id)
        engagement = f.engagement(company, alpha, title="Wages at Threadline",
                                  ladder_id=ladder.id)
        engagement.current_step_id = step.id
        vote = f._add(Vote(
            organisation_id=site.alpha_id, company_id=company.id, engagement_id=engagement.id,
            agm_on=company.next_agm_on, item=ITEM, item_kind=VoteItemKind.DIRECTORS,
            instruction=VoteInstruction.FOR, requested_instruction=VoteInstruction.AGAINST,
            status=VoteStatus.PROPOSED))
        vote_id = vote.id
        db.session.commit()
    return vote_id


def test_a_member_instructs_a_flagged_vote_with_a_rationale(site, new_page, screenshots,
                                                            policy_violations):
    vote_id = _escalated_engagement_with_a_proposal(site)
    page = new_page()
    sign_in(page, site, LEAD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Votes").click()
    expect(page).to_have_url(site.at("/votes"))
    expect(page.get_by_role("heading", name="Votes and AGM season", level=1)).to_be_visible()
    expect(page.locator('[data-count="proposed"]')).to_have_text("To instruct (proposed): 1")
    expect(page.locator('[data-count="flagged"]')).to_have_text("Flagged: 1")
    expect(page.locator(f'[data-agm-company="{site.company_id}"]')).to_contain_text(
        site.company_name)

    row = page.locator(f"#vote-{vote_id}")
    expect(row).to_have_attribute("data-flagged", "yes")
    expect(row.locator('[data-flag="escalation"]')).to_contain_text(
        "A vote for the directors of a company under escalation")
    expect(row.locator('[data-flag="escalation"]')).to_contain_text("Wages at Threadline")
    expect(row.locator('[data-flag="departs"]')).to_contain_text("asked to vote against")
    expect(row).to_contain_text("Needs your rationale")

    row.get_by_role("link", name=re.compile("^Decide")).click()
    expect(page.locator(f"#v{vote_id}-rationale")).to_be_visible()
    page.locator(f"#v{vote_id}-instruction").select_option("for")
    page.locator(f"#v{vote_id}-status").select_option("instructed")
    page.get_by_role("button", name="Save vote").click()
    alert = row.get_by_role("alert")
    expect(alert.first).to_be_visible()
    expect(row).to_contain_text("The company is under escalation")
    expect(page.locator(f"#v{vote_id}-status")).to_have_value("instructed")  # input kept
    expect(page.locator(f"#v{vote_id}-instruction")).to_have_value("for")
    page.screenshot(path=screenshots / "votes-rationale-needed.png", full_page=True)

    page.locator(f"#v{vote_id}-rationale").fill(RATIONALE)
    page.get_by_role("button", name="Save vote").click()
    expect(row).to_have_attribute("data-status", "instructed")
    expect(row).to_contain_text("instructed")
    expect(row).to_contain_text(RATIONALE)
    expect(row).not_to_contain_text("Needs your rationale")
    expect(row).to_have_attribute("data-flagged", "yes")  # still flagged, now with its why
    # The counts follow in place.
    expect(page.locator('[data-count="instructed"]')).to_have_text("Instructed: 1")
    expect(page.locator('[data-count="proposed"]')).to_have_text("To instruct (proposed): 0")
    page.screenshot(path=screenshots / "votes.png", full_page=True)

    # After a reload the page shows what was saved, and the proxy agent's file holds it.
    page.reload()
    expect(page.locator(f"#vote-{vote_id}")).to_have_attribute("data-status", "instructed")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    text = open(download.value.path(), encoding="utf-8-sig").read()
    assert ITEM in text and RATIONALE in text and "instructed" in text
    with site.app.app_context(), tenancy.system_scope("browser test: read back"):
        vote = db.session.get(Vote, vote_id)
        assert (vote.status, vote.instruction, vote.rationale) == (
            VoteStatus.INSTRUCTED, VoteInstruction.FOR, RATIONALE)
    assert policy_violations == []
