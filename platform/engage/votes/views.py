"""Votes in the browser: each organisation records its own votes and sets each one's final
instruction, rationale and status in place (the row becomes a form), on the votes and AGM
season page (``/votes``), the engagement page and the company page. An htmx request gets the
changed fragment back (400 with the form and its messages on bad input); without JavaScript
the browser is sent back to the page it came from (or shown the form again with the
messages). The votes page exports its votes for the proxy agent (CSV, XLSX)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engage import clock
from engage.common.answer import answer_write
from engage.common.forms import parse_int
from engage.common.paging import current_page
from engage.companies.models import Company
from engage.companies.pages import draw_show
from engage.db import writes
from engage.extensions import db, htmx
from engage.security import Permission, acting, can, current_org, load_or_404, requires
from engage.votes import consistency, exports, season, service
from engage.votes.models import Vote, VoteStatus
from engage.votes.queries import company_votes

bp = Blueprint("votes", __name__, url_prefix="/votes")
RECORD_FIELDS = ("company_id", "engagement_id", "agm_on", "item", "item_kind", "instruction",
                 "rationale", "status")
BACKS = ("engagement", "company", "votes")


def load_vote(vote_id: int) -> Vote:
    return load_or_404(Vote, vote_id)  # tenancy: another organisation's vote is a 404



def _back_to(vote: Vote) -> str:
    """The page the row sits on: the votes page or the engagement page when asked for (and
    linked), else the company page."""
    back = request.values.get("back")
    if back == "votes":
        return url_for("votes.index") + f"#vote-{vote.id}"
    if back == "engagement" and vote.engagement_id:
        return url_for("engagements.show", engagement_id=vote.engagement_id) + f"#vote-{vote.id}"
    return url_for("companies.show", company_id=vote.company_id) + f"#vote-{vote.id}"


def _back_name() -> str:
    back = request.values.get("back")
    return back if back in BACKS else "company"


def _flags(vote: Vote) -> list[consistency.Flag]:
    return consistency.vote_flags(vote, consistency.escalations_on([vote.company_id]))


def _row(vote: Vote) -> str:
    back = _back_name()
    return render_template("votes/_row.html", v=vote, back=back, may_vote=True,
                           flags={vote.id: _flags(vote)} if back == "votes" else {})


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
                           back=_back_name(), back_url=_back_to(vote), flags=_flags(vote))


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
    changes = {k: form.get(k, "") for k in ("instruction", "rationale", "status", "item_kind")
               if k in form}
    vote_id = vote.id

    def fresh() -> Vote:  # the unit of work ended: read the row as it is now
        return load_or_404(Vote, vote_id)

    return answer_write(
        lambda: service.update_vote(vote, **acting(), **changes),
        page=lambda errors: _edit_form(fresh(), errors, form.to_dict(), page=True),
        fragment=lambda errors: _edit_form(fresh(), errors, form.to_dict()),
        done=lambda _done: (_row(fresh()), 200, {"HX-Trigger": "vote-changed"}),
        redirect_to=lambda _done: _back_to(fresh()),
        message=lambda _done: (_("Vote cast and recorded.") if fresh().status == VoteStatus.CAST
                               else _("Vote saved.")))


# --- recording a vote on the company page ---------------------------------------------------


@bp.post("")
@requires(Permission.WRITE)
def record():
    """Record a vote: from the company page (its votes section, in place), or from the votes
    page (``?back=votes`` with the page's filters: back to the page, or the page again with
    the messages)."""
    form = request.form
    data = {k: form.get(k, "") for k in RECORD_FIELDS}
    if request.args.get("back") == "votes":
        filters = _filters_or_400()
        return answer_write(
            lambda: service.record_vote(**acting(), **data),
            page=lambda errors: _season_page(filters, record_errors=errors,
                                             record_values=form.to_dict()),
            redirect_to=lambda vote: url_for("votes.index", **filters.as_args())
            + f"#vote-{vote.id}",
            message=_("Vote recorded."))
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


# --- the votes and AGM season page, and its exports -----------------------------------------


def _filters_or_400() -> season.Filters:
    try:
        return season.Filters.from_args(request.args)
    except season.FilterError as exc:
        abort(Response(render_template("votes/index.html", filter_errors=exc.errors,
                                       args=request.args), 400))


def _season_page(filters: season.Filters, *, record_errors=None, record_values=None) -> str:
    today = clock.today()
    page = current_page()
    counts = season.counts(filters, today)
    votes = season.vote_page(filters, today, offset=page.offset, limit=page.size)
    escalations = consistency.escalations_on(v.company_id for v in votes)
    agms, more_agms = season.agms(current_org.id, filters, today)
    return render_template(
        "votes/index.html", filters=filters, args=filters.as_args(), counts=counts,
        votes=votes, flags={v.id: consistency.vote_flags(v, escalations) for v in votes},
        agms=agms, more_agms=more_agms, agms_shown=season.AGMS_SHOWN, page=page.number,
        pages=page.count(counts.matching(filters)),
        period_label=season.period_label(filters.period, today), periods=season.PERIODS,
        today=today, may_vote=can(Permission.WRITE), back="votes",
        record_errors=record_errors or {}, record_values=record_values or {},
        filter_errors={})


@bp.get("")
@requires(Permission.READ)
def index():
    """Votes and AGM season: the AGMs of the companies the organisation holds or engages,
    its votes to instruct, flagged where they work against the engagements."""
    return _season_page(_filters_or_400())


@bp.get("/counts")
@requires(Permission.READ)
def counts():
    """The votes page's counts (htmx: they reload after a vote on the page changed), else
    the page."""
    filters = _filters_or_400()
    if not htmx:
        return redirect(url_for("votes.index", **filters.as_args()), 303)
    return render_template("votes/_counts.html", args=filters.as_args(),
                           counts=season.counts(filters, clock.today()))


@bp.get("/export.<fmt>")
@writes  # the export is audited
@requires(Permission.READ)
def export(fmt: str):
    """The filtered votes as a file for the proxy agent (CSV or XLSX); the export is
    audited."""
    if fmt not in exports.FORMATS:
        abort(404)
    filters = _filters_or_400()
    today = clock.today()
    body = exports.export(filters, today, fmt)
    db.session.commit()
    return Response(body, mimetype=exports.FORMATS[fmt], headers={
        "Content-Disposition": f'attachment; filename="{exports.filename(filters, today, fmt)}"'})
