"""Engagements: the list (most severe for people first) and starting one, on the blueprint
of :mod:`engage.engagements.pages` (one engagement's page and its actions are there and in
:mod:`engage.engagements.actions`)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import render_template, request, url_for

from engage import clock, render_cache
from engage.common import listing
from engage.common.answer import answer_write
from engage.common.forms import parse_int
from engage.common.paging import current_page
from engage.companies.models import Company
from engage.companies.queries import search
from engage.engagements import progress
from engage.engagements.models import Engagement
from engage.engagements.pages import bp, load_engagement, render_page, timeline_context
from engage.engagements.queries import (
    LIST_FILTERS,
    LIST_ORDERS,
    engagement_list,
    listed_where,
    next_due_on,
)
from engage.engagements.service import create_engagement
from engage.extensions import db, htmx
from engage.security import Permission, acting, current_org, requires

COMPANY_CHOICES = 50


@bp.get("")
@requires(Permission.READ)
def index():
    """Every engagement the organisation can see, most severe for people first, or as the
    visitor filtered and sorted it (the query string: engage.common.listing)."""
    from engage.initiatives.models import Initiative

    page = current_page()
    today = clock.today()
    shown = listing.read("engagements.index", request.args, LIST_FILTERS, LIST_ORDERS,
                         "priority")

    def draw(template: str) -> str:
        where = listed_where(shown, current_org.id, today)
        if where:
            total = db.session.scalar(sa.select(sa.func.count()).select_from(
                sa.select(Engagement.id).join(Company, Company.id == Engagement.company_id)
                .where(*where).subquery()))
        else:
            total = db.session.scalar(sa.select(sa.func.count()).select_from(Engagement))
        query = (engagement_list(Company.name, next_due_on().label("next_due_on"),
                                 *progress.columns(today))
                 .join(Company, Company.id == Engagement.company_id).where(*where)
                 .order_by(None).order_by(*shown.order_by(LIST_ORDERS, Engagement.id)))
        rows = db.session.execute(query.limit(page.size).offset(page.offset)).all()
        initiatives = db.session.execute(
            sa.select(Initiative.id, Initiative.title)
            .order_by(Initiative.title_key, Initiative.id)).all()
        return render_template(
            template, rows=rows, page=page.number, total=total, pages=page.count(total),
            listing=shown, today=today, initiatives=initiatives)

    return listing.answer(shown, page.number, render_cache.listed(shown, page.number, draw),
                          "engagements/index.html", "engagements/_list.html")


@bp.get("/<int:engagement_id>")
@requires(Permission.READ, load=load_engagement)
def show(engagement: Engagement):
    return render_page(engagement)


@bp.get("/<int:engagement_id>/timeline")
@requires(Permission.READ, load=load_engagement)
def timeline_view(engagement: Engagement):
    """The timeline, one page: the fragment for htmx, else the engagement page at that page."""
    if not htmx:
        return render_page(engagement)
    return render_template("engagements/_timeline.html", engagement=engagement,
                           **timeline_context(engagement))


# --- starting an engagement -------------------------------------------------------------------


def _company_choices(query: str, selected: Any = None) -> list[Company]:
    companies = list(db.session.scalars(search(query).limit(COMPANY_CHOICES)).all())
    selected_id = parse_int(selected, "company_id", {}, required=False)
    if selected_id and all(c.id != selected_id for c in companies):
        chosen = db.session.get(Company, selected_id)
        if chosen is not None:
            companies.insert(0, chosen)
    return companies


def _initiative_choices() -> list[Any]:
    """Initiatives this organisation may start an engagement in."""
    from engage.initiatives.models import Initiative, InitiativeMember, MemberStatus

    leads = (sa.select(InitiativeMember.initiative_id)
             .where(InitiativeMember.organisation_id == current_org.id,
                    InitiativeMember.status == MemberStatus.ADMITTED,
                    InitiativeMember.leads))
    return db.session.scalars(
        sa.select(Initiative)
        .where(sa.or_(Initiative.coordinator_organisation_id == current_org.id,
                      Initiative.id.in_(leads)))
        .order_by(Initiative.title)
    ).all()


FIELDS = ("company_id", "initiative_id", "level", "title", "issue", "rights_holders", "trigger",
          "severity_scale", "severity_scope", "severity_irremediability", "started_on",
          "objective_kind", "objective", "milestone_title", "milestone_due_on")


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.WRITE)
def new():
    values = {k: request.values.get(k, "") for k in FIELDS}
    values["initiative_id"] = request.values.get("initiative_id") or request.args.get("initiative", "")
    query = request.values.get("q", "")
    if request.method == "GET" and not values["started_on"]:
        values["started_on"] = clock.today().isoformat()
    if request.method == "GET" and htmx and request.headers.get("HX-Target") == "company-choices":
        return render_template("engagements/_company_options.html",
                               companies=_company_choices(query, values["company_id"]),
                               values=values)
    def form(errors: dict[str, str]) -> str:
        return render_template(
            "engagements/new.html", values=values, errors=errors, q=query,
            companies=_company_choices(query, values["company_id"]),
            initiatives=_initiative_choices(), company_limit=COMPANY_CHOICES,
        )

    if request.method == "GET":
        return form({})
    return answer_write(
        lambda: create_engagement(**acting(), data=values, require_objective=True).id, page=form, fragment=form,
        redirect_to=lambda engagement_id: url_for("engagements.show",
                                                  engagement_id=engagement_id))
