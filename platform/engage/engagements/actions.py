"""What participants do on an engagement's page. Each action is one POST: the permission is
declared, the service validates and writes, and :func:`engage.common.answer.answer_write`
commits once and answers — an htmx request gets the changed fragment back (400 with the form
and its messages on bad input); without JavaScript the browser is sent back to the page (or
shown it again with the messages)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from engage import clock
from engage.common.answer import answer_write
from engage.engagements import service
from engage.engagements.labels import document_noun
from engage.engagements.models import Engagement, Letter, Milestone, Objective
from engage.engagements.pages import (
    bp,
    draw_page,
    letters_of,
    load_engagement,
    participants_context,
    timeline_context,
)
from engage.escalations import followup
from engage.escalations.models import DivestmentReview, EscalationTask
from engage.extensions import db, htmx
from engage.security import NotPermitted, Permission, acting, can, current_org, load_or_404, requires


def load_milestone(milestone_id: int) -> Milestone:
    return load_or_404(Milestone, milestone_id)


def load_letter(letter_id: int) -> Letter:
    return load_or_404(Letter, letter_id)


def load_task(task_id: int) -> EscalationTask:
    return load_or_404(EscalationTask, task_id)


def load_divestment(review_id: int) -> DivestmentReview:
    return load_or_404(DivestmentReview, review_id)


def _page_at(engagement_id: int, anchor: str = "") -> str:
    return (url_for("engagements.show", engagement_id=engagement_id)
            + (f"#{anchor}" if anchor else ""))


def _answer_in_place(write, *, engagement_id: int, key: str, fragment, message: str,
                     values: dict | None = None):
    """A write on one part of the engagement page (a letter, a task, a divestment review)
    whose anchor is ``key``: htmx gets that part back, with its messages on bad input; a
    browser goes back to it, or sees the page again with the messages under ``key``."""
    return answer_write(
        write,
        page=lambda errors: draw_page(load_or_404(Engagement, engagement_id),
                                      errors={key: errors},
                                      values={key: values} if values else {}),
        fragment=fragment, done=lambda _done: fragment(None),
        redirect_to=lambda _done: _page_at(engagement_id, key), message=message)


# --- milestones ---------------------------------------------------------------------------


def milestones_context(engagement: Engagement, **overrides: Any) -> dict[str, Any]:
    """What the milestones section draws: its own two lists, not the whole page's."""
    context = {
        "engagement": engagement,
        "milestones": db.session.scalars(
            sa.select(Milestone).where(Milestone.engagement_id == engagement.id)
            .order_by(Milestone.due_on, Milestone.id)).all(),
        "objectives": db.session.scalars(
            sa.select(Objective).where(Objective.engagement_id == engagement.id)
            .order_by(Objective.id)).all(),
        "may_lead": can(Permission.LEAD_ENGAGEMENT, engagement),
        "errors": {},
        "values": {},
    }
    context.update(overrides)
    return context


@bp.post("/<int:engagement_id>/milestones")
@requires(Permission.LEAD_ENGAGEMENT, load=load_engagement)
def add_milestone(engagement: Engagement):
    form = request.form
    values = {"new_milestone": form.to_dict()}

    def fragment(errors: dict[str, str] | None = None) -> str:
        return render_template("engagements/_milestones.html", **milestones_context(
            engagement, errors={"new_milestone": errors} if errors else {},
            values=values if errors else {}))

    return answer_write(
        lambda: service.add_milestone(
            engagement, **acting(), title=form.get("title", ""), due_on=form.get("due_on", ""),
            horizon=form.get("horizon") or "short", objective_id=form.get("objective_id") or None),
        page=lambda errors: draw_page(engagement, errors={"new_milestone": errors},
                                        values=values),
        fragment=fragment, done=lambda _milestone: fragment(),
        redirect_to=lambda milestone: _page_at(engagement.id, f"milestone-{milestone.id}"),
        message=_("Milestone added."))


@bp.get("/milestones/<int:milestone_id>")
@requires(Permission.READ, load=load_milestone)
def milestone_row(milestone: Milestone):
    """One milestone's row (htmx: what "Cancel" puts back), else its engagement page."""
    if not htmx:
        return redirect(_page_at(milestone.engagement_id, f"milestone-{milestone.id}"), 303)
    return render_template("engagements/_milestone_row.html", m=milestone,
                           may_lead=can(Permission.LEAD_ENGAGEMENT, milestone))


