"""Votes in the browser: each organisation records its own votes and sets each one's final
instruction, rationale and status in place (the row becomes a form), on the engagement page
and the company page. An htmx request gets the changed fragment back (400 with the form and
its messages on bad input); without JavaScript the browser is sent back to the page it came
from (or shown the form again with the messages)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engage.common.forms import run_unit
from engage.companies.models import Company
from engage.extensions import db, htmx
from engage.security import Permission, acting, load_or_404, requires
from engage.votes import service
from engage.votes.models import Vote, VoteStatus

bp = Blueprint("votes", __name__, url_prefix="/votes")
RECORD_FIELDS = ("company_id", "engagement_id", "agm_on", "item", "instruction", "rationale",
                 "status")


def load_vote(vote_id: int) -> Vote:
    return load_or_404(Vote, vote_id)  # tenancy: another organisation's vote is a 404



def _back_to(vote: Vote) -> str:
    """The page the row sits on: the engagement page when asked for and linked, else the
    company page."""
    back = request.values.get("back")
    if back == "engagement" and vote.engagement_id:
        return url_for("engagements.show", engagement_id=vote.engagement_id) + f"#vote-{vote.id}"
    return url_for("companies.show", company_id=vote.company_id) + f"#vote-{vote.id}"


def _back_name() -> str:
    return "engagement" if request.values.get("back") == "engagement" else "company"


def _row(vote: Vote, status: int = 200):
    return render_template("votes/_row.html", v=vote, back=_back_name(),
                           may_vote=True), status


@bp.get("/<int:vote_id>")
@requires(Permission.READ, load=load_vote)
def row(vote: Vote):
    """One vote's row (htmx: what "Cancel" puts back), else the page it sits on."""
    if not htmx:
        return redirect(_back_to(vote), 303)
    return _row(vote)


def _edit_form(vote: Vote, status: int = 200, errors=None, values=None):
    template = "votes/_form.html" if htmx else "votes/edit.html"
    return render_template(template, v=vote, errors=errors or {}, values=values or {},
                           back=_back_name(), back_url=_back_to(vote)), status


@bp.get("/<int:vote_id>/edit")
@requires(Permission.WRITE, load=load_vote)
def edit(vote: Vote):
    if not service.may_change(vote):
        return _edit_form(vote, 400, {"": _("This vote has been cast: it is final and cannot "
                                            "change.")})
    return _edit_form(vote)


@bp.post("/<int:vote_id>")
@requires(Permission.WRITE, load=load_vote)
def update(vote: Vote):
    form = request.form
    changes = {k: form.get(k, "") for k in ("instruction", "rationale", "status") if k in form}
    vote_id = vote.id
    _done, errors = run_unit(lambda: service.update_vote(vote, **acting(), **changes))
    vote = load_or_404(Vote, vote_id)
    if errors:
        return _edit_form(vote, 400, errors, form.to_dict())
    if htmx:
        return _row(vote)
    flash(_("Vote cast and recorded.") if vote.status == VoteStatus.CAST else _("Vote saved."),
          "info")
    return redirect(_back_to(vote), 303)


# --- recording a vote on the company page ---------------------------------------------------


def company_votes_context(company: Company) -> dict[str, Any]:
    """The company page's votes section: the organisation's own votes (tenancy) and the
    engagements on the company it may link a vote to. A fixed number of queries."""
    from engage.engagements.models import Engagement

    votes = db.session.scalars(
        sa.select(Vote).where(Vote.company_id == company.id)
        .order_by(Vote.agm_on.desc(), Vote.id).limit(200)
    ).all()
    vote_engagements = db.session.execute(
        sa.select(Engagement.id, Engagement.title).where(Engagement.company_id == company.id)
        .order_by(Engagement.started_on.desc(), Engagement.id.desc()).limit(200)
    ).all()
    return {"company": company, "votes": votes, "vote_engagements": vote_engagements,
            "vote_errors": {}, "vote_values": {}}


@bp.post("")
@requires(Permission.WRITE)
def record():
    form = request.form
    data = {k: form.get(k, "") for k in RECORD_FIELDS}
    company = db.session.get(Company, _int(data["company_id"])) if _int(data["company_id"]) else None
    if company is None:
        abort(400, description=_("Choose a company from the list."))
    vote, errors = run_unit(lambda: service.record_vote(**acting(), **data))
    company = load_or_404(Company, company.id)
    if errors:
        context = company_votes_context(company)
        context.update(vote_errors=errors, vote_values=form.to_dict())
        if htmx:
            return render_template("votes/_company_votes.html", **context), 400
        from engage.companies.views import render_show

        return render_show(company, 400, vote_errors=errors, vote_values=form.to_dict())
    if htmx:
        return render_template("votes/_company_votes.html", saved=vote,
                               **company_votes_context(company))
    flash(_("Vote recorded."), "info")
    return redirect(url_for("companies.show", company_id=company.id) + f"#vote-{vote.id}", 303)


def _int(value: str) -> int | None:
    value = (value or "").strip()
    if not value.isdigit() or len(value) > 10 or int(value) > service.ID_MAX:
        return None
    return int(value)
