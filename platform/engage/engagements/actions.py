"""What participants do on an engagement's page. Each action is one POST: the permission is
declared, the service validates and writes, the view commits once. An htmx request gets
the changed fragment back (400 with the form and its messages on bad input); without
JavaScript the browser is sent back to the page (or shown it again with the messages)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engage.common.forms import run_unit
from engage.engagements import service
from engage.engagements.models import Engagement, Letter, Milestone
from engage.engagements.views import (
    bp,
    letters_of,
    load_engagement,
    page_context,
    render_page,
    timeline_context,
)
from engage.escalations import followup
from engage.escalations.models import DivestmentReview, EscalationTask
from engage.extensions import htmx
from engage.security import (
    NotPermitted,
    Permission,
    acting,
    can,
    current_org,
    load_or_404,
    requires,
)


def load_milestone(milestone_id: int) -> Milestone:
    return load_or_404(Milestone, milestone_id)


def load_letter(letter_id: int) -> Letter:
    return load_or_404(Letter, letter_id)


def load_task(task_id: int) -> EscalationTask:
    return load_or_404(EscalationTask, task_id)


def load_divestment(review_id: int) -> DivestmentReview:
    return load_or_404(DivestmentReview, review_id)



def _back(engagement_id: int, anchor: str = "") -> Any:
    return redirect(url_for("engagements.show", engagement_id=engagement_id)
                    + (f"#{anchor}" if anchor else ""), 303)


# --- milestones ---------------------------------------------------------------------------


def _milestones_fragment(engagement: Engagement, status: int = 200, **overrides: Any):
    context = page_context(engagement)
    context.update(overrides)
    return render_template("engagements/_milestones.html", **context), status


@bp.post("/<int:engagement_id>/milestones")
@requires(Permission.LEAD_ENGAGEMENT, load=load_engagement)
def add_milestone(engagement: Engagement):
    form = request.form
    milestone, errors = run_unit(lambda: service.add_milestone(
        engagement, **acting(), title=form.get("title", ""), due_on=form.get("due_on", ""),
        horizon=form.get("horizon") or "short", objective_id=form.get("objective_id") or None))
    if errors:
        values = {"new_milestone": form.to_dict()}
        if htmx:
            return _milestones_fragment(engagement, 400, errors={"new_milestone": errors},
                                        values=values)
        return render_page(engagement, 400, errors={"new_milestone": errors}, values=values)
    if htmx:
        return _milestones_fragment(engagement)
    flash(_("Milestone added."), "info")
    return _back(engagement.id, f"milestone-{milestone.id}")


@bp.get("/milestones/<int:milestone_id>")
@requires(Permission.READ, load=load_milestone)
def milestone_row(milestone: Milestone):
    """One milestone's row (htmx: what "Cancel" puts back), else its engagement page."""
    if not htmx:
        return _back(milestone.engagement_id, f"milestone-{milestone.id}")
    return render_template("engagements/_milestone_row.html", m=milestone,
                           may_lead=can(Permission.LEAD_ENGAGEMENT, milestone))


def _edit_form(milestone: Milestone, status: int = 200, errors=None, values=None):
    template = "engagements/_milestone_form.html" if htmx else "engagements/milestone_edit.html"
    return render_template(template, m=milestone, errors=errors or {},
                           values=values or {}), status


@bp.get("/milestones/<int:milestone_id>/edit")
@requires(Permission.LEAD_ENGAGEMENT, load=load_milestone)
def edit_milestone(milestone: Milestone):
    return _edit_form(milestone)


@bp.post("/milestones/<int:milestone_id>")
@requires(Permission.LEAD_ENGAGEMENT, load=load_milestone)
def update_milestone(milestone: Milestone):
    form = request.form
    changes = {k: form.get(k, "") for k in service.MILESTONE_FIELDS if k in form}
    milestone_id, engagement_id = milestone.id, milestone.engagement_id
    _done, errors = run_unit(lambda: service.update_milestone(milestone, **acting(), **changes))
    milestone = load_or_404(Milestone, milestone_id)
    if errors:
        return _edit_form(milestone, 400, errors, form.to_dict())
    if htmx:
        return render_template("engagements/_milestone_row.html", m=milestone, may_lead=True)
    flash(_("Milestone saved."), "info")
    return _back(engagement_id, f"milestone-{milestone_id}")


# --- dialogue -------------------------------------------------------------------------------


