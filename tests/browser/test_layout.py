"""Each main page in a real browser at phone width (390 × 844) and at desktop width (1280):
nothing makes the page scroll sideways, nothing sticks out of it except inside a box that
scrolls on its own (a wide table's ``.table-scroll``), and axe-core finds no WCAG 2 A/AA
violation. A screenshot of each page at each width goes to ``.artifacts/screenshots/``
(``desktop-<page>.png``, ``phone-<page>.png``).

The pages are one list (:data:`PAGES`): a new page is one line there.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from engage import tenancy
from engage.companies.models import Company
from engage.escalations.models import EscalationLadder
from engage.extensions import db
from engage.initiatives.models import Initiative
from engage.notifications.models import Notification, NotificationKind
from engage.organisations.models import Organisation, OrgMembership, OrgRole, User
from tests import factories as f
from tests.browser.conftest import LEAD, STEP_TIMEOUT_MS, Site
from tests.browser.test_scenario import sign_in

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# (name, path): ``{engagement}`` and the like are filled in from the seeded records.
PAGES: list[tuple[str, str]] = [
    ("dashboard", "/"),
    ("engagements", "/engagements"),
    ("engagement", "/engagements/{engagement}"),
    ("engagement-ladder", "/engagements/{engagement}/ladder"),
    ("engagement-new", "/engagements/new?initiative={initiative}"),
    ("letter", "/letters/{letter}"),
    ("initiatives", "/initiatives"),
    ("initiative", "/initiatives/{initiative}"),
    ("initiative-ladder", "/initiatives/{initiative}/ladder"),
    ("initiative-edit", "/initiatives/{initiative}/edit"),
    ("companies", "/companies"),
    ("company", "/companies/{company}"),
    ("reviews", "/reviews"),
    ("review", "/reviews/{review}"),
    ("decision", "/decisions/{decision}"),
    ("reports", "/reports?from={year}-01-01&to={year}-12-31"),
    ("votes", "/votes?period=all"),
    ("notifications", "/notifications"),
    ("organisation-users", "/organisation/users"),
    ("organisation-sso", "/organisation/sso"),
    ("organisation-tokens", "/organisation/tokens"),
    ("organisation-audit", "/organisation/audit"),
    ("imports", "/imports"),
    ("calendar", "/calendar"),
    ("ladder-templates", "/ladders/templates"),
    ("ladder-template-new", "/ladders/templates/new"),
    ("profile", "/profile"),
    ("invitations", "/invitations"),
]
# Checked in Dutch too (longer words: the decision card, the navigation).
DUTCH = ("dashboard", "engagement", "decision", "review", "organisation-users")

# Words and addresses with no place to break, as people paste them.
LONG_URL = ("https://www.threadline-apparel.example/investor-relations/sustainability/"
            "living-wage-roadmap-2026-supplier-list-and-audit-results-final-version.pdf")
LONG_EMAIL = "investor.relations.and.sustainability.reporting@threadline-apparel.example"

# Every element whose right edge lies past the viewport, unless it is not rendered or an
# ancestor that contains it clips or scrolls it (overflow other than visible). An absolutely
# positioned element escapes the overflow of the static ancestors between it and its
# containing block (a visually hidden label in a scrolling table, say).
STICKING_OUT = """(width) => {
  const out = [];
  const clipped = (el) => {
    let absolute = getComputedStyle(el).position === "absolute";
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const style = getComputedStyle(a);
      if (absolute && style.position === "static") continue;
      if (style.overflowX !== "visible") return true;
      if (style.position !== "static") absolute = style.position === "absolute";
    }
    return false;
  };
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.right <= width + 0.5) continue;
    if (clipped(el)) continue;
    const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
      + (el.classList.length ? "." + [...el.classList].join(".") : "");
    out.push(`${name} right=${Math.round(r.right)} "${(el.textContent || "").trim().slice(0, 40)}"`);
  }
  return out;
}"""

# Every element that crosses the right border of the bordered box around it (a card, a
# fieldset, a timeline entry): the box's content must wrap inside it.
BOXES = ".card, fieldset, .timeline > li, .letters > li, .notifications > li, .dash-list > li, .guardrail, .letter-preview"
OUT_OF_BOX = """(boxes) => {
  const out = [];
  for (const box of document.querySelectorAll(boxes)) {
    const edge = box.getBoundingClientRect().right;
    if (edge === 0) continue;
    for (const el of box.querySelectorAll("*")) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || r.right <= edge + 0.5) continue;
      if (el.closest(".table-scroll") && box.contains(el.closest(".table-scroll"))) continue;
      if (getComputedStyle(el).position === "absolute") continue;
      out.push(`${el.tagName.toLowerCase()} crosses the border of ${box.tagName.toLowerCase()}`
        + `${box.id ? "#" + box.id : ""}.${[...box.classList].join(".")} by ${Math.round(r.right - edge)} px`
        + ` "${(el.textContent || "").trim().slice(0, 40)}"`);
    }
  }
  return out;
}"""

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
# All WCAG 2.0/2.1/2.2 level A and AA rules, every impact.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_violations(page: Page) -> list[str]:
    """axe-core's WCAG 2 A/AA violations on the page as it is now.

    axe is evaluated through Playwright (``page.evaluate``), which the page's
    Content-Security-Policy does not govern; a ``<script>`` tag added to the page would be
    refused by ``script-src 'self'``. The policy itself stays on: the page is checked as
    served."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE)
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS)
    return [f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(json.dumps(n["target"]) + " " + n["failureSummary"].replace("\n", " ")
                        for n in v["nodes"][:5])
            for v in result["violations"]]


