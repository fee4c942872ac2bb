"""What each escalation step does once the leads decide to take it.

Every effect is an insert-if-absent keyed by the decision, so applying a decision twice
has one effect. Nothing here sells or votes on anyone's behalf: a vote is a request that
each organisation decides for itself (no block voting), divestment is a review. Each new
effect is announced (:mod:`engage.signals`); its receivers tell the people concerned.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from engage import signals
from engage.common.writes import insert_if_absent
from engage.engagements.models import (
    Engagement,
    EngagementParticipant,
    Letter,
    LetterKind,
    Milestone,
    Objective,
    ObjectiveStatus,
)
from engage.companies.queries import holders_among
from engage.escalations import documents, signing
from engage.escalations.models import (
    Decision,
    DivestmentConclusion,
    DivestmentReview,
    EscalationTask,
    LadderStep,
    StepKind,
    TaskStatus,
)
from engage.extensions import db
from engage.votes.models import Vote, VoteInstruction, VoteItemKind, VoteStatus

LETTER_KINDS = {StepKind.LETTER_TO_BOARD, StepKind.PUBLIC_STATEMENT}
VOTE_ITEMS = {
    StepKind.VOTE_AGAINST_DIRECTORS: "Re-election of the directors responsible for {issue}",
    StepKind.VOTE_AGAINST_ANNUAL_REPORT: "Adoption of the annual report and accounts",
}
VOTE_ITEM_KINDS = {
    StepKind.VOTE_AGAINST_DIRECTORS: VoteItemKind.DIRECTORS,
    StepKind.VOTE_AGAINST_ANNUAL_REPORT: VoteItemKind.REPORT,
}
# Step kind -> (task title, days until due). Each title names what the owner must do.
TASKS = {
    StepKind.MEETING_WITH_BOARD: ("Request a meeting with the board or its chair of {company}", 30),
    StepKind.WIDEN_COALITION: ("Invite further investors to join the engagement with {company}", 60),
    StepKind.NOMINATE_DIRECTOR: ("Prepare a nomination for election to the board of {company}", 60),
    StepKind.LEGAL_ACTION: ("Take legal advice on remedies against {company}", 30),
    StepKind.REDUCE_EXPOSURE: (
        "Decide whether to reduce your exposure to {company} (your organisation's own "
        "decision on its own holding)", 30),
}
# Reduce exposure when no participant has recorded a holding in the company: the lead asks.
ASK_HOLDERS = ("Ask each participant to check its holding in {company} and decide whether to "
               "reduce its exposure (no participant has recorded a holding)", 30)
# A divestment review's conclusion -> the task of each organisation holding the company.
LEAVE_TASKS = {
    DivestmentConclusion.DIVEST: (
        "Divest from {company} until the re-entry criteria are met (sell the position, or ask "
        "the fund manager to exclude it)", 30),
    DivestmentConclusion.REDUCE_EXPOSURE: (
        "Reduce your exposure to {company} until the re-entry criteria are met (or ask the "
        "fund manager to)", 30),
}
# The OECD question the study asks before any decision to divest, and what answering it needs.
DIVESTMENT_QUESTIONS = (
    "When is divestment responsible and when can it be harmful? Could divesting harm the "
    "people affected (workers, communities) rather than help them?\n"
    "What leverage is left: alone, with other investors, through voting or the board?\n"
    "What is the impact of staying engaged compared with leaving (\"business as is\" and "
    "\"divestment\") on the rights of the people affected?\n"
    "Divestment is the last resort of the escalation strategy, and may be temporary "
    "\"until the company has improved its practices\"."
)


def look_again_questions(re_entry_criteria: str, look_again_on: date) -> str:
    """The questions of the review the sweep opens on a divestment's date to look again."""
    return (f"The holders divested or reduced their exposure until the company had improved; "
            f"the leads look again on {look_again_on.isoformat()}.\n"
            f"Re-entry criteria: {re_entry_criteria}\n"
            "Has the company met them? If so, conclude \"stay engaged\": the engagement goes "
            "back to its escalation ladder and the holders may invest again. If not, conclude "
            "again, with the criteria and a new date to look again.\n"
            + DIVESTMENT_QUESTIONS)


AGM_FALLBACK = (6, 30)  # 30 June
AGM_MIN_NOTICE_DAYS = 30


def next_agm(company_next_agm_on: date | None, today: date) -> date:
    """The company's next AGM; when it is not known, the next 30 June at least 30 days away.

    Most European companies with a calendar financial year hold their AGM by the end of
    June; the lead corrects the date once the meeting is convened.
    """
    if company_next_agm_on and company_next_agm_on >= today:
        return company_next_agm_on
    earliest = today + timedelta(days=AGM_MIN_NOTICE_DAYS)
    candidate = date(earliest.year, *AGM_FALLBACK)
    return candidate if candidate >= earliest else date(earliest.year + 1, *AGM_FALLBACK)


