"""A co-filed shareholder resolution: its filing deadline and whether its co-filers hold
enough of the company to file it.

- The text and the co-filers are the resolution document's (a :class:`Letter` of kind
  ``resolution``): each co-filer signs it as it would sign a letter.
- The filing deadline is ``filing_days`` before the AGM the resolution is filed for (by
  default :data:`FILING_DAYS`, the Dutch rule for placing an item on the agenda: the request
  reaches the company no later than the sixtieth day before the meeting, art. 2:114a BW).
  The AGM is the first one whose filing deadline has not passed when the resolution is
  drafted (the company's announced date, otherwise the next 30 June far enough away, as
  :func:`engage.escalations.actions.next_agm` reckons it). The leads correct both.
- The threshold is an amount in euro that the initiative's coordinator (a lead, in a direct
  engagement) sets: the co-filers' combined holdings must be worth at least that much.
  Holdings record a value in euro on a date (``Holding.value_eur``); they record neither a
  number of shares nor the company's share capital, so a legal threshold stated as a share
  of the capital is entered by the coordinator as the value in euro it corresponds to.

Holdings are private to each organisation. :func:`support` is the one place that reads
other organisations' holdings, and it returns only what every co-filer may see: whether the
threshold is met and, once at least :data:`MIN_HOLDERS_FOR_TOTAL` co-filers hold shares,
the combined total (with fewer, the total less one's own would be the other's position).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from engage.clock import local_date
from engage.common.forms import parse_date, parse_int
from engage.engagements.models import Engagement, Letter, LetterKind
from engage.engagements.service import (
    EngagementError,
    _check_actor,
    _require_lead,
    participant_role,
    refuse_if_sent,
)
from engage.escalations.models import Resolution
from engage.extensions import db
from engage.organisations.models import User
from engage.tenancy import database_system_scope

FILING_DAYS = 60
FILING_DAYS_MAX = 365
MIN_HOLDERS_FOR_TOTAL = 3

_HOLDING = sa.table("holding", sa.column("organisation_id"), sa.column("company_id"),
                    sa.column("value_eur", sa.Numeric(20, 2)), sa.column("valued_on", sa.Date))
# Plain tables: the statement below runs past the tenancy filter (and row-level security),
# on the letters of resolutions the caller sees.
_SIGNATURE = sa.table("signature", sa.column("letter_id"), sa.column("organisation_id"))
_LETTER = sa.table("letter", sa.column("id"), sa.column("engagement_id"))
_ENGAGEMENT = sa.table("engagement", sa.column("id"), sa.column("company_id"))


def first_agm(company_next_agm_on: date | None, today: date, filing_days: int = FILING_DAYS) -> date:
    """The first AGM whose filing deadline (``filing_days`` before it) is today or later."""
    from engage.escalations.actions import next_agm

    return next_agm(company_next_agm_on, today + timedelta(days=filing_days))


def of_letter(letter_id: int) -> Resolution | None:
    return db.session.scalar(sa.select(Resolution).where(Resolution.letter_id == letter_id))


@dataclass(frozen=True)
class Support:
    """What every co-filer sees of the co-filers' holdings: an aggregate, never a position."""

    co_filers: int
    threshold_eur: Decimal | None
    met: bool | None  # None while no threshold is set
    total_eur: Decimal | None  # None unless MIN_HOLDERS_FOR_TOTAL co-filers hold shares


def support(resolution: Resolution, today: date) -> Support:
    return supports([resolution], today)[resolution.id]