# --- the records the pages show --------------------------------------------------------------


def _seed(site: Site) -> dict[str, int]:
    """An engagement with everything on its page: an open review (the decision card), a
    decision, a letter, dialogue with a long address, notes, a vote; an admin lead, a token
    and notifications, so each page shows its tables and forms, not its empty state."""
    today = date.today()
    with site.app.app_context(), tenancy.system_scope("browser test: pages with content"):
        alpha = db.session.get(Organisation, site.alpha_id)
        beta = db.session.get(Organisation, site.beta_id)
        company = db.session.get(Company, site.company_id)
        company.lei = "724500VKKSH9QOLTFR81"
        initiative = db.session.get(Initiative, site.initiative_id)
        lead = db.session.scalars(db.select(User).filter_by(email=LEAD.email)).one()
        membership = db.session.scalars(db.select(OrgMembership).filter_by(user_id=lead.id)).one()
        membership.role = OrgRole.ADMIN
        f.member(initiative, beta)
        engagement = f.engagement(company, alpha, initiative, supporters=(beta,),
                                  title="Living wage at Threadline: roadmap, audits and remedy",
                                  issue=f"Wages below a living wage; see {LONG_URL}",
                                  started_on=today - timedelta(days=200))
        ladder = db.session.scalars(db.select(EscalationLadder).filter_by(
            initiative_id=initiative.id)).one()
        engagement.ladder_id = ladder.id  # as when a lead starts it on the initiative's page
        f.objective(engagement)
        missed = f.milestone(engagement, due_on=today - timedelta(days=12),
                             title="Company publishes a living-wage roadmap with dated steps")
        decided = f.milestone(engagement, due_on=today - timedelta(days=40),
                              title="Company acknowledges the concern in writing")
        f.milestone(engagement, due_on=today + timedelta(days=60), title="Verified outcome for workers")
        f.dialogue(engagement, alpha, summary=f"Call with {LONG_EMAIL}; minutes at {LONG_URL}",
                   occurred_on=today - timedelta(days=5))
        f.note(engagement, alpha)
        f.vote(alpha, company, engagement)
        f.holding(alpha, company)
        f.api_token(alpha)
        review = f.review(engagement, missed)
        decision = f.decision(f.review(engagement, decided), alpha, ladder.steps[0])
        letter = f.letter(engagement)
        f.signature(letter, beta)
        for n, kind in enumerate((NotificationKind.REVIEW_OPENED, NotificationKind.LETTER_TO_SIGN)):
            db.session.add(Notification(
                organisation_id=alpha.id, user_id=lead.id, kind=kind, engagement_id=engagement.id,
                subject=f"Review opened: {missed.title}", body=f"Details: {LONG_URL}",
                link=f"/engagements/{engagement.id}", dedupe_key=f"layout-test:{n}:{lead.id}"))
        db.session.flush()
        ids = {"engagement": engagement.id, "letter": letter.id, "initiative": initiative.id,
               "company": company.id, "decision": decision.id, "year": today.year,
               "lead": lead.id, "review": review.id}
        db.session.commit()
    return ids


