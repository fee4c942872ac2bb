"""Companies: following a company (the list and profile reads are in queries.py).

Followers hear of a new engagement on the company (if their organisation can see that
engagement) and of a vote their own organisation records on it: the engagement and vote
services send :mod:`engage.signals`, and :mod:`engage.notifications.followers` tells them.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from engage.common.forms import FormError
from engage.common.writes import insert_if_absent
from engage.companies import csvfile
from engage.companies.csvfile import CellError
from engage.companies.models import Company, CompanyFollow
from engage.db import utcnow
from engage.extensions import db
from engage.tenancy import current_scope


class CompanyError(FormError):
    """Following, unfollowing or a change to the register cannot be done as asked; nothing
    was written."""


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


# --- the register: one company at a time -------------------------------------------------------

REGISTER_FIELDS = ("name", "isin", "lei", "country", "sector", "next_agm_on")


def save_company(company: Company | None, data: dict[str, Any]) -> Company:
    """Add a company to the shared register (``company`` None) or correct one, with the same
    checks as a line of the companies import (:mod:`engage.companies.imports`): ISIN and LEI
    check digits, an ISO country, and no identifier another company already has. ``data``
    holds the fields to set (of :data:`REGISTER_FIELDS`); the caller checks that the acting
    organisation keeps the register, and commits. The flush audits the change."""
    values = {key: getattr(company, key) for key in REGISTER_FIELDS} if company else {}
    values.update({key: data[key] for key in REGISTER_FIELDS if key in data})
    errors: dict[str, str] = {}
    name = (values.get("name") or "").strip()
    if not name:
        errors["name"] = _("This cannot be empty.")
    elif len(name) > 200:
        errors["name"] = _("At most %(num)d characters (%(given)d given).", num=200,
                           given=len(name))
    checked: dict[str, Any] = {"name": name}
    for key, check in (("isin", csvfile.isin), ("lei", csvfile.lei),
                       ("country", csvfile.country)):
        value = values.get(key)
        try:
            checked[key] = check(value) if value else None
        except CellError as exc:
            errors[key] = str(exc)
    sector = (values.get("sector") or "").strip() or None
    if sector and len(sector) > 100:
        errors["sector"] = _("At most %(num)d characters (%(given)d given).", num=100,
                             given=len(sector))
    checked["sector"] = sector
    checked["next_agm_on"] = values.get("next_agm_on")
    for key, label in (("isin", "ISIN"), ("lei", "LEI")):
        code = checked.get(key)
        if key in errors or not code:
            continue
        column = getattr(Company, key)
        other = db.session.scalar(sa.select(Company.id).where(column == code))
        if other is not None and (company is None or other != company.id):
            errors[key] = _("Another company in the register has %(kind)s %(code)s.",
                            kind=label, code=code)
    if errors:
        raise CompanyError(errors)
    if company is None:
        company = Company(controversies="", exclusion_reason="")
        db.session.add(company)
    for key, value in checked.items():
        setattr(company, key, value)
    db.session.flush()
    return company