def supports(resolutions: Iterable[Resolution], today: date) -> dict[int, Support]:
    """:class:`Support` of each resolution, in one statement whatever their number: the
    co-filers and their holdings in the company (each one's latest valuation on or before
    ``today``), counted and summed per resolution. ``resolutions`` are rows the caller
    loaded, so the tenancy filter has let them through."""
    resolutions = list(resolutions)
    if not resolutions:
        return {}
    letter_ids = [r.letter_id for r in resolutions]
    latest = (sa.select(_HOLDING.c.organisation_id, _HOLDING.c.company_id,
                        sa.func.max(_HOLDING.c.valued_on).label("valued_on"))
              .where(_HOLDING.c.valued_on <= today)
              .group_by(_HOLDING.c.organisation_id, _HOLDING.c.company_id).subquery())
    statement = (
        sa.select(_SIGNATURE.c.letter_id, sa.func.count(_SIGNATURE.c.organisation_id),
                  sa.func.sum(_HOLDING.c.value_eur), sa.func.count(_HOLDING.c.organisation_id))
        .select_from(_SIGNATURE)
        .join(_LETTER, _LETTER.c.id == _SIGNATURE.c.letter_id)
        .join(_ENGAGEMENT, _ENGAGEMENT.c.id == _LETTER.c.engagement_id)
        .outerjoin(latest, sa.and_(latest.c.organisation_id == _SIGNATURE.c.organisation_id,
                                   latest.c.company_id == _ENGAGEMENT.c.company_id))
        .outerjoin(_HOLDING, sa.and_(_HOLDING.c.organisation_id == latest.c.organisation_id,
                                     _HOLDING.c.company_id == latest.c.company_id,
                                     _HOLDING.c.valued_on == latest.c.valued_on))
        .where(_SIGNATURE.c.letter_id.in_(letter_ids))
        .group_by(_SIGNATURE.c.letter_id))
    # Holdings are private (row-level security on PostgreSQL): the sums are read past it,
    # and only the sums leave this function.
    with database_system_scope("combined holdings of a resolution's co-filers"):
        rows = {row[0]: (row[1], Decimal(row[2] or 0), row[3])
                for row in db.session.execute(statement).all()}
    result = {}
    for r in resolutions:
        co_filers, total, holders = rows.get(r.letter_id, (0, Decimal(0), 0))
        threshold = r.threshold_eur
        result[r.id] = Support(
            co_filers=co_filers, threshold_eur=threshold,
            met=None if threshold is None else (holders > 0 and total >= threshold),
            total_eur=total if holders >= MIN_HOLDERS_FOR_TOTAL else None)
    return result


# --- changing the terms ------------------------------------------------------------------------


def may_set_threshold(resolution: Resolution, organisation_id: int) -> bool:
    """The initiative's coordinator sets the threshold; in a direct engagement, a lead."""
    engagement = db.session.get(Engagement, resolution.engagement_id)
    if engagement is None:
        return False
    if engagement.initiative_id is not None:
        from engage.initiatives.models import Initiative

        return db.session.scalar(
            sa.select(Initiative.coordinator_organisation_id)
            .where(Initiative.id == engagement.initiative_id)) == organisation_id
    from engage.engagements.models import EngagementParticipant

    return participant_role(engagement.id, organisation_id) in EngagementParticipant.LEAD_ROLES


def _refuse_if_filed(resolution: Resolution) -> Letter:
    letter = db.session.get(Letter, resolution.letter_id)
    if letter is None or letter.kind is not LetterKind.RESOLUTION:
        raise EngagementError(_("This is not a resolution."))
    refuse_if_sent(letter)
    return letter


def set_threshold(resolution: Resolution, *, actor: User, organisation_id: int, now: datetime,
                  threshold_eur: Any) -> Resolution:
    """Set (or clear, with an empty value) the threshold in euro; by the coordinator, until
    the resolution is filed."""
    from engage.initiatives.service import InitiativeError, parse_aum

    _check_actor(actor, organisation_id)
    if not may_set_threshold(resolution, organisation_id):
        raise EngagementError(_("Only the initiative's coordinator (a lead, in a direct "
                                "engagement) sets the threshold."))
    _refuse_if_filed(resolution)
    try:
        amount = parse_aum(threshold_eur)
    except InitiativeError as exc:
        raise EngagementError({"threshold_eur": next(iter(exc.errors.values()))}) from None
    resolution.threshold_eur = amount
    resolution.threshold_set_by_id = actor.id if amount is not None else None
    resolution.threshold_set_at = now if amount is not None else None
    db.session.flush()
    return resolution


def set_filing(resolution: Resolution, *, actor: User, organisation_id: int, now: datetime,
               agm_on: Any = None, filing_days: Any = None) -> Resolution:
    """Correct the AGM date and the days before it by which the resolution is filed (by a
    lead or co-lead, until it is filed). The AGM is after today."""
    _check_actor(actor, organisation_id)
    _require_lead(resolution.engagement_id, organisation_id)
    _refuse_if_filed(resolution)
    errors: dict[str, str] = {}
    today = local_date(now)
    day = parse_date(agm_on, "agm_on", errors) if agm_on not in (None, "") else resolution.agm_on
    if day and day <= today:
        errors["agm_on"] = _("The AGM must be after today.")
    days = (parse_int(filing_days, "filing_days", errors, low=0, high=FILING_DAYS_MAX)
            if filing_days not in (None, "") else resolution.filing_days)
    if errors:
        raise EngagementError(errors)
    resolution.agm_on = day
    resolution.filing_days = days
    db.session.flush()
    return resolution
