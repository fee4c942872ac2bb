"""The insurer's quarterly screening of its holdings (policy section 8.1 and 5.2):

    "Op kwartaalbasis worden onze beleggingen op basis van look-through gescreend. [...]
    De screening vindt plaats naar uitsluitingscriteria, ESG-ratings en UNGC-criteria"
    — and the fiduciary manager's quarterly report shows "de (eventuele) posities naar
    bedrijven waarvoor uitsluiting wordt nagestreefd [...] en de ESG-scores".

So a position is flagged when its company is on the exclusion list, or rated at the bottom
of the scale (CCC or B, Bijlage 5). Only the organisation's latest valuation date counts:
that is the portfolio as it stands after its last holdings import.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from engage.companies.models import Company, EsgRating, Holding
from engage.extensions import db

FLAGGED_RATINGS = (EsgRating.CCC, EsgRating.B)
DEFAULT_LIMIT = 20


@dataclass(frozen=True)
class Flag:
    company_id: int
    company: str
    isin: str | None
    value_eur: Decimal
    valued_on: date
    exclusion_category: str | None
    esg_rating: str | None

    @property
    def excluded(self) -> bool:
        return self.exclusion_category is not None


@dataclass(frozen=True)
class Screening:
    flags: list[Flag]
    total: int  # flagged positions in all, of which ``flags`` holds the first ``limit``
    value_eur: Decimal  # their combined value
    as_of: date | None


def flagged_holdings(organisation_id: int, limit: int = DEFAULT_LIMIT, offset: int = 0) -> Screening:
    """The organisation's flagged positions at its latest valuation date: excluded first,
    then by value. One query (the total and the sum come from window functions)."""
    latest = (
        sa.select(sa.func.max(Holding.valued_on))
        .where(Holding.organisation_id == organisation_id)
        .scalar_subquery()
    )
    flagged = sa.or_(
        Company.exclusion_category.is_not(None),
        Company.esg_rating.in_([r.value for r in FLAGGED_RATINGS]),
    )
    rows = db.session.execute(
        sa.select(
            Company.id, Company.name, Company.isin, Holding.value_eur, Holding.valued_on,
            Company.exclusion_category, Company.esg_rating,
            sa.func.count().over().label("total"),
            sa.func.sum(Holding.value_eur).over().label("total_value"),
        )
        .join(Company, Company.id == Holding.company_id)
        .where(Holding.organisation_id == organisation_id, Holding.valued_on == latest, flagged)
        .order_by(Company.exclusion_category.is_(None), Holding.value_eur.desc(), Company.name)
        .limit(limit)
        .offset(offset)
    ).all()
    flags = [
        Flag(r.id, r.name, r.isin, r.value_eur, r.valued_on,
             r.exclusion_category.value if r.exclusion_category else None,
             r.esg_rating.value if r.esg_rating else None)
        for r in rows
    ]
    total = rows[0].total if rows else 0
    value = Decimal(rows[0].total_value) if rows else Decimal(0)
    return Screening(flags=flags, total=total, value_eur=value,
                     as_of=rows[0].valued_on if rows else None)


def screening_flags() -> Screening | None:
    """The Jinja global behind ``companies/_screening.html``: the signed-in organisation's
    screening, or None when nobody is signed in."""
    from engage.security import current_org

    if not current_org:
        return None
    return flagged_holdings(current_org.id)
