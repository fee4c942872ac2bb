"""What participants do after an escalation step is taken: finish its task, answer the
divestment review. Validated first; nothing is written on an error; the caller commits."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from engage.common.forms import parse_choice, parse_text
from engage.db import utcnow
from engage.engagements.models import EngagementParticipant
from engage.engagements.service import (
    EngagementError,
    _check_actor,
    participant_role,
)
from engage.escalations.models import (
    DivestmentConclusion,
    DivestmentReview,
    EscalationTask,
    TaskStatus,
)
from engage.extensions import db
from engage.organisations.models import User

ANSWERS = ("responsible_or_harmful", "leverage_left", "impact_staying_vs_leaving")


_LOOK_UP: Any = object()


def may_complete(task: EscalationTask, organisation_id: int, *, role: Any = _LOOK_UP) -> bool:
    """The engine gives a task to the lead organisation that decided the step; any lead or
    co-lead may mark it done (a lead can be away), as may the owner organisation. ``role``:
    the organisation's role in the engagement, when the caller knows it already."""
    if task.owner_organisation_id == organisation_id:
        return True
    if role is _LOOK_UP:
        role = participant_role(task.engagement_id, organisation_id)
    return role in EngagementParticipant.LEAD_ROLES


def complete_task(task: EscalationTask, *, actor: User, organisation_id: int) -> EscalationTask:
    _check_actor(actor, organisation_id)
    if not may_complete(task, organisation_id):
        raise EngagementError(_("Only the task's owner and the engagement's leads can mark it done."))
    if task.status == TaskStatus.DONE:
        raise EngagementError(_("This task is done already."))
    task.status = TaskStatus.DONE
    task.done_at = utcnow()
    db.session.flush()
    return task


def answer_divestment_review(review: DivestmentReview, *, actor: User, organisation_id: int,
                             data: dict[str, Any]) -> DivestmentReview:
    """Record the answers to the OECD questions and, once all are answered, a conclusion.
    A concluded review is a record: it is not changed afterwards."""
    _check_actor(actor, organisation_id)
    if participant_role(review.engagement_id, organisation_id) not in EngagementParticipant.LEAD_ROLES:
        raise EngagementError(_("Only the engagement's lead and co-lead investors can do this."))
    if review.decided_at is not None:
        raise EngagementError(_("This divestment review has been concluded; it is on record."))
    errors: dict[str, str] = {}
    answers = {key: parse_text(data.get(key), key, errors) for key in ANSWERS}
    conclusion = parse_choice(data.get("conclusion"), DivestmentConclusion, "conclusion", errors,
                              default=DivestmentConclusion.OPEN)
    if conclusion != DivestmentConclusion.OPEN:
        for key in ANSWERS:
            if not answers[key] and key not in errors:
                errors[key] = _("Answer this question before concluding.")
    if errors:
        raise EngagementError(errors)
    for key, value in answers.items():
        setattr(review, key, value)
    review.conclusion = conclusion
    if conclusion != DivestmentConclusion.OPEN:
        review.decided_by_id = actor.id
        review.decided_at = utcnow()
    db.session.flush()
    return review