def _set_language(site: Site, user_id: int, locale: str | None) -> None:
    with site.app.app_context(), tenancy.system_scope("browser test: the lead's language"):
        db.session.get(User, user_id).locale = locale
        db.session.commit()


@pytest.fixture(scope="module")
def lead_session(site, browser, tmp_path_factory):
    """The lead's signed-in cookies (storage state) and the seeded records' ids."""
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    context.set_default_timeout(STEP_TIMEOUT_MS)
    page = context.new_page()
    sign_in(page, site, LEAD)
    ids = _seed(site)
    state = tmp_path_factory.mktemp("layout") / "lead.json"
    context.storage_state(path=str(state))
    context.close()
    return state, ids


def _context(browser, state, viewport):
    phone = viewport["width"] < 600
    context = browser.new_context(storage_state=str(state), viewport=viewport, locale="en-GB",
                                  is_mobile=phone, has_touch=phone,
                                  device_scale_factor=2 if phone else 1)
    context.set_default_timeout(STEP_TIMEOUT_MS)
    return context


def _check_page(page: Page, site: Site, path: str, width: int, shot: Path) -> list[str]:
    """What is wrong with one page at one width: sideways scrolling, elements sticking out,
    axe violations."""
    response = page.goto(site.at(path))
    assert response is not None and response.ok, f"{path}: {response and response.status}"
    expect(page.locator("main h1").first).to_be_visible()
    page.screenshot(path=shot, full_page=True)
    problems = []
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        problems.append(f"the page is {scroll_width} px wide")
    problems += [f"sticks out: {e}" for e in page.evaluate(STICKING_OUT, width)]
    problems += page.evaluate(OUT_OF_BOX, BOXES)
    problems += [f"axe: {v}" for v in axe_violations(page)]
    return [f"{path} at {width} px: {p}" for p in problems]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_every_main_page_fits_and_passes_axe(site, browser, lead_session, screenshots,
                                             viewport):
    state, ids = lead_session
    context = _context(browser, state, viewport)
    prefix = "phone" if viewport is PHONE else "desktop"
    problems = []
    try:
        page = context.new_page()
        for name, path in PAGES:
            problems += _check_page(page, site, path.format(**ids), viewport["width"],
                                    screenshots / f"{prefix}-{name}.png")
        _set_language(site, ids["lead"], "nl")
        for name, path in PAGES:
            if name in DUTCH:
                problems += _check_page(page, site, path.format(**ids), viewport["width"],
                                        screenshots / f"{prefix}-{name}-nl.png")
    finally:
        _set_language(site, ids["lead"], None)
        context.close()
    assert problems == [], "\n".join(problems)


