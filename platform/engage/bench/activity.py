"""What happens in the benchmark world's engagements: milestones met, due and overdue,
reviews and the decisions on them, letters, tasks, votes, notes and the dialogue log."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engage.bench.bulk import BulkWriter
    from engage.bench.data import Sizes

ESCALATED_STEP = 2  # meeting_with_board: escalated engagements stand there, with a task
DIALOGUE_KINDS = ("meeting", "call", "letter", "email", "agm_question", "site_visit",
                  "stakeholder_consultation")


def at(day: date, hour: int = 10) -> datetime:
    """Naive UTC, as the UTCDateTime columns store it."""
    return datetime(day.year, day.month, day.day, hour)


@dataclass
class Engagement:
    id: int
    company: int
    initiative: int | None
    ladder: int
    active: bool
    started: date
    participants: list[tuple[int, str]]  # (organisation id, role); the lead first
    # plain | open_review (an overdue milestone under review) | escalated (a decided
    # review, its letter, task and vote) | due (overdue, no review yet) | soon (a
    # milestone inside the reminder window, not yet reminded)
    profile: str = "plain"

    @property
    def lead(self) -> int:
        return self.participants[0][0]


class Activity:
    """Mixed into the world builder (:class:`engage.bench.data._World`)."""

    w: BulkWriter
    n: Sizes
    rng: random.Random
    today: date
    now: datetime
    window: int

    def day(self, offset: int) -> date: ...
    def user_of(self, org: int, nth: int = 1) -> int: ...
    def step_id(self, ladder: int, position: int) -> int: ...

    def milestones_and_escalations(self, engagements: list[Engagement]) -> None:
        rng = self.rng
        milestones, reviews, decisions, tasks, letters, signatures, votes, notes = (
            [], [], [], [], [], [], [], [])
        for e in engagements:
            base = 3 * e.id - 2
            first_due = e.started + timedelta(days=rng.randrange(60, 200))
            m = [(base, first_due, first_due - timedelta(days=rng.randrange(0, 15)))]
            if not e.active:
                m.append((base + 1, first_due + timedelta(days=30), first_due + timedelta(days=20)))
                m.append((base + 2, first_due + timedelta(days=90), None))
            else:
                beyond = self.day(self.window + rng.randrange(16, 540))
                m1 = {"due": self.day(-rng.randrange(1, 60)),
                      "open_review": self.day(-rng.randrange(5, 90)),
                      "escalated": self.day(-rng.randrange(10, 40))}.get(e.profile, beyond)
                m2 = (self.day(rng.randrange(1, self.window + 1))
                      if e.profile == "soon" and self.window else self.day(
                          self.window + rng.randrange(16, 540)))
                if e.profile == "escalated" and e.id % 2:
                    m2 = self.day(-3)  # overdue again after the escalation: a new review
                m += [(base + 1, m1, None), (base + 2, m2, None)]
            for k, (mid, due, met) in enumerate(m):
                milestones.append((mid, e.id, 2 * e.id - (1 if k == 0 else 0), due, met, k))
            if e.profile == "open_review":
                reviews.append((e.id, base + 1, m1, at(m1 + timedelta(days=1), 6), "open"))
            elif e.profile == "escalated":
                opened = at(m1 + timedelta(days=1), 6)
                reviews.append((e.id, base + 1, m1, opened, "decided"))
                decided = opened + timedelta(days=2)
                did = len(decisions) + 1
                lead_user = self.user_of(e.lead)
                decisions.append((did, e.id, len(reviews), self.step_id(e.ladder, ESCALATED_STEP),
                                  lead_user, e.lead, decided))
                tasks.append((len(tasks) + 1, e.id, did, e.lead, lead_user,
                              self.day(rng.randrange(3, 40)), decided))
                lid = len(letters) + 1
                letters.append((lid, e.id, did, lead_user, decided))
                for org, _role in e.participants[:3]:
                    signatures.append((len(signatures) + 1, lid, org, self.user_of(org),
                                       decided + timedelta(days=1)))
                votes.append((len(votes) + 1, e.lead, e.company, e.id, did,
                              self.day(20 + e.id % 60), decided))
                notes.append((len(notes) + 1, e.lead, e.id, lead_user, decided))
                if e.id % 2:
                    reviews.append((e.id, base + 2, m2, at(self.day(-2), 6), "open"))
        self._milestones(milestones)
        self.w.write("escalation_review", (
            "id", "engagement_id", "milestone_id", "ladder_step_id", "deadline_version",
            "trigger_key", "reason", "due_at", "opened_at", "status"), (
            (i, e, mid, None, 1, f"milestone:{mid}:v1", "milestone_overdue", at(due, 0),
             opened, status)
            for i, (e, mid, due, opened, status) in enumerate(reviews, start=1)))
        self.w.write("decision", (
            "id", "engagement_id", "review_id", "kind", "ladder_step_id", "new_due_on",
            "close_outcome", "reason", "decided_by_id", "decided_by_organisation_id",
            "decided_at", "apply_status", "apply_error", "flow_run_id", "applied_at",
            "apply_attempts", "apply_claimed_at"), (
            (d, e, r, "escalate", step, None, None,
             "No credible plan after the deadline: ask the board for a meeting.", user, org,
             decided, "done", "", None, decided + timedelta(hours=1), 1, decided)
            for d, e, r, step, user, org, decided in decisions))
        self.w.write("escalation_task", (
            "id", "engagement_id", "decision_id", "kind", "title", "description",
            "owner_organisation_id", "owner_user_id", "due_on", "status", "done_at",
            "created_at"), (
            (t, e, d, "meeting_with_board", "Request a meeting with the chair", "", org, user,
             due, "open", None, created)
            for t, e, d, org, user, due, created in tasks))
        self.w.write("letter", (
            "id", "engagement_id", "decision_id", "kind", "title", "body_html", "status",
            "created_by_id", "sent_on", "pdf", "created_at"), (
            (lid, e, d, "letter_to_board", "Letter to the chair of the board",
             "<p>We ask the board to publish a time-bound plan.</p>", "open_for_signing", user,
             None, None, created)
            for lid, e, d, user, created in letters))
        self.w.write("signature", ("id", "letter_id", "organisation_id", "signed_by_id",
                                   "signed_at"), signatures)
        self.w.write("vote", (
            "id", "organisation_id", "company_id", "engagement_id", "decision_id", "agm_on",
            "item", "item_kind", "instruction", "requested_instruction", "status", "rationale",
            "created_at"), (
            (v, org, company, e, d, agm, f"Re-elect the chair (engagement {e})", "directors",
             "against", "against", "proposed", "", created)
            for v, org, company, e, d, agm, created in votes))
        self.w.write("note", ("id", "organisation_id", "engagement_id", "author_id", "body",
                              "created_at"), (
            (k, org, e, user, "Ask about the remedy fund at the meeting.", created)
            for k, org, e, user, created in notes))

    def _milestones(self, milestones: list[tuple]) -> None:
        titles = ("Public commitment to the policy", "Time-bound action plan published",
                  "Outcome for people verified")
        self.w.write("milestone", (
            "id", "engagement_id", "objective_id", "title", "horizon", "due_on", "stage",
            "met_on", "evidence", "outcome_for_people", "deadline_version", "cancel_reason",
            "created_at"), (
            (mid, e, objective, titles[k], ("short", "mid", "long")[k], due,
             2 + k if met else k, met, "Published on the company's website." if met else "",
             "", 1, "", at(due - timedelta(days=120)))
            for mid, e, objective, due, met, k in milestones))

    def dialogue(self, engagements: list[Engagement]) -> None:
        rng, total = self.rng, self.n.dialogue
        per, extra = divmod(total, len(engagements))

        def rows():
            entry = 0
            for e in engagements:
                span = max(1, (self.today - e.started).days)
                names = "; ".join(f"Investor {org:05d} ({role})" for org, role in e.participants)
                for _ in range(per + (1 if e.id <= extra else 0)):
                    entry += 1
                    org = e.lead if rng.random() < 0.6 else rng.choice(e.participants)[0]
                    occurred = e.started + timedelta(days=rng.randrange(span))
                    yield (entry, e.id, org, self.user_of(org),
                           DIALOGUE_KINDS[entry % len(DIALOGUE_KINDS)], occurred, names,
                           f"Discussed the company's progress on engagement {e.id}.",
                           "The company will report back within a month.",
                           "private" if rng.random() < 0.15 else "coalition", "",
                           at(occurred))

        self.w.write("dialogue_entry", (
            "id", "engagement_id", "organisation_id", "author_id", "kind", "occurred_on",
            "participants", "summary", "outcome", "visibility", "follow_up", "created_at"),
            rows())

    def holdings(self) -> None:
        valued_on = date(self.today.year, 1, 1) - timedelta(days=1)
        per_org = min(5, self.n.companies)

        def rows():
            k = 0
            for org in range(1, self.n.orgs + 1):
                for company in self.rng.sample(range(1, self.n.companies + 1), per_org):
                    k += 1
                    yield (k, org, company, Decimal(self.rng.randrange(1, 50_000)) * 1000,
                           valued_on, at(valued_on))

        self.w.write("holding", ("id", "organisation_id", "company_id", "value_eur",
                                 "valued_on", "created_at"), rows())
