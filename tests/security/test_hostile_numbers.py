"""Hostile numbers on every HTML route: ids, ``?page=``, dates and numeric form fields that
the database or Python cannot take (beyond 64 bits, negative, Unicode digits, exponents,
year 9999 plus a day) are a 404 or a 400, never a 500 — on SQLite and PostgreSQL.

The routes come from ``app.url_map`` (every rule outside ``/api/`` and ``/static/``), so a
route added later is walked too. Each test collects every 5xx into one table.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from engage.engagements.models import Visibility
from engage.escalations.models import EscalationTask, StepKind
from engage.initiatives.models import MemberStatus
from engage.notifications.models import Notification, NotificationKind
from engage.organisations.models import OrgRole
from engage.tenancy import system_scope
from tests import factories as f
from tests.conftest import login_ids as login_as
from tests.oidc_support import csrf_token

# In a URL: beyond PostgreSQL's integer, beyond 64 bits signed and unsigned, signs,
# exponents, Unicode digits (Arabic-Indic three, full-width one), zero.
HOSTILE_IDS = ["9223372036854775808", "18446744073709551616", "73786976294838206464",
               "99999999999999999999", "9223372036854775807", "2147483648", "-1", "0", "1e5",
               "\u0663", "\uff11", "1" * 400]
# In a query string or form field: one of each kind, and what int() or a date parser
# chokes on.
HOSTILE_NUMBERS = ["9223372036854775808", "73786976294838206464", "-9223372036854775809",
                   "2147483648", "-1", "0", "1e5", "\u0663", "1" * 5000, "NaN", "1_000", "\x00"]
HOSTILE_DATES = ["9999-12-31", "0001-01-01", "10000-01-01", "2026-02-30", "-0001-01-01",
                 "99999999999999999999", "\u0662\u0660\u0662\u0666-01-01"]
# The query arguments the pages read.
QUERY_NUMBERS = ["page", "per_page", "year", "initiative", "company", "initiative_id",
                 "company_id", "engagement_id", "stage", "horizon"]
QUERY_DATES = ["from", "to", "since", "until", "agm_from", "agm_until"]

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# Every form field any page has (and those a loop names), walked on every POST route.
FORM_FIELDS = sorted({name for page in TEMPLATES.rglob("*.html")
                      for name in re.findall(r'name="([a-z_]+)"', page.read_text())}
                     - {"csrf_token"}
                     | {"severity_scale", "severity_scope", "severity_irremediability",
                        "user_id", "member_id", "position", "wait_days"})
DATE_FIELDS = [n for n in FORM_FIELDS if re.search(r"(_on|^from|^to)$", n)]
NUMBER_FIELDS = [n for n in FORM_FIELDS
                 if re.search(r"(_id|_eur|^stage|^horizon|^year|^severity_.*|^position|_days)$", n)]


@pytest.fixture
def admin_world(db_session) -> dict:
    """An organisation's admin, and one object of every kind a URL names, visible to it."""
    with system_scope("test", db_session):
        org, partner = f.organisation(), f.organisation()
        admin = f.user(org, role=OrgRole.ADMIN)
        colleague = f.user(org)
        initiative = f.initiative(org)
        ladder = f.ladder(initiative, kinds=(StepKind.LETTER_TO_BOARD, StepKind.PUBLIC_STATEMENT))
        applicant = f.member(initiative, partner, status=MemberStatus.PENDING)
        company = f.company()
        engagement = f.engagement(company, org, initiative_=initiative, supporters=(partner,))
        engagement.ladder_id = ladder.id
        f.objective(engagement)
        milestone = f.milestone(engagement, due_on=f.TODAY - timedelta(days=3))
        open_review = f.review(engagement, f.milestone(engagement, due_on=f.TODAY - timedelta(days=5)))
        decided = f.review(engagement, milestone)
        decision = f.decision(decided, org, ladder.steps[0])
        letter = f.letter(engagement)
        f.dialogue(engagement, org, visibility=Visibility.COALITION)
        task = EscalationTask(engagement_id=engagement.id, decision_id=decision.id,
                              kind=StepKind.LETTER_TO_BOARD, title="Write", due_on=f.TODAY,
                              owner_organisation_id=org.id)
        db_session.add(task)
        divestment = f.divestment_review(engagement)
        vote = f.vote(org, company, engagement)
        token = f.api_token(org)
        note = Notification(user_id=admin.id, organisation_id=org.id, kind=NotificationKind.REMINDER,
                            subject="Due", link="/", dedupe_key="hostile-numbers:1")
        db_session.add(note)
        f.holding(org, company)
        db_session.flush()
        ids = {
            "user_id": colleague.id, "token_id": token.id, "engagement_id": engagement.id,
            "milestone_id": milestone.id, "letter_id": letter.id, "task_id": task.id,
            "review_id": open_review.id, "decision_id": decision.id, "notification_id": note.id,
            "initiative_id": initiative.id, "member_id": applicant.id, "company_id": company.id,
            "vote_id": vote.id,
            # names that are not ids
            "slug": org.slug, "kind": "holdings", "fmt": "csv", "token": "not-a-token",
        }
        by_endpoint = {"engagements.answer_divestment": {"review_id": divestment.id}}
        db_session.commit()
        people = (admin.id, org.id, org.slug)
    return {"ids": ids, "by_endpoint": by_endpoint, "people": people}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/api/", "/static/")) or rule.endpoint == "static":
            continue
        if rule.endpoint == "auth.logout":
            continue  # signs the walker out; it takes no numbers
        yield rule


