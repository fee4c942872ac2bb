"""Reviews and decisions in the browser: the inbox, the decision form, the workflow's state
while the orchestrator carries a decision out, and the letters it produces."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, make_response, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.orm import contains_eager, selectinload

from engage import clock, orchestrator, render_cache
from engage.common import listing
from engage.common.answer import answer_write
from engage.common.forms import parse_date, parse_int
from engage.common.paging import current_page
from engage.db import utcnow
from engage.engagements.models import Engagement, Letter
from engage.engagements.pages import draw_page, load_engagement
from engage.escalations import documents, letters
from engage.escalations import review_page as review_page_module
from engage.escalations.models import ApplyStatus, Decision, EscalationReview
from engage.escalations.queries import LIST_FILTERS, LIST_ORDERS, listed_reviews
from engage.extensions import db, htmx
from engage.initiatives.models import Initiative
from engage.security import Permission, can, current_org, current_user, load_or_404, requires

bp = Blueprint("escalations", __name__)

FINISHED = (ApplyStatus.DONE, ApplyStatus.FAILED)
POLL_STOP = 286  # htmx stops polling on this status


@bp.app_template_global("prefect_run_url")
def prefect_run_url(decision: Decision) -> str | None:
    """The decision's flow run in the orchestrator's UI, for the organisation's admins."""
    return orchestrator.run_url(decision.flow_run_id) if can(Permission.ADMIN) else None


def load_review(review_id: int) -> EscalationReview:
    return load_or_404(EscalationReview, review_id)


def load_decision(decision_id: int) -> Decision:
    return load_or_404(Decision, decision_id)


def load_letter(letter_id: int) -> Letter:
    return load_or_404(Letter, letter_id)


@bp.get("/reviews")
@requires(Permission.READ)
def inbox():
    """Every open review this organisation decides (it leads or co-leads), oldest first, or
    as the visitor filtered and sorted them (the query string: engage.common.listing)."""
    page = current_page()
    today = clock.today()
    shown = listing.read("escalations.inbox", request.args, LIST_FILTERS, LIST_ORDERS, "opened")

    def draw(template: str) -> str:
        rows, count = listed_reviews(current_org.id, shown, today)
        rows = db.session.execute(
            rows.options(contains_eager(EscalationReview.engagement)
                         .contains_eager(Engagement.company),
                         selectinload(EscalationReview.milestone))
            .limit(page.size).offset(page.offset)
        ).all()
        total = db.session.scalar(count)
        initiatives = db.session.execute(
            sa.select(Initiative.id, Initiative.title)
            .order_by(Initiative.title_key, Initiative.id)).all()
        return render_template(
            template, rows=rows, total=total, page=page.number, pages=page.count(total),
            listing=shown, today=today, initiatives=initiatives)

    return listing.answer(shown, page.number, render_cache.listed(shown, page.number, draw),
                          "escalations/inbox.html", "escalations/_inbox_list.html")


@bp.get("/reviews/<int:review_id>")
@requires(Permission.READ)
def review_page(review_id: int):
    """A review on one screen: what was missed and how late, the ladder with the steps taken
    and the one proposed, the latest dialogue, what each decision does, and the decision form
    for the leads (the others see who decides)."""
    return review_page_module.draw(review_page_module.load_review_for_page(review_id))


@bp.post("/reviews/<int:review_id>/decision")
@requires(Permission.LEAD_ENGAGEMENT, load=load_review)
def decide(review: EscalationReview):
    """Record a lead's decision. Bad input shows the form again (400) with its messages next
    to their fields and what was typed, the reason included: on the review page (htmx swaps
    just the form) or, when sent from the engagement page, that page. Done: the decision's
    page (from the review page) or the engagement at the decision."""
    from engage.escalations.service import DecisionError, record_decision

    form, kind = request.form, request.form.get("kind", "")
    review_id, engagement_id = review.id, review.engagement_id
    on_review_page = form.get("from") == "review"

    def write():
        errors: dict[str, str] = {}
        step_id = (parse_int(form.get("ladder_step_id"), "ladder_step_id", errors, required=False)
                   if kind == "escalate" else None)
        new_due_on = (parse_date(form.get("new_due_on"), "new_due_on", errors, required=False)
                      if kind == "extend" else None)
        if errors:
            raise DecisionError(errors)
        return record_decision(
            review_id, kind, actor=current_user._get_current_object(),
            organisation_id=current_org.id, reason=form.get("reason", ""), now=utcnow(),
            ladder_step_id=step_id, new_due_on=new_due_on,
            close_outcome=(form.get("close_outcome") or None) if kind == "close" else None,
            skip_reason=form.get("skip_reason", "") if kind == "escalate" else None)

    key = f"review-{review_id}"
    message = _("Decision recorded; the workflow is carrying it out.")
    if on_review_page:
        def drawn(draw):
            # The unit of work ended (rolled back): read the review as it is now.
            return lambda errors: draw(review_page_module.load_review_for_page(review_id),
                                       errors={key: errors}, values={key: form.to_dict()})
        return answer_write(
            write, page=drawn(review_page_module.draw), fragment=drawn(review_page_module.draw_form),
            redirect_to=lambda decision: url_for(".decision_page", decision_id=decision.id),
            message=message)
    return answer_write(
        write,
        page=lambda errors: draw_page(load_engagement(engagement_id), errors={key: errors},
                                      values={key: form.to_dict()}),
        redirect_to=lambda decision: url_for("engagements.show", engagement_id=engagement_id)
        + f"#decision-{decision.id}",
        message=message)


@bp.get("/decisions/<int:decision_id>")
@requires(Permission.READ, load=load_decision)
def decision_page(decision: Decision):
    """A decision: what was decided, by whom and why, what was tried before it, what it
    does (the ladder and its steps explained) and where the workflow stands."""
    return _draw_decision(decision)


def _draw_decision(decision: Decision) -> str:
    from engage.engagements.pages import next_step_id

    engagement = load_engagement(decision.engagement_id)
    state = Markup(render_template("escalations/_decision_state.html", decision=decision,
                                   prefect_url=prefect_run_url(decision)))
    return render_template("escalations/decision.html", decision=decision, fragment=state,
                           engagement=engagement, ladder=engagement.ladder,
                           next_step_id=next_step_id(engagement))


@bp.get("/decisions/<int:decision_id>/state")
@requires(Permission.READ, load=load_decision)
def decision_state(decision: Decision):
    """The workflow's state; a polling fragment that stops (286) once it is final."""
    html = render_template(
        "escalations/_decision_state.html", decision=decision, prefect_url=prefect_run_url(decision)
    )
    if not htmx:
        return _draw_decision(decision)
    response = make_response(html)
    if decision.apply_status in FINISHED:
        response.status_code = POLL_STOP
    return response


@bp.get("/letters/<int:letter_id>.pdf")
@requires(Permission.READ, load=load_letter)
def letter_pdf(letter: Letter):
    """Rendered from the letter as it is now: its actual signatures, DRAFT until sent (a
    statement, AGM question or resolution: until published, asked or filed)."""
    response = make_response(documents.pdf(letters.with_signatures(letter.id)))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="engage-letter-{letter.id}.pdf"'
    return response


from engage.escalations import letter_views  # noqa: E402,F401  (the letter page's routes)