def take_step(decision: Decision, step: LadderStep, engagement: Engagement, now: datetime, today: date) -> str:
    """Carry out ``step`` for ``decision``; returns a one-line description of the effect."""
    if step.kind in LETTER_KINDS:
        return _letter(decision, step, engagement, now, today)
    if step.kind in documents.DRAFTED:  # an AGM question, a resolution
        return documents.draft(decision, step, engagement, now, today)
    if step.kind in VOTE_ITEMS:
        return _votes(decision, step, engagement, now, today)
    if step.kind == StepKind.DIVESTMENT_REVIEW:
        return _divestment_review(decision, engagement, now)
    return _task(decision, step, engagement, now, today)


def _letter(decision, step, engagement, now, today) -> str:
    """A draft for the leads to edit, in the deciding user's language (English unless they
    read Engage in Dutch), signed by the deciding user as the contact. Nobody signs it
    until a lead opens it for signing (engage.escalations.signing)."""
    exists = db.session.scalar(sa.select(Letter.id).where(Letter.decision_id == decision.id))
    if exists:
        return f"letter {exists} already drafted"
    letter_id = signing.new_draft(decision, step, engagement, LetterKind(step.kind.value), now,
                                  today)
    if letter_id is None:
        return "letter already drafted"
    return f"letter {letter_id} drafted for the leads to edit and open for signing"


def _votes(decision, step, engagement, now, today) -> str:
    agm_on = next_agm(engagement.company.next_agm_on, today)
    item = VOTE_ITEMS[step.kind].format(issue=engagement.issue.strip().rstrip("."))[:300]
    orgs = db.session.scalars(
        sa.select(EngagementParticipant.organisation_id)
        .where(EngagementParticipant.engagement_id == engagement.id)
        .order_by(EngagementParticipant.organisation_id)
    ).all()
    created = 0
    for org_id in orgs:
        vote_id = insert_if_absent(Vote, {
            "organisation_id": org_id, "company_id": engagement.company_id,
            "engagement_id": engagement.id, "decision_id": decision.id, "agm_on": agm_on,
            "item": item, "item_kind": VOTE_ITEM_KINDS[step.kind],
            "instruction": VoteInstruction.AGAINST,
            "requested_instruction": VoteInstruction.AGAINST, "status": VoteStatus.PROPOSED,
            # Empty: the rationale is the organisation's own, written when it decides its
            # vote (the ask and its reason stay with the decision).
            "rationale": "",
            "created_at": now,
        })
        if vote_id is None:
            continue
        created += 1
        signals.vote_requested.send(vote_id, engagement=engagement, organisation_id=org_id,
                                    item=item, agm_on=agm_on, now=now)
    return f"{created} voting request(s) for the AGM of {agm_on}"


def _divestment_review(decision, engagement, now) -> str:
    review_id = insert_if_absent(DivestmentReview, {
        "decision_id": decision.id, "engagement_id": engagement.id,
        "questions": DIVESTMENT_QUESTIONS, "created_at": now,
    })
    if review_id is None:
        return "divestment review already open"
    signals.divestment_review_opened.send(review_id, engagement=engagement, now=now)
    return f"divestment review {review_id} opened"


def _task(decision, step, engagement, now, today) -> str:
    if step.kind == StepKind.REDUCE_EXPOSURE:
        return _reduce_exposure(decision, step, engagement, now, today)
    template, days = TASKS[step.kind]
    title = template.format(company=engagement.company.name)[:300]
    description = (meeting_agenda(engagement, step, decision) if step.kind == StepKind.MEETING_WITH_BOARD
                   else step.description or "")
    created = _give_task(decision, engagement, step.kind, title, description,
                         decision.decided_by_organisation_id, decision.decided_by_id,
                         today + timedelta(days=days), now, reason=decision.reason)
    return f"task {created}: {title}" if created else "task already open"


def _reduce_exposure(decision, step, engagement, now, today) -> str:
    """One task per participant organisation that holds the company, each told; its
    position stays private (the task names no amount). With no holding recorded, the lead
    is asked to have the participants check theirs."""
    template, days = TASKS[step.kind]
    due_on = today + timedelta(days=days)
    holders = holders_among(engagement.company_id, _participants(engagement.id))
    if not holders:
        template, days = ASK_HOLDERS
        title = template.format(company=engagement.company.name)[:300]
        created = _give_task(decision, engagement, step.kind, title, step.description or "",
                             decision.decided_by_organisation_id, decision.decided_by_id,
                             today + timedelta(days=days), now, reason=decision.reason)
        return f"task {created}: {title}" if created else "task already open"
    title = template.format(company=engagement.company.name)[:300]
    created = [task_id for org_id in holders
               if (task_id := _give_task(
                   decision, engagement, step.kind, title, step.description or "", org_id,
                   decision.decided_by_id if org_id == decision.decided_by_organisation_id
                   else None, due_on, now, reason=decision.reason))]
    return f"{len(created)} reduce-exposure task(s) for {len(holders)} holder(s)"