def _url(rule, values: dict, hostile: dict | None = None) -> str:
    """The rule's URL with ``values``; ``hostile`` replaces int arguments by raw text (which
    url_for would refuse to build)."""
    hostile = hostile or {}

    def fill(match):
        converter, name = match.group(1), match.group(2)
        if name in hostile:
            return hostile[name]
        # A route added later with an argument the world has no object for: any id still
        # walks it (a 404 is fine; a 500 is not).
        return str(values.get(name, 1 if converter == "int" else "x"))

    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", fill, rule.rule)


class Walker:
    def __init__(self, client, world):
        self.client = client
        self.world = world
        self.failures: list[str] = []
        self.count = 0

    def values_for(self, rule) -> dict:
        return {**self.world["ids"], **self.world["by_endpoint"].get(rule.endpoint, {})}

    def send(self, method: str, url: str, **kw) -> None:
        login_as(self.client, *self.world["people"])  # a walked POST may have signed out
        self.count += 1
        try:
            response = self.client.open(url, method=method, **kw)
            status = response.status_code
        except Exception as exc:  # noqa: BLE001  (a propagated exception is a 500)
            status, response = 500, exc
        if status == 302 and "/login" in response.headers.get("Location", ""):
            self.failures.append(f"{method} {url[:120]!r}: signed out, nothing was walked")
        if status >= 500:
            sent = kw.get("data") or kw.get("query_string") or ""
            self.failures.append(f"{method} {url[:120]!r} {sent!r:.160} -> {status}")

    def report(self) -> str:
        return f"{len(self.failures)} of {self.count} requests answered 5xx:\n" + "\n".join(
            self.failures[:80])


@pytest.fixture
def walker(client, admin_world):
    return Walker(client, admin_world)


def test_hostile_ids_in_every_url(app, walker):
    """``<int:…>`` arguments out of range or not plain ASCII digits: 404 (or 405), not 500."""
    from urllib.parse import quote

    for rule in _routes(app):
        int_args = re.findall(r"<int:(\w+)>", rule.rule)
        if not int_args:
            continue
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        for name in int_args:
            for value in HOSTILE_IDS:
                url = _url(rule, walker.values_for(rule), {name: quote(value)})
                for method in methods:
                    data = {"csrf_token": "x"} if method == "POST" else None
                    walker.send(method, url, data=data)
    assert walker.count > 100
    assert not walker.failures, walker.report()


def test_hostile_numbers_and_dates_in_query_strings(app, walker):
    """``?page=``, ``?year=``, ``?from=&to=`` and the other query arguments the pages read:
    all at once with each hostile value, and each on its own."""
    for rule in _routes(app):
        if "GET" not in rule.methods:
            continue
        base = _url(rule, walker.values_for(rule))
        for value in HOSTILE_NUMBERS:
            walker.send("GET", base, query_string={arg: value for arg in QUERY_NUMBERS})
        for arg in QUERY_NUMBERS:
            walker.send("GET", base, query_string={arg: "9223372036854775808"})
        for value in HOSTILE_DATES:
            walker.send("GET", base, query_string={arg: value for arg in QUERY_DATES})
            # A period that ends at the edge of the calendar.
            walker.send("GET", base, query_string={"from": "2026-01-01", "to": value})
    assert walker.count > 500
    assert not walker.failures, walker.report()


def test_hostile_numbers_and_dates_in_every_form(app, client, walker):
    """Every POST route, with every form field any page has set to a hostile number or date
    at once, and each numeric or date field on its own."""
    login_as(client, *walker.world["people"])
    token = csrf_token(client)
    for rule in _routes(app):
        if "POST" not in rule.methods:
            continue
        url = _url(rule, walker.values_for(rule))
        for value in HOSTILE_NUMBERS + HOSTILE_DATES:
            walker.send("POST", url, data={**{name: value for name in FORM_FIELDS},
                                           "csrf_token": token})
        for name in NUMBER_FIELDS:
            walker.send("POST", url, data={name: "73786976294838206464", "csrf_token": token})
        for name in DATE_FIELDS:
            walker.send("POST", url, data={name: "9999-12-31", "csrf_token": token})
    assert walker.count > 500
    assert not walker.failures, walker.report()