def _edit_form(milestone: Milestone, errors=None, values=None, *, page: bool = False) -> str:
    template = "engagements/milestone_edit.html" if page else "engagements/_milestone_form.html"
    objectives = db.session.scalars(
        sa.select(Objective).where(Objective.engagement_id == milestone.engagement_id)
        .order_by(Objective.id)).all()
    return render_template(template, m=milestone, errors=errors or {}, values=values or {},
                           objectives=objectives)


@bp.get("/milestones/<int:milestone_id>/edit")
@requires(Permission.LEAD_ENGAGEMENT, load=load_milestone)
def edit_milestone(milestone: Milestone):
    return _edit_form(milestone, page=not htmx)


@bp.post("/milestones/<int:milestone_id>")
@requires(Permission.LEAD_ENGAGEMENT, load=load_milestone)
def update_milestone(milestone: Milestone):
    form = request.form
    changes = {k: form.get(k, "") for k in service.MILESTONE_FIELDS if k in form}
    milestone_id, engagement_id = milestone.id, milestone.engagement_id

    def fresh() -> Milestone:  # the unit of work ended: read the row as it is now
        return load_or_404(Milestone, milestone_id)

    return answer_write(
        lambda: service.update_milestone(milestone, **acting(), now=clock.now(), **changes),
        page=lambda errors: _edit_form(fresh(), errors, form.to_dict(), page=True),
        fragment=lambda errors: _edit_form(fresh(), errors, form.to_dict()),
        done=lambda _done: render_template("engagements/_milestone_row.html", m=fresh(),
                                           may_lead=True),
        redirect_to=lambda _done: _page_at(engagement_id, f"milestone-{milestone_id}"),
        message=_("Milestone saved."))


# --- dialogue -------------------------------------------------------------------------------


@bp.post("/<int:engagement_id>/dialogue")
@requires(Permission.PARTICIPATE_ENGAGEMENT, load=load_engagement)
def add_dialogue(engagement: Engagement):
    form = request.form
    values = {"dialogue": form.to_dict()}
    return answer_write(
        lambda: service.add_dialogue(
            engagement, **acting(), now=clock.now(), kind=form.get("kind", ""),
            occurred_on=form.get("occurred_on", ""), summary=form.get("summary", ""),
            participants=form.get("participants", ""), outcome=form.get("outcome", ""),
            visibility=form.get("visibility") or "coalition",
            company_level=form.get("company_level") or None, mode=form.get("mode") or None,
            follow_up=form.get("follow_up", "")),
        page=lambda errors: draw_page(engagement, errors={"dialogue": errors},
                                        values=values),
        fragment=lambda errors: render_template(
            "engagements/_dialogue_form.html", engagement=engagement,
            errors={"dialogue": errors}, values=values),
        # A fresh form, and the timeline (out of band) with the new entry on top.
        done=lambda entry: render_template(
            "engagements/_dialogue_form.html", engagement=engagement, errors={}, values={},
            saved=entry, oob_timeline=True, **timeline_context(engagement)),
        redirect_to=lambda entry: _page_at(engagement.id, f"dialogue-{entry.id}"),
        message=_("Dialogue logged."))


# --- signing on and co-signing ---------------------------------------------------------------


@bp.post("/<int:engagement_id>/sign-on")
@requires(Permission.WRITE, load=load_engagement)
def sign_on(engagement: Engagement):
    def participants(errors: dict[str, str]) -> str:
        return render_template("engagements/_participants.html", **participants_context(
            engagement, errors={"sign_on": errors}))

    # Signing on opens most of the page (dialogue, co-signing, tasks): htmx loads it afresh.
    return answer_write(
        lambda: service.sign_on_engagement(engagement, **acting()),
        page=lambda errors: draw_page(engagement, errors={"sign_on": errors}),
        fragment=participants, refresh=True,
        redirect_to=lambda _done: _page_at(engagement.id, "participants"),
        message=_("Your organisation has signed on to this engagement."))


def _letter_fragment(letter_id: int, engagement_id: int):
    def draw(errors: dict[str, str] | None = None) -> str:
        letter = letters_of(engagement_id, letter_id)[0]
        return render_template("engagements/_letter.html", letter=letter,
                               may_participate=True,
                               may_lead=can(Permission.LEAD_ENGAGEMENT, letter),
                               letter_errors=errors or {},
                               letter_values=request.form.to_dict() if errors else {})
    return draw


