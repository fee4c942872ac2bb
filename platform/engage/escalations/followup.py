"""What participants do after an escalation step is taken: finish its task, answer the
divestment review (and what its conclusion does). Validated first; nothing is written on an
error; the caller commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _

from engage.clock import local_date
from engage.common.forms import parse_choice, parse_date, parse_text
from engage.db import utcnow
from engage.engagements.models import EngagementParticipant
from engage.engagements.service import (
    EngagementError,
    _check_actor,
    participant_role,
)
from engage.escalations import actions
from engage.escalations.models import (
    LEAVING,
    Decision,
    DivestmentConclusion,
    DivestmentReview,
    EscalationTask,
    LadderStep,
    StepKind,
    TaskStatus,
)
from engage.extensions import db
from engage.organisations.models import User
from engage.tenancy import database_system_scope

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
                             data: dict[str, Any], now: datetime | None = None) -> DivestmentReview:
    """Record the answers to the OECD questions and, once all are answered, a conclusion.
    A concluded review is a record: it is not changed afterwards.

    - "divest" or "reduce exposure" needs the re-entry criteria (what the company must have
      done) and a date to look again, after today: the study's divestment is "temporary
      until the company has improved its practices". Each participant organisation holding
      the company gets a task and is told; on the date the sweep opens a new review.
    - "stay engaged" sends the engagement back to its ladder: its current step becomes the
      last one taken before the divestment review, so the next review can escalate again."""
    now = now or utcnow()
    today = local_date(now)
    _check_actor(actor, organisation_id)
    if participant_role(review.engagement_id, organisation_id) not in EngagementParticipant.LEAD_ROLES:
        raise EngagementError(_("Only the engagement's lead and co-lead investors can do this."))
    if review.decided_at is not None:
        raise EngagementError(_("This divestment review has been concluded; it is on record."))
    errors: dict[str, str] = {}
    answers = {key: parse_text(data.get(key), key, errors) for key in ANSWERS}
    conclusion = parse_choice(data.get("conclusion"), DivestmentConclusion, "conclusion", errors,
                              default=DivestmentConclusion.OPEN)
    criteria = parse_text(data.get("re_entry_criteria"), "re_entry_criteria", errors)
    look_again_on = parse_date(data.get("look_again_on"), "look_again_on", errors,
                               required=False)
    if conclusion not in (None, DivestmentConclusion.OPEN):
        for key in ANSWERS:
            if not answers[key] and key not in errors:
                errors[key] = _("Answer this question before concluding.")
    if conclusion in LEAVING:
        if not criteria and "re_entry_criteria" not in errors:
            errors["re_entry_criteria"] = _(
                "Say what the company must have done for the holders to invest again.")
        if look_again_on is None and "look_again_on" not in errors:
            errors["look_again_on"] = _("Give the date to look again.")
        elif look_again_on is not None and look_again_on <= today:
            errors["look_again_on"] = _("The date to look again must be after today "
                                        "(%(today)s).", today=format_date(today))
    if errors:
        raise EngagementError(errors)
    for key, value in answers.items():
        setattr(review, key, value)
    review.conclusion = conclusion
    if conclusion in LEAVING:
        review.re_entry_criteria, review.look_again_on = criteria, look_again_on
    else:
        # Kept as typed while the review is open; a review that stays engaged has none.
        review.re_entry_criteria = criteria if conclusion == DivestmentConclusion.OPEN else ""
        review.look_again_on = None
    if conclusion == DivestmentConclusion.OPEN:
        db.session.flush()
        return review
    review.decided_by_id = actor.id
    review.decided_at = now
    db.session.flush()
    engagement = review.engagement
    if conclusion == DivestmentConclusion.STAY_ENGAGED:
        engagement.current_step_id = _step_before_divestment(review)
        db.session.flush()
    else:
        # The holders are other organisations: who holds is read, and their tasks and
        # notifications are written, past the database's row-level lock (their amounts are
        # never read into the page, nor shown).
        with database_system_scope("divestment review concluded: a task for each holder"):
            actions.conclude_divestment(review, engagement, organisation_id=organisation_id, now=now,
                                        today=today)
    return review


def _step_before_divestment(review: DivestmentReview) -> int | None:
    """The step the engagement goes back to: the highest step taken before the divestment
    review (as the decision that opened it recorded them), or none (the ladder's start)."""
    decision = review.decision_id and db.session.get(Decision, review.decision_id)
    if decision is None:
        # A review the sweep opened on a look-again date: back to the step before the last
        # divestment review decided on this engagement.
        decision = db.session.scalar(
            sa.select(Decision).join(DivestmentReview, DivestmentReview.decision_id == Decision.id)
            .where(DivestmentReview.engagement_id == review.engagement_id)
            .order_by(Decision.decided_at.desc(), Decision.id.desc()).limit(1))
    if decision is None:
        return review.engagement.current_step_id
    taken = [s for s in decision.earlier_steps or ()
             if s.get("kind") not in (StepKind.DIVESTMENT_REVIEW.value,)]
    if not taken:
        return None
    in_force = set(db.session.scalars(
        sa.select(LadderStep.id).where(LadderStep.id.in_([s["step_id"] for s in taken]))))
    taken = [s for s in taken if s["step_id"] in in_force]
    return max(taken, key=lambda s: s["position"])["step_id"] if taken else None
