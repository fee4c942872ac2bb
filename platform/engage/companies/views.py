"""Companies in the browser: a searchable list and one company's profile, with follow."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engage.common.forms import run_unit
from engage.common.paging import current_page
from engage.common.search import MAX_QUERY
from engage.companies import service
from engage.companies.models import Company
from engage.engagements.models import Engagement
from engage.extensions import db, htmx
from engage.initiatives.models import Initiative
from engage.security import Permission, current_user, load_or_404, requires

bp = Blueprint("companies", __name__, url_prefix="/companies")



def load_company(company_id: int) -> Company:
    return load_or_404(Company, company_id)


@bp.get("")
@requires(Permission.READ)
def index():
    page = current_page()
    query = request.args.get("q", "").strip()[:MAX_QUERY]
    stmt = service.search(query)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    companies = db.session.scalars(stmt.limit(page.size).offset(page.offset)).all()
    following = service.followed_ids(current_user.id, [c.id for c in companies])
    context = dict(companies=companies, total=total, page=page.number, pages=page.count(total),
                   q=query, following=following)
    if htmx:
        return render_template("companies/_rows.html", **context)
    return render_template("companies/index.html", **context)


@bp.get("/<int:company_id>")
@requires(Permission.READ, load=load_company)
def show(company: Company):
    return render_show(company)


def render_show(company: Company, status: int = 200, **overrides):
    """The company's profile; the votes section (and its forms) comes from the votes feature."""
    from engage.votes.views import company_votes_context

    # Tenancy: engagements this organisation may see, and its own votes only.
    engagements = db.session.execute(
        sa.select(Engagement, Initiative.title)
        .outerjoin(Initiative, Initiative.id == Engagement.initiative_id)
        .where(Engagement.company_id == company.id)
        .order_by(Engagement.started_on.desc(), Engagement.id.desc())
        .limit(200)
    ).all()
    context = company_votes_context(company)
    context.update(overrides)
    return render_template(
        "companies/show.html", engagements=engagements,
        following=service.is_following(company.id, current_user.id),
        **context,
    ), status


def _toggle(company: Company, follow: bool):
    actor = current_user._get_current_object()
    company_id = company.id
    _changed, errors = run_unit(lambda: (service.follow if follow else service.unfollow)(
        company, actor=actor))
    if errors:
        flash(" ".join(errors.values()), "error")
        return redirect(url_for(".show", company_id=company_id)), 303
    if htmx:
        return render_template("companies/_follow.html", company_id=company_id, following=follow)
    flash(_("You follow this company: you are notified of new engagements and of your "
            "organisation's votes on it.") if follow else _("You no longer follow this company."),
          "info")
    return redirect(url_for(".show", company_id=company_id)), 303


@bp.post("/<int:company_id>/follow")
@requires(Permission.WRITE, load=load_company)
def follow(company: Company):
    return _toggle(company, True)


@bp.post("/<int:company_id>/unfollow")
@requires(Permission.WRITE, load=load_company)
def unfollow(company: Company):
    return _toggle(company, False)
