"""The consistency check shown before the AGM: which votes work against the engagements.

A vote is flagged, and needs the organisation's rationale once it is instructed or cast, when

- it is a vote *for* the directors or the annual report (``Vote.item_kind``) of a company
  under escalation: an active engagement the organisation sees has taken an escalation step
  (``Engagement.current_step_id`` is set when the leads' decision to escalate is carried
  out, and stays set until the engagement closes); or
- its instruction departs from what the engagement asked (``requested_instruction``).

The pages, the API (through :mod:`engage.votes.service`) and the exports all ask here, so the
page shows exactly the flags the service enforces.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from engage.common.labels import label
from engage.engagements.models import Engagement, EngagementStatus
from engage.escalations.models import LadderStep
from engage.extensions import db
from engage.votes.models import VoteInstruction, VoteItemKind

# The items a vote *for* which supports the board the coalition escalates against.
BOARD_ITEMS = (VoteItemKind.DIRECTORS, VoteItemKind.REPORT)


@dataclass(frozen=True)
class Escalation:
    """An active engagement on a company that has taken an escalation step."""

    engagement_id: int
    title: str
    step_kind: str | None  # None: the step is not readable (it always is, by visibility)


@dataclass(frozen=True)
class Flag:
    code: str  # "escalation" or "departs"
    text: str


def escalated() -> sa.ColumnElement[bool]:
    """An engagement under escalation: active, on a step of its ladder."""
    return sa.and_(Engagement.status == EngagementStatus.ACTIVE,
                   Engagement.current_step_id.is_not(None))


def escalations_on(company_ids: Iterable[int]) -> dict[int, list[Escalation]]:
    """The escalated, active engagements the organisation sees (tenancy) on each company,
    in one statement."""
    ids = sorted(set(company_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Engagement.company_id, Engagement.id, Engagement.title, LadderStep.kind)
        .outerjoin(LadderStep, LadderStep.id == Engagement.current_step_id)
        .where(Engagement.company_id.in_(ids), escalated())
        .order_by(Engagement.company_id, Engagement.id)
    ).all()
    found: dict[int, list[Escalation]] = {}
    for company_id, engagement_id, title, kind in rows:
        found.setdefault(company_id, []).append(
            Escalation(engagement_id, title, getattr(kind, "value", kind)))
    return found


def flags(instruction: VoteInstruction | None, requested: VoteInstruction | None,
          item_kind: VoteItemKind | None, escalations: list[Escalation]) -> list[Flag]:
    """Why a vote with these values works against the engagements (empty: it does not)."""
    found = []
    if instruction == VoteInstruction.FOR and item_kind in BOARD_ITEMS and escalations:
        engagements = "; ".join(
            _("“%(title)s” has reached the step “%(step)s”", title=e.title,
              step=label("step", e.step_kind)) if e.step_kind
            else _("“%(title)s” has escalated", title=e.title)
            for e in escalations)
        text = (_("A vote for the directors of a company under escalation: %(engagements)s.",
                  engagements=engagements) if item_kind == VoteItemKind.DIRECTORS else
                _("A vote for the annual report of a company under escalation: "
                  "%(engagements)s.", engagements=engagements))
        found.append(Flag("escalation", text))
    if requested is not None and instruction is not None and instruction != requested:
        found.append(Flag("departs", _(
            "Departs from the coalition’s ask: the engagement asked to vote %(asked)s.",
            asked=label("vote_instruction", requested))))
    return found


def vote_flags(vote, escalations: dict[int, list[Escalation]]) -> list[Flag]:
    return flags(vote.instruction, vote.requested_instruction, vote.item_kind,
                 escalations.get(vote.company_id, []))
