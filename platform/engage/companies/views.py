"""Companies in the browser: a searchable list and one company's profile, with follow."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, render_template, request, url_for
from flask_babel import gettext as _

from engage import clock, render_cache
from engage.common import listing
from engage.common.answer import answer_write
from engage.common.paging import current_page
from engage.companies import queries, service
from engage.companies.models import Company, EsgRating
from engage.companies.pages import draw_show
from engage.extensions import db
from engage.security import Permission, current_user, load_or_404, requires

bp = Blueprint("companies", __name__, url_prefix="/companies")


def load_company(company_id: int) -> Company:
    return load_or_404(Company, company_id)


@bp.get("")
@requires(Permission.READ)
def index():
    """The register, by name as people read it, or as the visitor filtered and sorted it
    (the query string: engage.common.listing); each company with the engagements the
    organisation sees on it, and how many of them are overdue."""
    page = current_page()
    today = clock.today()
    # The filters' choices: the whole register grouped (≈10 ms at 20,000 companies), so
    # kept with the pages until a write.
    sectors, countries = render_cache.value("companies:filters", (),
                                            queries.sectors_and_countries)
    shown = listing.read("companies.index", request.args,
                         queries.list_filters(sectors, countries), queries.LIST_ORDERS, "name")

    def draw(template: str) -> str:
        where = queries.listed_where(shown, today)
        total = db.session.scalar(sa.select(sa.func.count()).select_from(
            sa.select(Company.id).where(*where).subquery()))
        companies = db.session.scalars(
            sa.select(Company).where(*where)
            .order_by(*shown.order_by(queries.LIST_ORDERS, Company.id))
            .limit(page.size).offset(page.offset)).all()
        ids = [c.id for c in companies]
        counts = queries.engagement_counts(ids, today)
        rows = [(c, *counts.get(c.id, (0, 0))) for c in companies]
        following = queries.followed_ids(current_user.id, ids)
        return render_template(
            template, rows=rows, total=total, page=page.number, pages=page.count(total),
            listing=shown, following=following, sectors=sectors, countries=countries,
            esg_ratings=[r.value for r in EsgRating])

    return listing.answer(shown, page.number, render_cache.listed(shown, page.number, draw),
                          "companies/index.html", "companies/_rows.html")


@bp.get("/<int:company_id>")
@requires(Permission.READ, load=load_company)
def show(company: Company):
    """The profile, from the render cache (engage.render_cache.page) while nothing it shows
    has been written."""
    return render_cache.page(
        "company", (company.id, tuple(sorted(request.args.items(multi=True)))),
        "companies/show.html", lambda: draw_show(company), company=company)


def _toggle(company: Company, follow: bool):
    actor = current_user._get_current_object()
    company_id = company.id

    def page(errors: dict[str, str]) -> str:
        for text in errors.values():
            flash(text, "error")
        return draw_show(load_or_404(Company, company_id))

    return answer_write(
        lambda: (service.follow if follow else service.unfollow)(company, actor=actor),
        page=page,
        done=lambda _changed: render_template("companies/_follow.html", company_id=company_id,
                                              following=follow),
        redirect_to=lambda _changed: url_for(".show", company_id=company_id),
        message=_("You follow this company: you are notified of new engagements and of your "
                  "organisation's votes on it.") if follow else
        _("You no longer follow this company."))


@bp.post("/<int:company_id>/follow")
@requires(Permission.WRITE, load=load_company)
def follow(company: Company):
    return _toggle(company, True)


@bp.post("/<int:company_id>/unfollow")
@requires(Permission.WRITE, load=load_company)
def unfollow(company: Company):
    return _toggle(company, False)
