"""Initiatives in the browser: the list, one initiative (Annex II made explicit), sign-on,
the coordinator's admit / decline, and creating or editing an initiative."""

from __future__ import annotations

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_babel import gettext as _

from engage import clock, render_cache
from engage.common import listing
from engage.common.answer import answer_write
from engage.common.paging import current_page
from engage.extensions import db, htmx
from engage.initiatives import attestation, membership, queries, service
from engage.initiatives.models import (
    Initiative,
    InitiativeMember,
    MemberStatus,
)
from engage.security import (
    Permission,
    acting,
    can,
    current_org,
    load_or_404,
    requires,
)

bp = Blueprint("initiatives", __name__, url_prefix="/initiatives")


def load_initiative(initiative_id: int, **_ignored) -> Initiative:
    return load_or_404(Initiative, initiative_id)


@bp.app_context_processor
def _labels():
    return {"role_labels": service.ROLE_LABELS, "member_status_labels": service.MEMBER_STATUS_LABELS,
            "initiative_status_labels": service.STATUS_LABELS}


@bp.get("")
@requires(Permission.READ)
def index():
    """The initiatives the organisation sees, open ones first by title, or as the visitor
    filtered and sorted them (the query string: engage.common.listing)."""
    page = current_page()
    themes = render_cache.value("initiatives:themes", (), queries.themes)
    shown = listing.read("initiatives.index", request.args, queries.list_filters(themes),
                         queries.LIST_ORDERS, "usual")

    def draw(template: str) -> str:
        rows, total = queries.list_page(current_org.id, shown, clock.today(),
                                        offset=page.offset, limit=page.size)
        strength = queries.strength([r[0].id for r in rows])
        return render_template(
            template, rows=rows, total=total, page=page.number, pages=page.count(total),
            listing=shown, themes=themes, strength=strength)

    return listing.answer(shown, page.number, render_cache.listed(shown, page.number, draw),
                          "initiatives/index.html", "initiatives/_rows.html")


# --- one initiative ------------------------------------------------------------------------

def _sign_on_context(initiative: Initiative, *, errors=None, form=None) -> dict:
    """What the sign-on section draws: the organisation's own membership and whether it may
    apply (the page adds its lists to it)."""
    mine = service.own_membership(initiative.id, current_org.id)
    is_coordinator = can(Permission.COORDINATE_INITIATIVE, initiative)
    may_apply = (
        not is_coordinator
        and (mine is None or mine.status in (MemberStatus.DECLINED, MemberStatus.LEFT,
                                             MemberStatus.REMOVED))
        and initiative.status in service.OPEN_FOR_SIGN_ON
    )
    return dict(initiative=initiative, mine=mine, is_coordinator=is_coordinator,
                may_apply=may_apply, may_write=can(Permission.WRITE),
                sign_on_roles=service.SIGN_ON_ROLES, errors=errors or {}, form=form or {},
                attestation=attestation.CURRENT)


def _strength(initiative: Initiative) -> queries.Strength:
    return queries.strength([initiative.id]).get(initiative.id, queries.Strength())


def _detail_context(initiative: Initiative, *, errors=None, form=None,
                    membership_errors=None, membership_form=None) -> dict:
    context = _sign_on_context(initiative, errors=errors, form=form)
    mine = context["mine"]
    leads = mine is not None and mine.status is MemberStatus.ADMITTED and mine.leads
    members = queries.members(initiative.id)
    context.update(
        # Membership over time (engage.initiatives.membership): the forms' messages by form.
        membership_errors=membership_errors or {}, membership_form=membership_form or {},
        attestations=(membership.attestations(initiative.id)
                      if context["is_coordinator"] else []),
        successors=[(m, name) for m, name in members if m.status is MemberStatus.ADMITTED
                    and m.organisation_id != initiative.coordinator_organisation_id],
    )
    context.update(
        coordinator_name=service.organisation_name(initiative.coordinator_organisation_id),
        ladder=queries.ladder(initiative.id),
        members=members,
        engagements=queries.engagements(initiative.id, clock.today()),
        strength=_strength(initiative),
        may_create_engagement=can(Permission.WRITE) and (context["is_coordinator"] or leads),
    )
    return context


@bp.get("/<int:initiative_id>")
@requires(Permission.READ, load=load_initiative)
def show(initiative: Initiative):
    """The initiative, from the render cache (engage.render_cache.page) while nothing it
    shows has been written."""
    return render_cache.page(
        "initiative", (initiative.id, tuple(sorted(request.args.items(multi=True)))),
        "initiatives/show.html",
        lambda: render_template("initiatives/show.html", **_detail_context(initiative)),
        initiative=initiative)