@bp.post("/letters/<int:letter_id>/sign")
@requires(Permission.PARTICIPATE_ENGAGEMENT, load=load_letter)
def co_sign(letter: Letter):
    letter_id, engagement_id = letter.id, letter.engagement_id
    version = request.form.get("version")
    return _answer_in_place(
        lambda: service.co_sign(letter, **acting(), seen_version=version),
        engagement_id=engagement_id,
        key=f"letter-{letter_id}", fragment=_letter_fragment(letter_id, engagement_id),
        message=_("Your organisation has co-signed the %(document)s.",
                  document=document_noun(letter.kind)))


@bp.post("/letters/<int:letter_id>/decline")
@requires(Permission.PARTICIPATE_ENGAGEMENT, load=load_letter)
def decline_letter(letter: Letter):
    """The organisation declines to sign (with an optional reason the coalition sees)."""
    from engage.escalations.signing import decline

    letter_id, engagement_id = letter.id, letter.engagement_id
    form = request.form
    return _answer_in_place(
        lambda: decline(letter, **acting(), now=clock.now(), reason=form.get("reason", "")),
        engagement_id=engagement_id, key=f"letter-{letter_id}",
        fragment=_letter_fragment(letter_id, engagement_id), values=form.to_dict(),
        message=_("Your organisation has declined to sign the %(document)s.",
                  document=document_noun(letter.kind)))


@bp.post("/letters/<int:letter_id>/send")
@requires(Permission.LEAD_ENGAGEMENT, load=load_letter)
def send_letter(letter: Letter):
    """A lead records that the letter went to the company (date, channel, days to answer)."""
    from engage.escalations.sending import send_letter as send

    letter_id, engagement_id = letter.id, letter.engagement_id
    form = request.form
    return _answer_in_place(
        lambda: send(letter, **acting(), now=clock.now(), sent_on=form.get("sent_on"),
                     channel=form.get("channel"), response_days=form.get("response_days")),
        engagement_id=engagement_id, key=f"letter-{letter_id}",
        fragment=_letter_fragment(letter_id, engagement_id), values=form.to_dict(),
        message=_("The letter is marked sent; the company's answer is now a milestone."))


@bp.post("/letters/<int:letter_id>/answer")
@requires(Permission.LEAD_ENGAGEMENT, load=load_letter)
def answer_letter(letter: Letter):
    """A lead logs the company's answer to a sent letter; its response milestone is met."""
    from engage.escalations.sending import log_answer

    letter_id, engagement_id = letter.id, letter.engagement_id
    form = request.form
    return _answer_in_place(
        lambda: log_answer(letter, **acting(), now=clock.now(),
                           answered_on=form.get("answered_on"), summary=form.get("summary")),
        engagement_id=engagement_id, key=f"letter-{letter_id}",
        fragment=_letter_fragment(letter_id, engagement_id), values=form.to_dict(),
        message=_("The company's answer is logged; the letter's response milestone is met."))


# --- escalation follow-up: tasks and the divestment review -------------------------------------


@bp.post("/tasks/<int:task_id>/done")
@requires(Permission.PARTICIPATE_ENGAGEMENT, load=load_task)
def complete_task(task: EscalationTask):
    if not followup.may_complete(task, current_org.id):
        raise NotPermitted(description=_("Only the task's owner and the engagement's leads can "
                                         "mark it done."))
    task_id, engagement_id = task.id, task.engagement_id

    def task_fragment(errors: dict[str, str] | None = None) -> str:
        return render_template("engagements/_task.html", t=load_or_404(EscalationTask, task_id),
                               may_complete=followup.may_complete, task_errors=errors or {})

    return _answer_in_place(
        lambda: followup.complete_task(task, **acting()), engagement_id=engagement_id,
        key=f"task-{task_id}", fragment=task_fragment, message=_("Task marked done."))


@bp.post("/divestment-reviews/<int:review_id>")
@requires(Permission.LEAD_ENGAGEMENT, load=load_divestment, arg="review")
def answer_divestment(review: DivestmentReview):
    review_id, engagement_id = review.id, review.engagement_id
    form = request.form
    key = f"divestment-{review_id}"

    def divestment_fragment(errors: dict[str, str] | None = None) -> str:
        return render_template("engagements/_divestment.html",
                               dr=load_or_404(DivestmentReview, review_id), may_lead=True,
                               errors={key: errors} if errors else {},
                               values={key: form.to_dict()} if errors else {})

    return _answer_in_place(
        lambda: followup.answer_divestment_review(review, **acting(), data=form.to_dict(),
                                                  now=clock.now()),
        engagement_id=engagement_id, key=key, fragment=divestment_fragment,
        values=form.to_dict(), message=_("Divestment review saved."))
