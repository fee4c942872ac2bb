"""The objectives section of the engagement page: the leads add an objective, reword it,
mark it met, abandon it (with the reason) or open it again. Each action is one POST answered
by :func:`engage.common.answer.answer_write`: htmx gets the section back (400 with the
form's messages and what was typed), a browser without JavaScript the page."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import render_template, request, url_for
from flask_babel import gettext as _

from engage import clock
from engage.common.answer import answer_write
from engage.engagements import objectives as service
from engage.engagements.models import Engagement, Milestone, Objective
from engage.engagements.pages import bp, draw_page, load_engagement
from engage.extensions import db
from engage.security import Permission, acting, can, load_or_404, requires


def load_objective(objective_id: int) -> Objective:
    return load_or_404(Objective, objective_id)


def objectives_context(engagement: Engagement, **overrides: Any) -> dict[str, Any]:
    """What the objectives section draws: the objectives and the milestones serving them."""
    context = {
        "engagement": engagement,
        "objectives": db.session.scalars(
            sa.select(Objective).where(Objective.engagement_id == engagement.id)
            .order_by(Objective.id)).all(),
        "milestones": db.session.scalars(
            sa.select(Milestone).where(Milestone.engagement_id == engagement.id)
            .order_by(Milestone.due_on, Milestone.id)).all(),
        "may_lead": can(Permission.LEAD_ENGAGEMENT, engagement),
        "errors": {},
        "values": {},
    }
    context.update(overrides)
    return context


def _answer(write, engagement_id: int, key: str, message: str):
    values = {key: request.form.to_dict()}

    def section(errors: dict[str, str] | None = None) -> str:
        engagement = load_or_404(Engagement, engagement_id)
        return render_template("engagements/_objectives.html", **objectives_context(
            engagement, errors={key: errors} if errors else {},
            values=values if errors else {}))

    return answer_write(
        write,
        page=lambda errors: draw_page(load_engagement(engagement_id), errors={key: errors},
                                      values=values),
        fragment=section, done=lambda _done: section(),
        redirect_to=lambda objective: (url_for("engagements.show", engagement_id=engagement_id)
                                       + f"#objective-{objective.id}"),
        message=message)


@bp.post("/<int:engagement_id>/objectives")
@requires(Permission.LEAD_ENGAGEMENT, load=load_engagement)
def add_objective(engagement: Engagement):
    form = request.form
    return _answer(
        lambda: service.add_objective(engagement, **acting(), kind=form.get("kind", ""),
                                      description=form.get("description", "")),
        engagement.id, "new_objective", _("Objective added."))


@bp.post("/objectives/<int:objective_id>")
@requires(Permission.LEAD_ENGAGEMENT, load=load_objective)
def update_objective(objective: Objective):
    form = request.form
    changes = {k: form.get(k, "") for k in service.FIELDS if k in form}
    return _answer(
        lambda: service.update_objective(objective, **acting(), now=clock.now(), **changes),
        objective.engagement_id, f"objective-{objective.id}", _("Objective saved."))