@bp.post("/<int:initiative_id>/sign-on")
@requires(Permission.WRITE, load=load_initiative)
def sign_on(initiative: Initiative):
    form, initiative_id = request.form, initiative.id

    def page(errors: dict[str, str]) -> str:
        initiative = load_initiative(initiative_id=initiative_id)
        return render_template("initiatives/show.html",
                               **_detail_context(initiative, errors=errors, form=form))

    def fragment(errors: dict[str, str] | None = None) -> str:
        initiative = load_initiative(initiative_id=initiative_id)
        return render_template("initiatives/_sign_on.html", **_sign_on_context(
            initiative, errors=errors, form=form if errors else None))

    return answer_write(
        lambda: service.sign_on(
            initiative,
            **acting(),
            role=form.get("role", ""),
            aum_committed_eur=form.get("aum_committed_eur", ""),
            committed_resources=form.get("committed_resources", ""),
            conflict_of_interest=form.get("conflict_of_interest", ""),
            independence_confirmed=form.get("independence_confirmed") == "yes",
            attestation_version=form.get("attestation_version", ""),
        ),
        page=page, fragment=fragment, done=lambda _member: fragment(),
        redirect_to=lambda _member: url_for(".show", initiative_id=initiative_id) + "#sign-on",
        message=_("Your application is sent; the coordinator decides on it."))


def _decide(initiative: Initiative, admitted: bool):
    member = db.session.get(InitiativeMember, request.view_args["member_id"])
    if member is None or member.initiative_id != initiative.id:
        abort(404)
    member_id, initiative_id = member.id, initiative.id

    def page(errors: dict[str, str]) -> str:
        for text in errors.values():
            flash(text, "error")
        return render_template("initiatives/show.html", **_detail_context(
            load_initiative(initiative_id=initiative_id)))

    def member_row(_member) -> str:
        """The row, and the initiative's strength (out of band): nothing else."""
        initiative = load_initiative(initiative_id=initiative_id)
        return render_template("initiatives/_member_row.html", row=queries.member_row(member_id),
                               oob=True, initiative=initiative, is_coordinator=True,
                               may_write=can(Permission.WRITE), strength=_strength(initiative))

    # Bad input under htmx: the row stays as it was and the page reloads to show why.
    return answer_write(
        (lambda: service.admit(member, **acting())) if admitted else
        (lambda: service.decline(member, **acting(), reason=request.form.get("reason", ""))),
        page=page, done=member_row,
        redirect_to=lambda _member: url_for(".show", initiative_id=initiative_id)
        + f"#member-{member_id}",
        message=_("Application admitted.") if admitted else _("Application declined."))


@bp.post("/<int:initiative_id>/members/<int:member_id>/admit")
@requires(Permission.COORDINATE_INITIATIVE, load=load_initiative)
def admit(initiative: Initiative):
    return _decide(initiative, admitted=True)


@bp.post("/<int:initiative_id>/members/<int:member_id>/decline")
@requires(Permission.COORDINATE_INITIATIVE, load=load_initiative)
def decline(initiative: Initiative):
    return _decide(initiative, admitted=False)


# --- creating and editing ------------------------------------------------------------------

def _form_page(initiative: Initiative | None, form, errors, status: int = 200):
    ladder = queries.ladder(initiative.id) if initiative else None
    return render_template(
        "initiatives/form.html", initiative=initiative, form=form, errors=errors,
        statuses=list(service.STATUS_LABELS), ladders=service.available_ladders(),
        current_ladder=ladder,
    ), status


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.WRITE)
def create():
    if request.method == "GET":
        return _form_page(None, {"status": "draft"}, {})
    return answer_write(
        lambda: service.create_initiative(**acting(), data=request.form).id,
        page=lambda errors: _form_page(None, request.form, errors, 400)[0],
        fragment=lambda errors: _form_page(None, request.form, errors, 400)[0],
        redirect_to=lambda initiative_id: url_for(".show", initiative_id=initiative_id),
        message=_("Initiative created; your organisation coordinates it."))


@bp.route("/<int:initiative_id>/edit", methods=["GET", "POST"])
@requires(Permission.COORDINATE_INITIATIVE, load=load_initiative)
def edit(initiative: Initiative):
    if request.method == "GET":
        form = {k: getattr(initiative, k) for k in (
            "title", "theme", "description", "common_goals", "preparation")}
        form["status"] = initiative.status.value
        return _form_page(initiative, form, {})
    initiative_id = initiative.id

    def again(errors: dict[str, str]) -> str:
        return _form_page(load_initiative(initiative_id=initiative_id), request.form, errors)[0]

    return answer_write(
        lambda: service.update_initiative(initiative, **acting(), data=request.form),
        page=again, fragment=again,
        redirect_to=lambda _saved: url_for(".show", initiative_id=initiative_id),
        message=_("Initiative saved."))


# --- the initiative's escalation ladder ------------------------------------------------------

