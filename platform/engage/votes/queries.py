"""Reads of votes that pages share: the votes section of a company's page."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from engage.engagements.models import Engagement
from engage.extensions import db
from engage.votes.models import Vote

SHOWN = 200  # votes and engagements a company page lists at most


def company_votes(company: Any, **overrides: Any) -> dict[str, Any]:
    """The company page's votes section: the organisation's own votes on the company
    (tenancy) and the engagements on it a vote may be linked to. Two statements."""
    votes = db.session.scalars(
        sa.select(Vote).where(Vote.company_id == company.id)
        .order_by(Vote.agm_on.desc(), Vote.id).limit(SHOWN)
    ).all()
    vote_engagements = db.session.execute(
        sa.select(Engagement.id, Engagement.title).where(Engagement.company_id == company.id)
        .order_by(Engagement.started_on.desc(), Engagement.id.desc()).limit(SHOWN)
    ).all()
    context = {"company": company, "votes": votes, "vote_engagements": vote_engagements,
               "vote_errors": {}, "vote_values": {}}
    context.update(overrides)
    return context