def conclude_divestment(review: DivestmentReview, engagement: Engagement, *,
                        organisation_id: int, now: datetime, today: date) -> int:
    """What a concluded divestment review does: divest or reduce exposure gives each
    participant organisation holding the company a task (each told, once); with no holding
    recorded, the lead who concluded it is asked to have the participants check theirs.
    Returns how many tasks were created."""
    conclusion = DivestmentConclusion(review.conclusion)
    if conclusion not in LEAVE_TASKS:
        return 0
    template, days = LEAVE_TASKS[conclusion]
    holders = holders_among(engagement.company_id, _participants(engagement.id))
    title = template.format(company=engagement.company.name)[:300]
    description = (f"Re-entry criteria: {review.re_entry_criteria}\n"
                   f"The leads look again on {review.look_again_on.isoformat()}.")
    reason = (f"Divestment review {review.id} concluded: {conclusion.value.replace('_', ' ')}. "
              f"Re-entry criteria: {review.re_entry_criteria}")
    if not holders:
        template, _days = ASK_HOLDERS
        holders = [organisation_id]
        title = template.format(company=engagement.company.name)[:300]
    created = 0
    for org_id in holders:
        if _give_task(None, engagement, StepKind.DIVESTMENT_REVIEW, title, description, org_id,
                      None, today + timedelta(days=days), now, reason=reason,
                      divestment_review_id=review.id):
            created += 1
    return created


def _participants(engagement_id: int) -> list[int]:
    return db.session.scalars(
        sa.select(EngagementParticipant.organisation_id)
        .where(EngagementParticipant.engagement_id == engagement_id)
        .order_by(EngagementParticipant.organisation_id)).all()


def _give_task(decision, engagement, kind, title, description, org_id, user_id, due_on, now, *,
               reason: str, divestment_review_id: int | None = None) -> int | None:
    """Insert the task unless it exists (per decision, kind and owner; or per divestment
    review and owner) and tell the owner's people; its id, or None when it existed."""
    task_id = insert_if_absent(EscalationTask, {
        "decision_id": decision.id if decision else None, "engagement_id": engagement.id,
        "divestment_review_id": divestment_review_id, "kind": kind, "title": title,
        "description": description, "owner_organisation_id": org_id, "owner_user_id": user_id,
        "due_on": due_on, "status": TaskStatus.OPEN, "created_at": now,
    })
    if task_id is not None:
        signals.task_assigned.send(task_id, engagement=engagement, organisation_id=org_id,
                                   title=title, due_on=due_on, reason=reason, now=now)
    return task_id


def meeting_agenda(engagement: Engagement, step: LadderStep, decision: Decision) -> str:
    """The agenda the lead takes to the board: the concern, what the company is still asked
    to do (the open objectives), the deadlines it missed, and what the step asks of the
    members."""
    objectives = db.session.scalars(
        sa.select(Objective).where(Objective.engagement_id == engagement.id,
                                   Objective.status == ObjectiveStatus.OPEN)
        .order_by(Objective.id)).all()
    missed = db.session.scalars(
        sa.select(Milestone).where(Milestone.engagement_id == engagement.id,
                                   Milestone.met_on.is_(None))
        .order_by(Milestone.due_on, Milestone.id)).all()
    review = decision.review
    lines = [f"Agenda for the meeting with the board of {engagement.company.name}",
             f"1. The concern: {engagement.issue.strip()}"]
    if objectives:
        lines.append("2. What we ask of the company:")
        lines += [f"   - {o.description.strip()}" for o in objectives]
    else:
        lines.append("2. What we ask of the company: the leads state the objectives.")
    if missed:
        lines.append("3. Where it stands:")
        lines += [f"   - {m.title} (due {m.due_on.isoformat()}, not yet met)"
                  + (" - the deadline this review was about" if review and review.milestone_id == m.id else "")
                  for m in missed]
    else:
        lines.append("3. Where it stands: no open milestone.")
    lines.append("4. What this step asks of the members: "
                 + (step.description.strip() or "a meeting with the board or its chair."))
    lines.append("5. What happens next: the company's commitments, with dates; the next step "
                 "of the escalation ladder if they are not met.")
    return "\n".join(lines)