@bp.post("/<int:engagement_id>/dialogue")
@requires(Permission.PARTICIPATE_ENGAGEMENT, load=load_engagement)
def add_dialogue(engagement: Engagement):
    form = request.form
    entry, errors = run_unit(lambda: service.add_dialogue(
        engagement, **acting(), kind=form.get("kind", ""), occurred_on=form.get("occurred_on", ""),
        summary=form.get("summary", ""), participants=form.get("participants", ""),
        outcome=form.get("outcome", ""), visibility=form.get("visibility") or "coalition"))
    if errors:
        if htmx:
            return render_template("engagements/_dialogue_form.html", engagement=engagement,
                                   errors={"dialogue": errors},
                                   values={"dialogue": form.to_dict()}), 400
        return render_page(engagement, 400, errors={"dialogue": errors},
                           values={"dialogue": form.to_dict()})
    if htmx:
        # A fresh form, and the timeline (out of band) with the new entry on top.
        return render_template("engagements/_dialogue_form.html", engagement=engagement,
                               errors={}, values={}, saved=entry, oob_timeline=True,
                               **timeline_context(engagement))
    flash(_("Dialogue logged."), "info")
    return _back(engagement.id, f"dialogue-{entry.id}")


# --- signing on and co-signing ---------------------------------------------------------------


@bp.post("/<int:engagement_id>/sign-on")
@requires(Permission.WRITE, load=load_engagement)
def sign_on(engagement: Engagement):
    _done, errors = run_unit(lambda: service.sign_on_engagement(engagement, **acting()))
    if htmx and errors:
        context = page_context(engagement)
        context["errors"] = {"sign_on": errors}
        return render_template("engagements/_participants.html", **context), 400
    if errors:
        return render_page(engagement, 400, errors={"sign_on": errors})
    flash(_("Your organisation has signed on to this engagement."), "info")
    if htmx:
        # Signing on opens most of the page (dialogue, co-signing, tasks): load it afresh.
        return "", 204, {"HX-Refresh": "true"}
    return _back(engagement.id, "participants")


@bp.post("/letters/<int:letter_id>/sign")
@requires(Permission.PARTICIPATE_ENGAGEMENT, load=load_letter)
def co_sign(letter: Letter):
    letter_id, engagement_id = letter.id, letter.engagement_id
    _done, errors = run_unit(lambda: service.co_sign(letter, **acting()))
    if htmx:
        fresh = letters_of(engagement_id, letter_id)[0]
        return render_template("engagements/_letter.html", letter=fresh,
                               may_participate=True, letter_errors=errors), 400 if errors else 200
    engagement = load_or_404(Engagement, engagement_id)
    if errors:
        return render_page(engagement, 400, errors={f"letter-{letter_id}": errors})
    flash(_("Your organisation has co-signed the letter."), "info")
    return _back(engagement_id, f"letter-{letter_id}")


# --- escalation follow-up: tasks and the divestment review -------------------------------------


@bp.post("/tasks/<int:task_id>/done")
@requires(Permission.PARTICIPATE_ENGAGEMENT, load=load_task)
def complete_task(task: EscalationTask):
    if not followup.may_complete(task, current_org.id):
        raise NotPermitted(description=_("Only the task's owner and the engagement's leads can "
                                         "mark it done."))
    task_id, engagement_id = task.id, task.engagement_id
    _done, errors = run_unit(lambda: followup.complete_task(task, **acting()))
    if htmx:
        return render_template("engagements/_task.html", t=load_or_404(EscalationTask, task_id),
                               may_complete=followup.may_complete, task_errors=errors,
                               ), 400 if errors else 200
    if errors:
        return render_page(load_or_404(Engagement, engagement_id), 400,
                           errors={f"task-{task_id}": errors})
    flash(_("Task marked done."), "info")
    return _back(engagement_id, f"task-{task_id}")


@bp.post("/divestment-reviews/<int:review_id>")
@requires(Permission.LEAD_ENGAGEMENT, load=load_divestment, arg="review")
def answer_divestment(review: DivestmentReview):
    review_id, engagement_id = review.id, review.engagement_id
    form = request.form
    _done, errors = run_unit(lambda: followup.answer_divestment_review(review, **acting(),
                                                               data=form.to_dict()))
    values = {f"divestment-{review_id}": form.to_dict()} if errors else {}
    all_errors = {f"divestment-{review_id}": errors} if errors else {}
    if htmx:
        return render_template("engagements/_divestment.html",
                               dr=load_or_404(DivestmentReview, review_id), may_lead=True,
                               errors=all_errors, values=values), 400 if errors else 200
    if errors:
        return render_page(load_or_404(Engagement, engagement_id), 400, errors=all_errors,
                           values=values)
    flash(_("Divestment review saved."), "info")
    return _back(engagement_id, f"divestment-{review_id}")
