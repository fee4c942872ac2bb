"""A company's page as the companies and votes views draw it (the votes section and its
form come from :mod:`engage.votes.queries`), so neither feature's views import the other's."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import render_template

from engage.companies import queries
from engage.companies.models import Company
from engage.engagements.models import Engagement
from engage.extensions import db
from engage.initiatives.models import Initiative
from engage.security import current_user
from engage.votes.queries import company_votes


def draw_show(company: Company, **overrides: Any) -> str:
    """The company's profile, e.g. again with the vote form's messages (``vote_errors``,
    ``vote_values``)."""
    # Tenancy: engagements this organisation may see, and its own votes only.
    engagements = db.session.execute(
        sa.select(Engagement, Initiative.title)
        .outerjoin(Initiative, Initiative.id == Engagement.initiative_id)
        .where(Engagement.company_id == company.id)
        .order_by(Engagement.started_on.desc(), Engagement.id.desc())
        .limit(200)
    ).all()
    return render_template(
        "companies/show.html", engagements=engagements,
        following=queries.is_following(company.id, current_user.id),
        **company_votes(company, **overrides),
    )
