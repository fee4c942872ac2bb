"""Votes in the browser: each organisation records its own votes and sets each one's final
instruction, rationale and status in place (the row becomes a form), on the engagement page
and the company page. An htmx request gets the changed fragment back (400 with the form and
its messages on bad input); without JavaScript the browser is sent back to the page it came
from (or shown the form again with the messages)."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engage.common.answer import answer_write
from engage.common.forms import parse_int
from engage.companies.models import Company
from engage.companies.pages import draw_show
from engage.extensions import db, htmx
from engage.security import Permission, acting, load_or_404, requires
from engage.votes import service
from engage.votes.models import Vote, VoteStatus
from engage.votes.queries import company_votes

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


def _row(vote: Vote) -> str:
    return render_template("votes/_row.html", v=vote, back=_back_name(), may_vote=True)


@bp.get("/<int:vote_id>")
@requires(Permission.READ, load=load_vote)
def row(vote: Vote):
    """One vote's row (htmx: what "Cancel" puts back), else the page it sits on."""
    if not htmx:
        return redirect(_back_to(vote), 303)
    return _row(vote)


def _edit_form(vote: Vote, errors=None, values=None, *, page: bool = False) -> str:
    template = "votes/edit.html" if page else "votes/_form.html"
    return render_template(template, v=vote, errors=errors or {}, values=values or {},
                           back=_back_name(), back_url=_back_to(vote))


@bp.get("/<int:vote_id>/edit")
@requires(Permission.WRITE, load=load_vote)
def edit(vote: Vote):
    if not service.may_change(vote):
        return _edit_form(vote, {"": _("This vote has been cast: it is final and cannot "
                                       "change.")}, page=not htmx), 400
    return _edit_form(vote, page=not htmx)


@bp.post("/<int:vote_id>")
@requires(Permission.WRITE, load=load_vote)
def update(vote: Vote):
    form = request.form
    changes = {k: form.get(k, "") for k in ("instruction", "rationale", "status") if k in form}
    vote_id = vote.id

    def fresh() -> Vote:  # the unit of work ended: read the row as it is now
        return load_or_404(Vote, vote_id)

    return answer_write(
        lambda: service.update_vote(vote, **acting(), **changes),
        page=lambda errors: _edit_form(fresh(), errors, form.to_dict(), page=True),
        fragment=lambda errors: _edit_form(fresh(), errors, form.to_dict()),
        done=lambda _done: _row(fresh()),
        redirect_to=lambda _done: _back_to(fresh()),
        message=lambda _done: (_("Vote cast and recorded.") if fresh().status == VoteStatus.CAST
                               else _("Vote saved.")))


# --- recording a vote on the company page ---------------------------------------------------


@bp.post("")
@requires(Permission.WRITE)
def record():
    form = request.form
    data = {k: form.get(k, "") for k in RECORD_FIELDS}
    company_id = parse_int(data["company_id"], "company_id", {})
    company = db.session.get(Company, company_id) if company_id else None
    if company is None:
        abort(400, description=_("Choose a company from the list."))
    company_id = company.id

    def votes_section(errors: dict[str, str] | None = None, saved: Vote | None = None) -> str:
        company = load_or_404(Company, company_id)
        return render_template("votes/_company_votes.html", saved=saved, **company_votes(
            company, vote_errors=errors or {}, vote_values=form.to_dict() if errors else {}))

    return answer_write(
        lambda: service.record_vote(**acting(), **data),
        page=lambda errors: draw_show(load_or_404(Company, company_id), vote_errors=errors,
                                      vote_values=form.to_dict()),
        fragment=votes_section, done=lambda vote: votes_section(saved=vote),
        redirect_to=lambda vote: url_for("companies.show", company_id=company_id)
        + f"#vote-{vote.id}",
        message=_("Vote recorded."))
