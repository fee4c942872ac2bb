"""Recording a lead's decision on a review: validated, committed, then handed to the
orchestrator (``engage.orchestrator``), or left to the sweep's outbox."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _

from engage import orchestrator
from engage.audit import service as audit
from engage.clock import local_date
from engage.common.forms import FormError, parse_choice
from engage.common.writes import update_where
from engage.engagements.models import Engagement, EngagementParticipant
from engage.engagements.service import participant_role
from engage.escalations.models import (
    CloseOutcome,
    Decision,
    DecisionKind,
    EscalationReview,
    LadderStep,
    ReviewStatus,
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
    today: date | None = None,
) -> Decision:
    """Record the decision, mark the review decided and commit; then ask the orchestrator to
    apply it (without one, or when it is unreachable, the decision stays pending and the
    sweep applies it)."""
    today = today or local_date(now)
    session = db.session
    try:
        with as_organisation(organisation_id):
            decision = _validated(review_id, kind, actor, organisation_id, reason, now, today,
                                  ladder_step_id, new_due_on, close_outcome)
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
               ladder_step_id, new_due_on, close_outcome) -> Decision:
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
        raise DecisionError(_("a decision needs a reason: who decided what, and why"))
    decision = Decision(
        review_id=review.id, engagement_id=review.engagement_id, kind=kind, reason=reason,
        decided_by_id=actor.id, decided_by_organisation_id=organisation_id, decided_at=now,
    )
    if kind != DecisionKind.ESCALATE and ladder_step_id is not None:
        raise DecisionError(_("only an escalation names a ladder step"))
    if kind != DecisionKind.EXTEND and new_due_on is not None:
        raise DecisionError(_("only an extension gives a new date"))
    if kind != DecisionKind.CLOSE and close_outcome is not None:
        raise DecisionError(_("only a closing decision has an outcome"))
    if kind == DecisionKind.ESCALATE:
        decision.ladder_step_id = _step(review.engagement, ladder_step_id).id
    elif kind == DecisionKind.EXTEND:
        if review.milestone_id is None:
            raise DecisionError(_("only a milestone's deadline can be extended; escalate or close"))
        if new_due_on is None or new_due_on <= today:
            raise DecisionError(_("the new date must be after today (%(today)s)",
                                      today=format_date(today)))
        decision.new_due_on = new_due_on
    else:
        decision.close_outcome = parse_choice(close_outcome, CloseOutcome, "close_outcome",
                                              errors)
        if errors:
            raise DecisionError(errors)
    return decision


def _step(engagement: Engagement, ladder_step_id: int | None) -> LadderStep:
    if engagement.ladder_id is None:
        raise DecisionError(_("the engagement has no escalation ladder to escalate on"))
    if ladder_step_id is not None:
        step = db.session.get(LadderStep, ladder_step_id)
        if step is None or step.ladder_id != engagement.ladder_id or step.retired_at is not None:
            raise DecisionError(_("the step is not on this engagement's escalation ladder"))
        return step
    current = engagement.current_step
    # After a retired current step comes whatever now stands at its position or later (the
    # steps were renumbered around it when it left the ladder).
    after = (LadderStep.position > current.position if current and current.retired_at is None
             else LadderStep.position >= current.position if current else sa.true())
    step = db.session.scalar(
        sa.select(LadderStep)
        .where(LadderStep.ladder_id == engagement.ladder_id, after,
               LadderStep.retired_at.is_(None))
        .order_by(LadderStep.position)
        .limit(1))
    if step is None:
        raise DecisionError(_("the engagement is on the last step of its ladder; close it "
                              "instead"))
    return step