def _ladder_page(initiative: Initiative, form, errors, status: int = 200):
    from engage.escalations import ladders
    from engage.escalations.models import StepKind

    ladder = queries.ladder(initiative.id)
    rows = ladders.editor_rows(ladder, form)
    return render_template(
        "initiatives/ladder.html", initiative=initiative, ladder=ladder, rows=rows,
        errors=errors, kinds=list(StepKind), sources=service.available_ladders(),
        wait_max=ladders.WAIT_DAYS_MAX, description_max=ladders.DESCRIPTION_MAX,
    ), status


@bp.route("/<int:initiative_id>/ladder", methods=["GET", "POST"])
@requires(Permission.COORDINATE_INITIATIVE, load=load_initiative)
def ladder(initiative: Initiative):
    """The coordinator writes the initiative's escalation ladder: add, remove and reorder
    steps, set each one's waiting days and what it asks of the members."""
    from engage.escalations import ladders

    if request.method == "GET":
        return _ladder_page(initiative, None, {})
    initiative_id = initiative.id

    def again(errors: dict[str, str]):
        return _ladder_page(load_initiative(initiative_id=initiative_id), request.form, errors,
                            400)[0]

    return answer_write(
        lambda: service.write_ladder(initiative, **acting(), now=clock.now(),
                                     steps=ladders.steps_from_form(request.form)),
        page=again, fragment=again,
        redirect_to=lambda _saved: url_for(".ladder", initiative_id=initiative_id),
        message=_("Escalation ladder saved."))


@bp.post("/<int:initiative_id>/ladder/copy")
@requires(Permission.COORDINATE_INITIATIVE, load=load_initiative)
def copy_ladder(initiative: Initiative):
    """Replace the ladder's steps with those of a template or another visible ladder."""
    initiative_id = initiative.id

    def again(errors: dict[str, str]):
        return _ladder_page(load_initiative(initiative_id=initiative_id), None, errors, 400)[0]

    return answer_write(
        lambda: service.write_ladder(initiative, **acting(), now=clock.now(),
                                     copy_from=request.form.get("copy_from")),
        page=again, fragment=again,
        redirect_to=lambda _saved: url_for(".ladder", initiative_id=initiative_id),
        message=_("Steps copied; edit them below."))


# --- membership over time ------------------------------------------------------------------

def _membership_write(initiative: Initiative, key: str, write, message: str, anchor: str):
    """A membership form (``key`` names it on the page): the page again with its messages
    and what was typed on bad input, else back to the page at ``anchor``."""
    initiative_id, form = initiative.id, request.form

    def page(errors: dict[str, str]) -> str:
        return render_template("initiatives/show.html", **_detail_context(
            load_initiative(initiative_id=initiative_id), membership_errors={key: errors},
            membership_form={key: form}))

    return answer_write(
        write, page=page, fragment=page, message=message,
        redirect_to=lambda _done: url_for(".show", initiative_id=initiative_id) + f"#{anchor}")


def _own_member(initiative: Initiative) -> InitiativeMember:
    mine = service.own_membership(initiative.id, current_org.id)
    if mine is None:
        abort(404)
    return mine


@bp.post("/<int:initiative_id>/membership")
@requires(Permission.WRITE, load=load_initiative)
def update_membership(initiative: Initiative):
    """The member's organisation updates its committed resources and AUM."""
    mine, form = _own_member(initiative), request.form
    return _membership_write(
        initiative, "commitment",
        lambda: membership.update_commitment(
            mine, **acting(), committed_resources=form.get("committed_resources", ""),
            aum_committed_eur=form.get("aum_committed_eur", ""), now=clock.now()),
        _("Your organisation's commitment is updated."), "sign-on")


@bp.post("/<int:initiative_id>/leave")
@requires(Permission.WRITE, load=load_initiative)
def leave(initiative: Initiative):
    mine = _own_member(initiative)
    return _membership_write(
        initiative, "leave",
        lambda: membership.leave(mine, **acting(), reason=request.form.get("reason", ""),
                                 now=clock.now()),
        _("Your organisation has left the initiative."), "sign-on")


@bp.post("/<int:initiative_id>/members/<int:member_id>/remove")
@requires(Permission.COORDINATE_INITIATIVE, load=load_initiative)
def remove_member(initiative: Initiative):
    member = db.session.get(InitiativeMember, request.view_args["member_id"])
    if member is None or member.initiative_id != initiative.id:
        abort(404)
    member_id = member.id
    return _membership_write(
        initiative, f"remove-{member_id}",
        lambda: membership.remove(member, **acting(), reason=request.form.get("reason", ""),
                                  now=clock.now()),
        _("The member is removed."), f"member-{member_id}")


@bp.post("/<int:initiative_id>/hand-over")
@requires(Permission.COORDINATE_INITIATIVE, load=load_initiative)
def hand_over(initiative: Initiative):
    return _membership_write(
        initiative, "hand_over",
        lambda: membership.hand_over(initiative, **acting(),
                                     member_id=request.form.get("member_id", ""),
                                     now=clock.now()),
        _("Coordination is handed over."), "members-h")
