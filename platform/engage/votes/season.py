"""The votes and AGM season page and its exports: the filters in the query string, the
organisation's votes in a period, their counts, and the AGMs of the companies it holds or
engages.

Every statement reads through the tenancy filter: the votes and holdings are the
organisation's own, the engagements those it sees; "engages" is narrowed further to the
engagements it takes part in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from engage.common.forms import FormError
from engage.companies.models import Company, Holding
from engage.engagements.models import Engagement, EngagementParticipant
from engage.extensions import db
from engage.votes import consistency
from engage.votes.models import Vote, VoteInstruction, VoteStatus

PERIODS = ("upcoming", "30", "90", "season", "past", "all")
STATUSES = ("", *(s.value for s in VoteStatus))
AGMS_SHOWN = 50  # AGMs the page lists at most
EXPORT_MAX = 10_000  # votes an export holds at most (an organisation has far fewer)
# Most European companies with a calendar financial year hold their AGM by the end of June
# (engage.escalations.actions.next_agm): the season runs from 1 January to 30 June.
SEASON_END = (6, 30)


class FilterError(FormError):
    """A filter in the query string is not one of the choices (a 400)."""


@dataclass(frozen=True)
class Filters:
    status: str = ""
    period: str = "upcoming"
    flagged: bool = False

    @classmethod
    def from_args(cls, args: Any) -> Filters:
        """The filters of ``?status=&period=&flagged=1``; a value that is not one of the
        choices is refused (:class:`FilterError`), so a link never shows another list
        than it says."""
        errors = {}
        status = args.get("status", "")
        period = args.get("period", "") or "upcoming"
        flagged = args.get("flagged", "")
        if status not in STATUSES:
            errors["status"] = _("“%(value)s” is not one of the options.", value=status[:50])
        if period not in PERIODS:
            errors["period"] = _("“%(value)s” is not one of the options.", value=period[:50])
        if flagged not in ("", "1"):
            errors["flagged"] = _("“%(value)s” is not one of the options.", value=flagged[:50])
        if errors:
            raise FilterError(errors)
        return cls(status=status, period=period, flagged=flagged == "1")

    def as_args(self) -> dict[str, str]:
        args = {"status": self.status, "period": self.period if self.period != "upcoming" else "",
                "flagged": "1" if self.flagged else ""}
        return {k: v for k, v in args.items() if v}


def season_of(today: date) -> tuple[date, date]:
    """This AGM season: until its end, this year's; after it, next year's."""
    year = today.year if today <= date(today.year, *SEASON_END) else today.year + 1
    return date(year, 1, 1), date(year, *SEASON_END)


def period_range(period: str, today: date) -> tuple[date | None, date | None]:
    """The first and last AGM day of a period (``None``: open)."""
    if period == "upcoming":
        return today, None
    if period in ("30", "90"):
        return today, today + timedelta(days=int(period))
    if period == "season":
        return season_of(today)
    if period == "past":
        return None, today - timedelta(days=1)
    return None, None


def period_label(period: str, today: date) -> str:
    """The period in words, with its dates."""
    start, end = period_range(period, today)
    if period == "upcoming":
        return _("From %(start)s on", start=format_date(start))
    if period == "past":
        return _("Before %(end)s", end=format_date(today))
    if period == "all":
        return _("All dates")
    if period == "season":
        return _("AGM season %(year)s: %(start)s to %(end)s", year=end.year,
                 start=format_date(start), end=format_date(end))
    return _("%(start)s to %(end)s", start=format_date(start), end=format_date(end))


def _in_period(column: Any, start: date | None, end: date | None) -> list[Any]:
    where = []
    if start is not None:
        where.append(column >= start)
    if end is not None:
        where.append(column <= end)
    return where


def escalated_company_ids() -> sa.Select:
    """Companies with an active, escalated engagement the organisation sees (the same rule
    as :func:`engage.votes.consistency.escalations_on`, as a subquery)."""
    return sa.select(Engagement.company_id).where(consistency.escalated())


def flagged_clause() -> sa.ColumnElement[bool]:
    """:func:`engage.votes.consistency.flags` in SQL: for counting and filtering."""
    departs = sa.and_(Vote.requested_instruction.is_not(None),
                      Vote.instruction != Vote.requested_instruction)
    for_the_board = sa.and_(Vote.instruction == VoteInstruction.FOR,
                            Vote.item_kind.in_(consistency.BOARD_ITEMS),
                            Vote.company_id.in_(escalated_company_ids()))
    return sa.or_(departs, for_the_board)


def _votes(filters: Filters, today: date) -> sa.Select:
    start, end = period_range(filters.period, today)
    stmt = sa.select(Vote).where(*_in_period(Vote.agm_on, start, end))
    if filters.status:
        stmt = stmt.where(Vote.status == VoteStatus(filters.status))
    if filters.flagged:
        stmt = stmt.where(flagged_clause())
    order = (Vote.agm_on.desc(),) if filters.period == "past" else (Vote.agm_on,)
    return stmt.order_by(*order, Vote.company_id, Vote.id)


def vote_page(filters: Filters, today: date, *, offset: int, limit: int) -> list[Vote]:
    """One page of the organisation's votes as filtered, with their companies: one
    statement."""
    return list(db.session.scalars(
        _votes(filters, today).options(joinedload(Vote.company)).offset(offset).limit(limit)))


def all_votes(filters: Filters, today: date) -> list[Vote]:
    """Every vote as filtered (for the exports), with their companies."""
    return list(db.session.scalars(
        _votes(filters, today).options(joinedload(Vote.company)).limit(EXPORT_MAX)))


@dataclass(frozen=True)
class Counts:
    by_status: dict[str, int]
    flagged: int
    flagged_by_status: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    def matching(self, filters: Filters) -> int:
        """How many votes the filters select (for the pages of the list)."""
        source = self.flagged_by_status if filters.flagged else self.by_status
        return source.get(filters.status, 0) if filters.status else sum(source.values())


def counts(filters: Filters, today: date) -> Counts:
    """The organisation's votes in the period by status, and how many are flagged: one
    statement."""
    start, end = period_range(filters.period, today)
    flagged = sa.func.sum(sa.case((flagged_clause(), 1), else_=0))
    rows = db.session.execute(
        sa.select(Vote.status, sa.func.count(), flagged)
        .where(*_in_period(Vote.agm_on, start, end)).group_by(Vote.status)).all()
    by_status = {s.value: 0 for s in VoteStatus}
    flagged_by_status = dict(by_status)
    for status, number, flagged_number in rows:
        key = getattr(status, "value", status)
        by_status[key] = number
        flagged_by_status[key] = int(flagged_number or 0)
    return Counts(by_status, sum(flagged_by_status.values()), flagged_by_status)


@dataclass(frozen=True)
class Agm:
    company: Company
    agm_on: date
    held: bool
    engaged: bool
    votes: int


def agms(organisation_id: int, filters: Filters, today: date) -> tuple[list[Agm], bool]:
    """The AGMs in the period that concern the organisation: the next AGM
    (``Company.next_agm_on``) of each company it holds or takes part in an engagement with,
    and every AGM it has a vote for (an escalation may propose a vote for an AGM whose date
    the company record does not carry) — each with the organisation's votes on it; one
    statement. Also whether more AGMs than shown fall in the period."""
    start, end = period_range(filters.period, today)
    held = sa.select(Holding.company_id).where(Holding.organisation_id == organisation_id)
    engaged = (sa.select(Engagement.company_id)
               .join(EngagementParticipant,
                     EngagementParticipant.engagement_id == Engagement.id)
               .where(EngagementParticipant.organisation_id == organisation_id))
    pairs = sa.union(
        sa.select(Company.id.label("company_id"), Company.next_agm_on.label("agm_on"))
        .where(Company.next_agm_on.is_not(None),
               *_in_period(Company.next_agm_on, start, end),
               sa.or_(Company.id.in_(held), Company.id.in_(engaged))),
        sa.select(Vote.company_id.label("company_id"), Vote.agm_on.label("agm_on"))
        .where(Vote.organisation_id == organisation_id, *_in_period(Vote.agm_on, start, end)),
    ).subquery("agm")
    own_votes = (sa.select(sa.func.count(Vote.id))
                 .where(Vote.organisation_id == organisation_id,
                        Vote.company_id == pairs.c.company_id, Vote.agm_on == pairs.c.agm_on)
                 .correlate(pairs).scalar_subquery())
    rows = db.session.execute(
        sa.select(Company, pairs.c.agm_on, Company.id.in_(held), Company.id.in_(engaged),
                  own_votes)
        .join(pairs, pairs.c.company_id == Company.id)
        .order_by(pairs.c.agm_on.desc() if filters.period == "past" else pairs.c.agm_on,
                  Company.name, Company.id)
        .limit(AGMS_SHOWN + 1)).all()
    found = [Agm(company, agm_on, bool(is_held), bool(is_engaged), number or 0)
             for company, agm_on, is_held, is_engaged, number in rows]
    return found[:AGMS_SHOWN], len(found) > AGMS_SHOWN
