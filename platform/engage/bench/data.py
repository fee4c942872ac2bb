"""A large, coherent world for the benchmarks (``engage bench-data``).

Organisations with users and roles, the exclusion list's companies and synthetic ones,
initiatives with their ladders and members, engagements in and outside initiatives with
their participants, objectives, milestones and dialogue, and enough reviews, decisions,
letters, tasks and votes that every section of the dashboard and the engagement page has
something to show. Everything follows from ``seed`` and ``today``.

The sweep's work is fixed, whatever the size: exactly ``due`` milestones are overdue with
no review at ``today`` and ``due`` more fall inside the reminder window; every other open
milestone is either beyond the window or already has its review, and every escalation
step's wait runs past ``today``. So a sweep at 1k and at 100k engagements does the same
work and its time measures only how the queries scale.

Generated rows are written without the audit log (see :mod:`engage.bench.bulk`).
"""

from __future__ import annotations

import csv
import random
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app

from engage import clock, config
from engage.bench.activity import ESCALATED_STEP, Activity, Engagement, at
from engage.bench.bulk import BulkWriter
from engage.common.search import fold
from engage.demo import data as demo
from engage.extensions import db
from engage.tenancy import system_scope

SCOPE_REASON = "benchmark data"
# The template ladders a migration installs are kept: the benchmark's ladders come after them.
EMPTY_TABLES = ("organisation", "user_account", "company", "initiative", "engagement")
KINDS = ("asset_owner", "asset_manager", "bank", "insurer", "pension_fund", "service_provider")
THEMES = ("Living wage", "Forced labour", "Land rights", "Indigenous peoples' consent",
          "Child labour", "Freedom of association", "Conflict minerals", "Deforestation",
          "Health and safety", "Digital rights")
SECTORS = ("Apparel", "Mining", "Food and beverages", "Technology", "Utilities", "Banking",
           "Chemicals", "Automotive", "Oil and gas", "Retail")
