"""An analyst finds an engagement by filtering /engagements in a real browser: chooses an
initiative and "overdue only", sees the count and the one matching row, the URL carrying
the filters; the back button restores the list as it was, step by step. Sorting by a
column header keeps the filters. All under the Content-Security-Policy."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import expect

from engage import tenancy
from engage.extensions import db
from engage.initiatives.models import Initiative
from engage.organisations.models import Organisation
from tests import factories as f
from tests.browser.conftest import LEAD
from tests.browser.test_scenario import sign_in


def _seed_engagements(site) -> dict[str, int]:
    """The lead's organisation leads four engagements: two in the initiative (one overdue),
    one overdue outside it, one in a second initiative."""
    past, soon = date.today() - timedelta(days=5), date.today() + timedelta(days=20)
    with site.app.app_context(), tenancy.system_scope("browser test data"):
        alpha = db.session.get(Organisation, site.alpha_id)
        initiative = db.session.get(Initiative, site.initiative_id)
        cobalt = f.initiative(alpha, title="Responsible cobalt sourcing", theme="cobalt")
        made = {}
        for key, company, title, where, due in (
                ("overdue", "Élan Textiles", "Overtime in spinning mills", initiative, past),
                ("on_time", "ATLANTIA Garments", "Wage ladder", initiative, soon),
                ("direct", "Altria", "Farm labour", None, past),
                ("cobalt", "Ærø Metals", "Artisanal mines", cobalt, past)):
            e = f.engagement(f.company(company), alpha, initiative_=where, title=title)
            f.milestone(e, due_on=due)
            made[key] = e.id
        db.session.commit()
    return made


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(url).query)


def test_the_analyst_filters_engagements_and_goes_back(site, new_page, screenshots,
                                                       policy_violations):
    made = _seed_engagements(site)
    page = new_page()
    sign_in(page, site, LEAD)
    page.goto(site.at("/engagements"))
    expect(page.get_by_role("heading", name="Engagements", level=1)).to_be_visible()
    rows = page.locator("tbody tr[data-engagement]")
    expect(rows).to_have_count(4)
    expect(page.locator("[data-total]")).to_have_text("4 engagements")

    page.get_by_label("Initiative", exact=True).select_option(str(site.initiative_id))
    expect(page).to_have_url(site.at(f"/engagements?initiative={site.initiative_id}"))
    expect(rows).to_have_count(2)
    page.get_by_label("Overdue only").check()
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("[data-total]")).to_have_text("1 engagement")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-engagement", str(made["overdue"]))
    expect(rows.first).to_contain_text("Élan Textiles")
    expect(rows.first).to_contain_text("Overtime in spinning mills")
    expect(rows.first).to_have_class("is-overdue")
    assert _query(page.url) == {"initiative": [str(site.initiative_id)], "overdue": ["1"]}
    page.screenshot(path=screenshots / "engagements-filtered.png", full_page=True)

    # The filtered URL is the list: opened afresh, it shows the same.
    page.goto(page.url)
    expect(rows).to_have_count(1)
    expect(page.get_by_label("Overdue only")).to_be_checked()
    expect(page.get_by_label("Initiative", exact=True)).to_have_value(str(site.initiative_id))

    # Going back restores each earlier list.
    page.go_back()
    expect(page).to_have_url(site.at(f"/engagements?initiative={site.initiative_id}"))
    expect(rows).to_have_count(2)
    expect(page.get_by_label("Overdue only")).not_to_be_checked()
    page.go_back()
    expect(page).to_have_url(site.at("/engagements"))
    expect(rows).to_have_count(4)

    # Sorting by a column keeps the filters; names sort as people read them.
    page.get_by_label("Overdue only").check()
    expect(rows).to_have_count(3)
    page.locator("th a[data-sort='company']").click()
    expect(page.locator("th[aria-sort='ascending']")).to_contain_text("Company")
    expect(rows.nth(0)).to_contain_text("Ærø Metals")
    expect(rows.nth(1)).to_contain_text("Altria")
    expect(rows.nth(2)).to_contain_text("Élan Textiles")
    assert _query(page.url) == {"overdue": ["1"], "sort": ["company"]}
    page.screenshot(path=screenshots / "engagements-sorted.png", full_page=True)
    assert policy_violations == []
