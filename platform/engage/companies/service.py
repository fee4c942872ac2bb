"""Companies: following a company (the list and profile reads are in queries.py).

Followers hear of a new engagement on the company (if their organisation can see that
engagement) and of a vote their own organisation records on it: the engagement and vote
services send :mod:`engage.signals`, and :mod:`engage.notifications.followers` tells them.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from engage.common.forms import FormError
from engage.common.writes import insert_if_absent
from engage.companies.models import Company, CompanyFollow
from engage.db import utcnow
from engage.extensions import db
from engage.tenancy import current_scope


class CompanyError(FormError):
    """Following or unfollowing cannot be done as asked; nothing was written."""


# --- following ------------------------------------------------------------------------------

def _acting_org(organisation_id: int | None) -> int:
    if organisation_id is not None:
        return organisation_id
    scope = current_scope()
    if scope is None or scope.org_id is None:
        raise CompanyError(_("Following a company needs an organisation."))
    return scope.org_id


def follow(company: Company, *, actor, organisation_id: int | None = None) -> bool:
    """The person follows the company (within their organisation). True when newly followed;
    following twice is harmless."""
    org_id = _acting_org(organisation_id)
    return insert_if_absent(CompanyFollow, {
        "organisation_id": org_id, "user_id": actor.id, "company_id": company.id,
        "created_at": utcnow(),
    }) is not None


def unfollow(company: Company, *, actor, organisation_id: int | None = None) -> bool:
    """True when the person was following the company."""
    org_id = _acting_org(organisation_id)
    row = db.session.scalar(sa.select(CompanyFollow).where(
        CompanyFollow.organisation_id == org_id, CompanyFollow.user_id == actor.id,
        CompanyFollow.company_id == company.id))
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    return True
