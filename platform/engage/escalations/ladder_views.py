"""Ladders in the browser beside the initiative's: the ladder one engagement climbs (its leads
tailor it, and go back to the shared one), and the templates an organisation keeps (its
admins write them; installed templates are shown, never edited)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _

from engage import clock
from engage.common.answer import answer_write
from engage.engagements.models import Engagement
from engage.engagements.pages import load_engagement
from engage.escalations import ladder_writes, ladders
from engage.escalations.models import EscalationLadder, StepKind
from engage.security import Permission, acting, can, current_org, load_or_404, requires

bp = Blueprint("ladders", __name__)


def _editor(**context) -> dict:
    return dict(kinds=list(StepKind), wait_max=ladders.WAIT_DAYS_MAX,
                description_max=ladders.DESCRIPTION_MAX, **context)


# --- the engagement's ladder ---------------------------------------------------------------------

def _engagement_page(engagement: Engagement, form, errors, status: int = 200):
    ladder = engagement.ladder
    from engage.initiatives.service import available_ladders

    return render_template(
        "escalations/engagement_ladder.html", engagement=engagement, ladder=ladder,
        rows=ladders.editor_rows(ladder, form), errors=errors,
        may_edit=can(Permission.LEAD_ENGAGEMENT, engagement),
        sources=available_ladders(), **_editor(),
    ), status


@bp.route("/engagements/<int:engagement_id>/ladder", methods=["GET", "POST"])
@requires(Permission.READ, load=load_engagement)
def engagement_ladder(engagement: Engagement):
    """The ladder the engagement climbs; its leads tailor it here (the first save makes the
    engagement's own copy, the shared ladder is left as it is)."""
    if request.method == "GET":
        return _engagement_page(engagement, None, {})
    engagement_id = engagement.id

    def again(errors: dict[str, str]):
        return _engagement_page(load_engagement(engagement_id=engagement_id), request.form,
                                errors, 400)[0]

    return _lead_write(
        engagement,
        lambda: ladder_writes.tailor(engagement, **acting(), now=clock.now(),
                                     steps=ladders.steps_from_form(request.form)),
        again, _("The engagement's tailored ladder is saved."))


@bp.post("/engagements/<int:engagement_id>/ladder/copy")
@requires(Permission.LEAD_ENGAGEMENT, load=load_engagement)
def tailor_engagement_ladder(engagement: Engagement):
    """Tailor the engagement's ladder from a template or another ladder (the one it climbs,
    to start from that)."""
    engagement_id = engagement.id

    def again(errors: dict[str, str]):
        return _engagement_page(load_engagement(engagement_id=engagement_id), None, errors,
                                400)[0]

    return _lead_write(
        engagement,
        lambda: ladder_writes.tailor(engagement, **acting(), now=clock.now(),
                                     copy_from=request.form.get("copy_from")),
        again, _("Steps copied into the engagement's own ladder; edit them below."))


@bp.post("/engagements/<int:engagement_id>/ladder/revert")
@requires(Permission.LEAD_ENGAGEMENT, load=load_engagement)
def revert_engagement_ladder(engagement: Engagement):
    """The engagement climbs the shared ladder again."""
    engagement_id = engagement.id

    def again(errors: dict[str, str]):
        return _engagement_page(load_engagement(engagement_id=engagement_id), None, errors,
                                400)[0]

    return _lead_write(
        engagement,
        lambda: ladder_writes.revert(engagement, **acting(), now=clock.now()),
        again, _("The engagement climbs the shared ladder again."))


def _lead_write(engagement: Engagement, write, again, message: str):
    from engage.security import require

    require(Permission.LEAD_ENGAGEMENT, engagement)
    engagement_id = engagement.id
    return answer_write(
        write, page=again, fragment=again, message=message,
        redirect_to=lambda _saved: url_for(".engagement_ladder", engagement_id=engagement_id))


# --- the organisation's own templates -------------------------------------------------------------

def load_template(ladder_id: int) -> EscalationLadder:
    ladder = load_or_404(EscalationLadder, ladder_id)
    if not ladder.is_template:
        abort(404)
    return ladder


@bp.get("/ladders/templates")
@requires(Permission.READ)
def templates():
    """The installed templates and the organisation's own."""
    return render_template("escalations/ladder_templates.html",
                           templates=ladder_writes.templates(), may_admin=can(Permission.ADMIN))


def _template_form(template: EscalationLadder | None, form, errors, status: int = 200):
    if form is None and template is not None:
        form = {key: getattr(template, key)
                for key in ("name", "name_nl", "description", "description_nl")}
    return render_template(
        "escalations/ladder_template_form.html", template=template, form=form or {},
        errors=errors, rows=ladders.editor_rows(template, None if status == 200 else form),
        sources=ladder_writes.templates(), **_editor(),
    ), status


@bp.route("/ladders/templates/new", methods=["GET", "POST"])
@requires(Permission.ADMIN)
def new_template():
    """An organisation admin writes a template of its own, from scratch or from a copy."""
    if request.method == "GET":
        return _template_form(None, None, {})

    def again(errors: dict[str, str]):
        return _template_form(None, request.form, errors, 400)[0]

    copy_from = request.form.get("copy_from") or None
    return answer_write(
        lambda: ladder_writes.create_template(
            **acting(), now=clock.now(), data=request.form, copy_from=copy_from,
            steps=None if copy_from else ladders.steps_from_form(request.form)),
        page=again, fragment=again,
        redirect_to=lambda saved: url_for(".edit_template", ladder_id=saved.id),
        message=_("Template saved."))


@bp.route("/ladders/templates/<int:ladder_id>", methods=["GET", "POST"])
@requires(Permission.READ, load=load_template, arg="template")
def edit_template(template: EscalationLadder):
    """An installed template, read-only; the organisation's own, which its admins edit."""
    if request.method == "GET":
        if template.installed or not can(Permission.ADMIN):
            return render_template("escalations/ladder_template.html", template=template)
        return _template_form(template, None, {})
    from engage.security import require

    require(Permission.ADMIN)
    if template.organisation_id != current_org.id:
        abort(403)
    ladder_id = template.id

    def again(errors: dict[str, str]):
        return _template_form(load_template(ladder_id), request.form, errors, 400)[0]

    return answer_write(
        lambda: ladder_writes.update_template(
            template, **acting(), now=clock.now(), data=request.form,
            steps=ladders.steps_from_form(request.form)),
        page=again, fragment=again,
        redirect_to=lambda _saved: url_for(".edit_template", ladder_id=ladder_id),
        message=_("Template saved."))


@bp.post("/ladders/templates/<int:ladder_id>/delete")
@requires(Permission.ADMIN, load=load_template, arg="template")
def delete_template(template: EscalationLadder):
    ladder_id = template.id

    def again(errors: dict[str, str]):
        return _template_form(load_template(ladder_id), None, errors, 400)[0]

    return answer_write(
        lambda: ladder_writes.delete_template(template, **acting()),
        page=again, fragment=again,
        redirect_to=lambda _done: url_for(".templates"),
        message=_("Template deleted."))
