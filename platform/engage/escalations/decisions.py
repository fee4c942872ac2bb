"""Recording a lead's decision on a review: validated, committed, then handed to the
orchestrator (``engage.orchestrator``), or left to the sweep's outbox."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _

from engage import orchestrator
from engage.audit import service as audit
from engage.clock import local_date
from engage.common.labels import label
from engage.common.forms import FormError, parse_choice
from engage.common.writes import update_where
from engage.engagements.models import Engagement, EngagementParticipant
from engage.engagements.service import participant_role
from engage.escalations.models import (
    ApplyStatus,
    CloseOutcome,
    Decision,
    DecisionKind,
    EscalationReview,
    LadderStep,
    ReviewStatus,
    StepKind,
)
from engage.extensions import db
from engage.organisations.models import OrgMembership, User
from engage.tenancy import as_organisation, system_scope


class DecisionError(FormError):
    """The decision cannot be recorded as given; the message says why. Nothing was written.
    A form error like the others, so the decision form is shown again with what was typed."""


class NotALead(DecisionError):
    """Only the lead and co-lead organisations of an engagement decide its reviews."""


class ReviewNotOpen(DecisionError):
    """The review does not exist for this organisation, or it has been decided already."""


def record_decision(
    review_id: int,
    kind: DecisionKind | str,
    *,
    actor: User,
    organisation_id: int,
    reason: str,
    now: datetime,
    ladder_step_id: int | None = None,
    new_due_on: date | None = None,
    close_outcome: CloseOutcome | str | None = None,
    skip_reason: str | None = None,
    today: date | None = None,
) -> Decision:
    """Record the decision, mark the review decided and commit; then ask the orchestrator to
    apply it (without one, or when it is unreachable, the decision stays pending and the
    sweep applies it).

    Escalating past the next step of the ladder, or to a last-resort step (reducing
    exposure, the divestment review), needs ``skip_reason``: the study's flowchart leaves
    divestment for when leverage is exhausted. Every decision records the escalation steps
    taken before it (``Decision.earlier_steps``)."""
    today = today or local_date(now)
    session = db.session
    try:
        with as_organisation(organisation_id):
            decision = _validated(review_id, kind, actor, organisation_id, reason, now, today,
                                  ladder_step_id, new_due_on, close_outcome, skip_reason)
            audit.set_actor(actor.id)
            session.add(decision)
            session.flush()
            if not update_where(EscalationReview, review_id,
                                EscalationReview.status == ReviewStatus.OPEN,
                                {"status": ReviewStatus.DECIDED}):
                raise ReviewNotOpen(_("review %(id)s has been decided already", id=review_id))
            session.commit()
            session.refresh(decision)
    except BaseException:
        session.rollback()
        raise
    finally:
        audit.set_actor(None)
    if send_to_orchestrator(decision.id):
        # Recording the flow run switched the session's scope, which empties the identity
        # map: load the decision again (with its flow run) for the caller to show.
        with as_organisation(organisation_id):
            decision = session.get(Decision, decision.id)
    return decision


def send_to_orchestrator(decision_id: int) -> str | None:
    """Ask the installed orchestrator to apply a committed decision and keep its run's id on
    the decision (the decision page links it); None when nobody took it (the outbox will)."""
    run_id = orchestrator.request_apply(decision_id)
    if run_id:
        with system_scope("apply request"):
            update_where(Decision, decision_id, Decision.flow_run_id.is_(None),
                         {"flow_run_id": run_id})
            db.session.commit()
    return run_id


def _validated(review_id, kind, actor, organisation_id, reason, now, today,
               ladder_step_id, new_due_on, close_outcome, skip_reason) -> Decision:
    session = db.session
    errors: dict[str, str] = {}
    kind = parse_choice(kind, DecisionKind, "kind", errors)
    if errors:
        raise DecisionError(errors)
    member_of = session.scalar(
        sa.select(OrgMembership.organisation_id).where(OrgMembership.user_id == actor.id))
    if member_of != organisation_id:
        raise NotALead(_("%(email)s does not act for organisation %(id)s", email=actor.email,
                         id=organisation_id))
    review = session.get(EscalationReview, review_id)
    if review is None:
        raise ReviewNotOpen(_("there is no review %(id)s for this organisation", id=review_id))
    role = participant_role(review.engagement_id, organisation_id)
    if role not in EngagementParticipant.LEAD_ROLES:
        raise NotALead(_("only the lead and co-lead organisations of the engagement decide "
                         "reviews"))
    if review.status != ReviewStatus.OPEN:
        raise ReviewNotOpen(_("review %(id)s has been decided already", id=review_id))
    reason = (reason or "").strip()
    if not reason:
        raise DecisionError({"reason": _("a decision needs a reason: who decided what, and why")})
    skip_reason = (skip_reason or "").strip()
    decision = Decision(
        review_id=review.id, engagement_id=review.engagement_id, kind=kind, reason=reason,
        decided_by_id=actor.id, decided_by_organisation_id=organisation_id, decided_at=now,
        earlier_steps=earlier_steps(review.engagement_id),
    )
    if kind != DecisionKind.ESCALATE and ladder_step_id is not None:
        raise DecisionError(_("only an escalation names a ladder step"))
    if kind != DecisionKind.EXTEND and new_due_on is not None:
        raise DecisionError(_("only an extension gives a new date"))
    if kind != DecisionKind.CLOSE and close_outcome is not None:
        raise DecisionError(_("only a closing decision has an outcome"))
    if kind == DecisionKind.ESCALATE:
        step = _step(review.engagement, ladder_step_id)
        decision.ladder_step_id = step.id
        why = needs_skip_reason(review.engagement, step)
        if why and not skip_reason:
            raise DecisionError({"skip_reason": why})
        decision.skip_reason = skip_reason if why else ""
    elif kind == DecisionKind.EXTEND:
        if review.milestone_id is None:
            raise DecisionError(_("only a milestone's deadline can be extended; escalate or close"))
        if new_due_on is None or new_due_on <= today:
            raise DecisionError({"new_due_on": _("the new date must be after today (%(today)s)",
                                                 today=format_date(today))})
        decision.new_due_on = new_due_on
    else:
        decision.close_outcome = parse_choice(close_outcome, CloseOutcome, "close_outcome",
                                              errors)
        if errors:
            raise DecisionError(errors)
    return decision


# The last resort of the study's escalation strategy: "reducing exposure in the company or
# completely divesting", only once the leverage of the milder steps is exhausted.
LAST_RESORT = (StepKind.REDUCE_EXPOSURE, StepKind.DIVESTMENT_REVIEW)
# A decision the workflow has yet to carry out (or is carrying out).
WAITING = (ApplyStatus.PENDING, ApplyStatus.RUNNING)


def needs_skip_reason(engagement: Engagement, step: LadderStep) -> str:
    """Why escalating to ``step`` needs its own reason (the message to show), or ""."""
    if step.kind in LAST_RESORT:
        return _("Say why the leverage of the milder steps is exhausted: the study leaves "
                 "reducing exposure and divestment for last, with the severity to people and "
                 "the business relationship weighed.")
    following = next_step(engagement)
    if following is not None and step.position > following.position:
        return _("This skips step %(position)d (%(step)s): say why the steps in between "
                 "would not help.", position=following.position,
                 step=label("step_kind", following.kind))
    return ""


def earlier_steps(engagement_id: int) -> list[dict[str, Any]]:
    """The escalation steps decided on the engagement so far, oldest first, as they stand
    now: what a decision records as tried before it."""
    rows = db.session.execute(
        sa.select(Decision.id, Decision.decided_at, Decision.apply_status, LadderStep.id,
                  LadderStep.position, LadderStep.kind, LadderStep.description)
        .join(LadderStep, LadderStep.id == Decision.ladder_step_id)
        .where(Decision.engagement_id == engagement_id, Decision.kind == DecisionKind.ESCALATE)
        .order_by(Decision.decided_at, Decision.id)
    ).all()
    return [{"decision_id": d_id, "step_id": step_id, "position": position,
             "kind": kind.value, "description": description or "",
             "decided_on": local_date(decided_at).isoformat(),
             "applied": status == ApplyStatus.DONE}
            for d_id, decided_at, status, step_id, position, kind, description in rows]


def next_step(engagement: Engagement) -> LadderStep | None:
    """The step after the one the engagement stands on (the first when none): its current
    step, or a later one an escalation decided and the workflow has not yet carried out
    (the step is taken; only its effect waits)."""
    if engagement.ladder_id is None:
        return None
    current = engagement.current_step
    waiting = db.session.scalar(
        sa.select(LadderStep)
        .join(Decision, Decision.ladder_step_id == LadderStep.id)
        .where(Decision.engagement_id == engagement.id, Decision.kind == DecisionKind.ESCALATE,
               Decision.apply_status.in_(WAITING))
        .order_by(Decision.decided_at.desc(), Decision.id.desc())
        .limit(1))
    if waiting is not None and (current is None or waiting.position > current.position):
        current = waiting
    # After a retired current step comes whatever now stands at its position or later (the
    # steps were renumbered around it when it left the ladder).
    after = (LadderStep.position > current.position if current and current.retired_at is None
             else LadderStep.position >= current.position if current else sa.true())
    return db.session.scalar(
        sa.select(LadderStep)
        .where(LadderStep.ladder_id == engagement.ladder_id, after,
               LadderStep.retired_at.is_(None))
        .order_by(LadderStep.position)
        .limit(1))


def _step(engagement: Engagement, ladder_step_id: int | None) -> LadderStep:
    if engagement.ladder_id is None:
        raise DecisionError(_("the engagement has no escalation ladder to escalate on"))
    if ladder_step_id is not None:
        step = db.session.get(LadderStep, ladder_step_id)
        if step is None or step.ladder_id != engagement.ladder_id or step.retired_at is not None:
            raise DecisionError(_("the step is not on this engagement's escalation ladder"))
        return step
    step = next_step(engagement)
    if step is None:
        raise DecisionError(_("the engagement is on the last step of its ladder; close it "
                              "instead"))
    return step