COUNTRIES = ("NL", "DE", "FR", "GB", "US", "JP", "BR", "IN", "ZA", "SE", "CN", "AU")
RATINGS = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC")
OBJECTIVES = ("end_impact", "provide_remedy", "prevent_recurrence", "transparency", "other")
FIRST = ("Anna", "Bram", "Chloé", "Daan", "Eva", "Femke", "Gijs", "Hanna", "Ivo", "Julia")
LAST = ("de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "Bos")


class BenchDataError(RuntimeError):
    """The database is not empty, or the sizes do not make a world."""


@dataclass(frozen=True)
class Sizes:
    orgs: int
    users: int
    companies: int
    engagements: int
    dialogue: int
    due: int = 50

    def check(self) -> None:
        if min(self.orgs, self.companies, self.engagements) < 1 or self.orgs < 3:
            raise BenchDataError("need at least 3 organisations, 1 company and 1 engagement")
        if self.users < self.orgs:
            raise BenchDataError("need at least one user per organisation")
        if 2 * self.due > self.engagements // 2:
            raise BenchDataError("--due is too large for this many engagements")


@dataclass
class BenchSummary:
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        lines = [f"{name:<24} {count:>9}" for name, count in self.counts.items()]
        return "\n".join(lines + [f"generated in {self.seconds:.1f} s"])


def generate(sizes: Sizes, *, seed: int = 1, today: date | None = None) -> BenchSummary:
    """Fill the empty, migrated database in one transaction."""
    sizes.check()
    started = time.perf_counter()
    session = db.session()
    with system_scope(SCOPE_REASON, session):
        try:
            connection = session.connection()
            for name in EMPTY_TABLES:
                if connection.execute(sa.text(f'SELECT 1 FROM "{name}" LIMIT 1')).first():
                    raise BenchDataError(
                        f"the table {name} has rows; engage bench-data fills an empty, migrated "
                        "database only (create a new one and run `engage db upgrade`)")
            if connection.execute(sa.text(
                    "SELECT 1 FROM escalation_ladder WHERE NOT is_template LIMIT 1")).first():
                raise BenchDataError("the table escalation_ladder has ladders that are not "
                                     "templates; engage bench-data fills an empty, migrated "
                                     "database only")
            writer = BulkWriter(connection)
            world = _World(writer, sizes, random.Random(seed), today or clock.today())
            world.ladder_base = connection.execute(
                sa.text("SELECT coalesce(max(id), 0) FROM escalation_ladder")).scalar_one()
            world.step_base = connection.execute(
                sa.text("SELECT coalesce(max(id), 0) FROM ladder_step")).scalar_one()
            world.write()
            writer.set_sequences()
            session.commit()
        except BaseException:
            session.rollback()
            raise
    return BenchSummary(seconds=time.perf_counter() - started, counts=writer.counts)


def vacuum() -> float:
    """VACUUM ANALYZE on PostgreSQL, as autovacuum would do some time after a bulk load:
    the planner gets the tables' statistics and index-only scans a visibility map. Outside
    any transaction, so only for a database of its own (the CLI), not inside a test's."""
    started = time.perf_counter()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    return time.perf_counter() - started


class _World(Activity):
    def __init__(self, writer: BulkWriter, sizes: Sizes, rng: random.Random, today: date):
        self.w, self.n, self.rng, self.today = writer, sizes, rng, today
        self.now = at(today, 12)
        self.window = max(current_app.config["ENGAGE_REMINDER_DAYS"] or [0])
        self.initiatives = max(2, round(sizes.engagements / 40))
        # Ladder k of the benchmark (1 its template, i + 1 initiative i's) is stored with the
        # id ladder_base + k, after the installed templates; its steps likewise.
        self.ladder_base = self.step_base = 0

    def day(self, offset: int) -> date:
        return self.today + timedelta(days=offset)

    def user_of(self, org: int, nth: int = 1) -> int:
        """The nth user of an organisation (users are dealt round-robin); 0 is its admin."""
        user = org + nth * self.n.orgs
        return user if user <= self.n.users else org

    def write(self) -> None:
        self.organisations()
        self.companies()
        members = self.initiatives_and_ladders()
        engagements = self.plan(members)
        self.engagements(engagements)
        self.milestones_and_escalations(engagements)
        self.dialogue(engagements)
        self.holdings()

    # --- organisations and people ---------------------------------------------------------------

    def organisations(self) -> None:
        created = at(self.day(-2000))
        self.w.write("organisation", ("id", "slug", "name", "kind", "aum_eur", "created_at"), (
            (k, f"org-{k:05d}", f"Investor {k:05d}", KINDS[k % len(KINDS)],
             Decimal(self.rng.randrange(1, 500_000)) * 1_000_000, created)
            for k in range(1, self.n.orgs + 1)))
        self.w.write("user_account", ("id", "email", "name", "locale", "is_active",
                                      "last_login_at", "created_at"), (
            (u, f"user{u:06d}@org-{(u - 1) % self.n.orgs + 1:05d}.example",
             f"{FIRST[u % len(FIRST)]} {LAST[u % len(LAST)]}", "nl" if u % 3 == 0 else "en",
             True, None, created) for u in range(1, self.n.users + 1)))

        def role(u: int) -> str:
            nth = (u - 1) // self.n.orgs
            return "admin" if nth == 0 else "viewer" if nth % 5 == 4 else "member"

        self.w.write("org_membership", ("id", "user_id", "organisation_id", "role",
                                        "created_at"), (
            (u, u, (u - 1) % self.n.orgs + 1, role(u), created)
            for u in range(1, self.n.users + 1)))

    # --- companies ------------------------------------------------------------------------------

    def companies(self) -> None:
        path = config.PROJECT_ROOT.joinpath(*demo.EXCLUSION_LIST_FILE)
        with path.open(newline="", encoding="utf-8") as fh:
            listed = list(csv.DictReader(fh))[:self.n.companies]
        excluded_on = date(*demo.EXCLUDED_ON)
        created = at(self.day(-1500))

        def rows():
            for i, row in enumerate(listed, start=1):
                category = row["category"].strip()
                name = row["company"].strip()
                yield (i, name, fold(name), None, None, row["country"].strip().upper(),
                       demo.EXCLUDED_SECTOR_BY_CATEGORY.get(category), None, None, "",
                       category, demo.EXCLUSION_REASONS[category], excluded_on, None, created)
            for i in range(len(listed) + 1, self.n.companies + 1):
                rated = self.rng.random() < 0.8
                name = f"{SECTORS[i % len(SECTORS)]} Holding {i:06d} N.V."
                yield (i, name, fold(name),
                       f"XS{i:010d}", f"5493{i:016d}", COUNTRIES[i % len(COUNTRIES)],
                       SECTORS[i % len(SECTORS)], RATINGS[i % len(RATINGS)] if rated else None,
                       self.day(-self.rng.randrange(10, 400)) if rated else None, "", None, "",
                       None, self.day(self.rng.randrange(5, 200)) if i % 10 == 0 else None,
                       created)

        self.w.write("company", ("id", "name", "name_key", "isin", "lei", "country", "sector",
                                 "esg_rating", "rated_on", "controversies",
                                 "exclusion_category", "exclusion_reason", "excluded_on",
                                 "next_agm_on", "created_at"), rows())

    # --- initiatives, members, ladders ----------------------------------------------------------

    def initiatives_and_ladders(self) -> dict[int, list[int]]:
        """Returns each initiative's admitted, non-observer members, coordinator first."""
        n, rng = self.initiatives, self.rng
        coordinators = [rng.randrange(1, self.n.orgs + 1) for _ in range(n)]
        status = ["recruiting" if i % 10 == 0 else "closed" if i % 10 == 1 else "active"
                  for i in range(1, n + 1)]
        created = at(self.day(-1200))
        self.w.write("initiative", ("id", "title", "title_key", "theme", "description", "common_goals",
                                    "preparation", "status", "coordinator_organisation_id",
                                    "created_at"), (
            (i, f"{THEMES[i % len(THEMES)]} initiative {i:05d}",
             fold(f"{THEMES[i % len(THEMES)]} initiative {i:05d}"), THEMES[i % len(THEMES)],
             "Investors asking companies to respect human rights in their operations.",
             "Each company publishes a time-bound plan and reports on outcomes for people.",
             "Desk research and a common letter.", status[i - 1], coordinators[i - 1], created)
            for i in range(1, n + 1)))
        members: dict[int, list[int]] = {}
        rows = []
        for i in range(1, n + 1):
            others = [o for o in rng.sample(range(1, self.n.orgs + 1),
                                            min(self.n.orgs, rng.randrange(6, 12)))
                      if o != coordinators[i - 1]]
            joined = at(self.day(-1100))
            rows.append((i, coordinators[i - 1], "lead", "admitted", joined))
            members[i] = [coordinators[i - 1]]
            for j, org in enumerate(others):
                role = "co_lead" if j == 0 else "observer" if j == len(others) - 1 else "supporter"
                state = ("pending" if j == len(others) - 2 and status[i - 1] == "recruiting"
                         else "admitted")
                rows.append((i, org, role, state, joined + timedelta(days=15 * j)))
                if state == "admitted" and role != "observer":
                    members[i].append(org)
        self.w.write("initiative_member", ("id", "initiative_id", "organisation_id", "role",
                                           "status", "committed_resources", "aum_committed_eur",
                                           "conflict_of_interest", "joined_at", "admitted_at",
                                           "left_reason"), (
            (k, i, org, role, state, "One analyst, two days a month.", None, "", joined,
             joined + timedelta(days=7) if state == "admitted" else None, "")
            for k, (i, org, role, state, joined) in enumerate(rows, start=1)))
        # Ladder 1 is the template (direct engagements use it); ladder i + 1 is initiative i's.
        self.w.write("escalation_ladder", ("id", "name", "initiative_id", "is_template",
                                           "created_at"), [
            (self.ladder_base + 1, "Benchmark escalation strategy (template)", None, True,
             created)] + [
            (self.ladder_base + i + 1, f"Initiative {i:05d}: common escalation strategy", i,
             False, created)
            for i in range(1, n + 1)])
        steps = len(demo.LADDER_STEPS)
        self.w.write("ladder_step", ("id", "ladder_id", "position", "kind", "description",
                                     "wait_days"), (
            (self.step_id(ladder, pos), self.ladder_base + ladder, pos, kind, text, wait)
            for ladder in range(1, n + 2)
            for pos, (kind, wait, text) in enumerate(demo.LADDER_STEPS, start=1)))
        return members

    def step_id(self, ladder: int, position: int) -> int:
        return self.step_base + (ladder - 1) * len(demo.LADDER_STEPS) + position

    # --- engagements ----------------------------------------------------------------------------

    def plan(self, members: dict[int, list[int]]) -> list[Engagement]:
        rng, out = self.rng, []
        for e in range(1, self.n.engagements + 1):
            company = rng.randrange(1, self.n.companies + 1)
            if rng.random() < 0.7:
                initiative = rng.randrange(1, self.initiatives + 1)
                pool = members[initiative]
                lead = rng.choice(pool)
                others = [o for o in pool if o != lead][:rng.randrange(1, 5)]
                participants = [(lead, "lead")] + [
                    (o, "co_lead" if j == 0 else "supporter") for j, o in enumerate(others)]
                ladder = initiative + 1
            else:
                initiative, ladder = None, 1
                lead = rng.randrange(1, self.n.orgs + 1)
                participants = [(lead, "lead")]
                other = rng.randrange(1, self.n.orgs + 1)
                if other != lead and rng.random() < 0.3:
                    participants.append((other, "supporter"))
            active = rng.random() < 0.88
            item = Engagement(e, company, initiative, ladder, active,
                               self.day(-rng.randrange(300, 1500)), participants)
            if active:
                r = rng.random()
                item.profile = ("open_review" if r < 0.04 else "escalated" if r < 0.07
                                else "plain")
            out.append(item)
        plain = [e for e in out if e.active and e.profile == "plain"]
        chosen = rng.sample(plain, 2 * self.n.due)
        for e in chosen[:self.n.due]:
            e.profile = "due"
        for e in chosen[self.n.due:]:
            e.profile = "soon"
        return out

    def engagements(self, engagements: list[Engagement]) -> None:
        def rows():
            for e in engagements:
                theme = THEMES[(e.initiative or e.id) % len(THEMES)]
                closed = None if e.active else self.day(-self.rng.randrange(1, 250))
                status = ("active" if e.active else
                          "closed_success" if e.id % 2 else "closed_no_prospect")
                step = (ESCALATED_STEP if e.profile == "escalated" else 1) if e.active else None
                title = f"{theme}: engagement {e.id:06d}"
                yield (e.id, e.company, e.initiative, title, fold(title),
                       "collaborative" if e.initiative else "direct",
                       "reactive" if e.id % 3 else "proactive",
                       f"{theme} in the company's supply chain.", "Workers and their families",
                       1 + e.id % 5, 1 + (e.id // 5) % 5, 1 + (e.id // 25) % 5, status,
                       e.started, closed, self.ladder_base + e.ladder,
                       self.step_id(e.ladder, step) if step else None, at(e.started))

        self.w.write("engagement", (
            "id", "company_id", "initiative_id", "title", "title_key", "level", "trigger", "issue",
            "rights_holders", "severity_scale", "severity_scope", "severity_irremediability",
            "status", "started_on", "closed_on", "ladder_id", "current_step_id", "created_at"),
            rows())
        self.w.write("engagement_participant", ("id", "engagement_id", "organisation_id",
                                                "role", "joined_at"), (
            (k, e, org, role, joined) for k, (e, org, role, joined) in enumerate(
                ((e.id, org, role, at(e.started)) for e in engagements
                 for org, role in e.participants), start=1)))
        self.w.write("objective", ("id", "engagement_id", "kind", "description", "status",
                                   "reason", "created_at"), (
            (2 * e.id - j, e.id, OBJECTIVES[(e.id + j) % len(OBJECTIVES)],
             "The company ends the harm and provides remedy to the people affected.",
             "open", "", at(e.started)) for e in engagements for j in (1, 0)))
