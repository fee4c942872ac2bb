"""An organisation's admin reads its audit trail in a real browser: opens it from the
organisation's tabs, filters it by person and period, sees the matching entries and none of
another organisation's, and downloads them as CSV; all under the Content-Security-Policy."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from engage import clock, tenancy
from engage.audit.models import AuditEvent
from engage.extensions import db
from engage.organisations.models import Organisation, OrgMembership, OrgRole, User
from playwright.sync_api import expect

from tests import factories as f
from tests.browser.conftest import LEAD, SUPPORTER
from tests.browser.test_scenario import ENGAGEMENT, lead_starts_an_engagement, sign_in

COLLEAGUE = "Cy Colleague"


def _make_admin_with_history(site) -> None:
    """Ann (signed in once, so provisioned as a member) becomes her organisation's admin; a
    colleague acted today, and Ann herself long ago (outside the period she picks)."""
    with site.app.app_context(), tenancy.system_scope("browser test data"):
        ann = db.session.scalar(sa.select(User).where(User.email == LEAD.email))
        membership = db.session.scalar(sa.select(OrgMembership).where(
            OrgMembership.user_id == ann.id, OrgMembership.organisation_id == site.alpha_id))
        membership.role = OrgRole.ADMIN
        colleague = f.user(db.session.get(Organisation, site.alpha_id),
                           email="cy@alpha.example")
        colleague.name = COLLEAGUE
        now = clock.now()
        for actor, at, action in ((colleague.id, now, "holding.update"),
                                  (ann.id, datetime(2020, 1, 15, 9, tzinfo=timezone.utc),
                                   "holding.delete")):
            db.session.add(AuditEvent(organisation_id=site.alpha_id, actor_id=actor, at=at,
                                      action=action, object_type="holding", object_id="1",
                                      context=f"org:{site.alpha_id}"))
        db.session.commit()


def test_an_admin_filters_the_audit_trail_and_downloads_it(site, new_page, screenshots,
                                                          policy_violations):
    # Another organisation works too: none of it may show in Alpha's trail.
    other = new_page()
    sign_in(other, site, SUPPORTER)

    page = new_page()
    sign_in(page, site, LEAD)
    engagement_id = lead_starts_an_engagement(page, site)
    _make_admin_with_history(site)

    page.goto(site.at("/organisation/users"))
    page.get_by_role("navigation", name="Organisation settings").get_by_role(
        "link", name="Audit trail").click()
    expect(page).to_have_url(site.at("/organisation/audit"))
    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
    expect(page.locator("tr", has_text=COLLEAGUE).first).to_be_visible()

    today = clock.local_date(clock.now())
    page.get_by_label("Person (name or e-mail)").fill("ann lead")
    page.get_by_label("From (date)").fill((today - timedelta(days=1)).isoformat())
    page.get_by_label("Until (date, inclusive)").fill(today.isoformat())
    page.get_by_role("button", name="Filter").click()
    # The filters are in the address: the view can be bookmarked and shared.
    expect(page).to_have_url(re.compile(
        rf"/organisation/audit\?actor=ann\+lead&.*since={today - timedelta(days=1)}"
        rf"&until={today}$"))

    trail = page.locator("table.audit-trail > tbody")
    created = trail.locator("tr", has_text="Engagement created")
    expect(created).to_have_count(1)
    expect(created.get_by_role("link", name=f"Engagement {engagement_id}")).to_have_attribute(
        "href", f"/engagements/{engagement_id}")
    expect(trail.locator("tr", has_text="Milestone created")).to_have_count(1)
    expect(trail.locator("tr", has_text="Signed in").first).to_be_visible()
    expect(trail.locator("tr", has_text=COLLEAGUE)).to_have_count(0)
    expect(trail.locator("tr", has_text="Holding deleted")).to_have_count(0)  # in 2020
    expect(page.locator("body")).not_to_contain_text(SUPPORTER.name)
    shown = trail.locator("tr[data-entry]").count()
    assert shown >= 3
    # The recorded changes open in place, escaped text.
    created.locator("summary").click()
    expect(created.locator("table.changes")).to_contain_text(ENGAGEMENT)
    page.screenshot(path=screenshots / "audit.png", full_page=True)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download these entries (CSV)").click()
    download = download_info.value
    assert download.suggested_filename == "audit-alpha.csv"
    with open(download.path(), encoding="utf-8-sig") as handle:
        header, *rows = list(csv.reader(io.StringIO(handle.read())))
    assert header[:4] == ["When (UTC)", "Person", "E-mail", "Action"]
    assert len(rows) == shown
    assert {row[1] for row in rows} == {LEAD.name}
    assert any(row[3] == "Engagement created" and row[6] == str(engagement_id) for row in rows)
    assert not any(SUPPORTER.name in cell or COLLEAGUE in cell for row in rows for cell in row)
    assert policy_violations == []