def test_the_menu_folds_at_phone_width_and_opens_with_the_keyboard(site, browser, lead_session,
                                                                  screenshots):
    """At 390 px the navigation is one "Menu" button; Enter opens it, the current page is
    marked; at 1280 px there is no button and the links are in one row."""
    state, ids = lead_session
    context = _context(browser, state, PHONE)
    try:
        page = context.new_page()
        page.goto(site.at("/engagements"))
        nav = page.get_by_role("navigation", name="Main")
        menu = page.locator("header.site summary")
        expect(menu).to_have_text("Menu")
        expect(nav).to_be_hidden()
        header = page.locator("header.site").bounding_box()
        assert header["height"] < 70, f"the closed header is {header['height']} px high"
        menu.focus()
        page.keyboard.press("Enter")
        expect(nav).to_be_visible()
        expect(nav.get_by_role("link", name="Engagements")).to_have_attribute("aria-current", "page")
        page.screenshot(path=screenshots / "phone-menu-open.png", full_page=True)
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent.trim()") == "Home"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()

    context = _context(browser, state, DESKTOP)
    try:
        page = context.new_page()
        for locale, name in ((None, "Main"), ("nl", "Hoofdmenu")):
            _set_language(site, ids["lead"], locale)
            page.goto(site.at("/engagements"))
            expect(page.locator("header.site summary")).to_be_hidden()
            links = page.get_by_role("navigation", name=name).get_by_role("link")
            expect(links.first).to_be_visible()
            tops = {round(links.nth(i).bounding_box()["y"]) for i in range(links.count())}
            assert len(tops) == 1, f"the navigation takes {len(tops)} lines at 1280 px ({locale})"
        # The links of the closed <details>, shown by CSS, are in Chromium's accessibility
        # tree too (what a screen reader is given), not only on screen.
        tree = context.new_cdp_session(page).send("Accessibility.getFullAXTree")["nodes"]
        exposed = {n.get("name", {}).get("value") for n in tree
                   if n.get("role", {}).get("value") == "link" and not n.get("ignored")}
        assert {"Start", "Engagements", "Organisatie", "Verslagen"} <= exposed, exposed
    finally:
        _set_language(site, ids["lead"], None)
        context.close()


def test_the_organisation_pages_share_their_tabs(site, browser, lead_session):
    """The same tabs, in the same order, on each of the organisation's pages; the page's own
    tab marked current."""
    state, ids = lead_session
    context = _context(browser, state, DESKTOP)
    try:
        page = context.new_page()
        seen = []
        for path, current in (("/organisation/users", "People and roles"),
                              ("/organisation/sso", "Single sign-on"),
                              ("/organisation/tokens", "API tokens"),
                              ("/organisation/audit", "Audit trail"),
                              ("/imports", "Imports and screening"),
                              ("/calendar", "Calendar feed"),
                              ("/ladders/templates", "Ladder templates")):
            page.goto(site.at(path))
            tabs = page.get_by_role("navigation", name="Organisation settings")
            seen.append(tabs.get_by_role("link").all_inner_texts())
            expect(tabs.locator("[aria-current=page]")).to_have_text(current)
            expect(page.get_by_role("navigation", name="Main").locator("[aria-current=page]")
                   ).to_have_text("Organisation")
        assert all(names == seen[0] for names in seen), seen
        assert len(seen[0]) == 7, seen[0]
    finally:
        context.close()


def test_axe_finds_a_violation(site, browser, lead_session):
    """The axe check can fail: an image without a text alternative and an unlabelled field,
    added to a page that passes, are reported."""
    state, ids = lead_session
    context = _context(browser, state, DESKTOP)
    try:
        page = context.new_page()
        page.goto(site.at("/profile"))
        page.evaluate("""() => {
          const img = document.createElement('img'); img.src = '/static/img/favicon.svg';
          const input = document.createElement('input'); input.type = 'text';
          document.querySelector('main').append(img, input);
        }""")
        found = axe_violations(page)
        assert any(v.startswith("image-alt ") for v in found), found
        assert any(v.startswith("label ") for v in found), found
    finally:
        context.close()


def test_a_page_that_sticks_out_is_seen(site, browser, lead_session):
    """The width check can fail: a wide element on a phone is reported."""
    state, ids = lead_session
    context = _context(browser, state, PHONE)
    try:
        page = context.new_page()
        page.goto(site.at("/profile"))
        page.evaluate("""() => { const p = document.createElement('p');
          p.textContent = 'x'.repeat(30); p.className = 'too-wide'; p.style.width = '600px';
          document.querySelector('main').append(p); }""")
        assert page.evaluate("document.documentElement.scrollWidth") > PHONE["width"]
        assert any("p.too-wide" in e for e in page.evaluate(STICKING_OUT, PHONE["width"]))
    finally:
        context.close()
