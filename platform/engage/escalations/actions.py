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
)
from engage.escalations import documents, signing
from engage.escalations.models import (
    Decision,
    DivestmentReview,
    EscalationTask,
    LadderStep,
    StepKind,
    TaskStatus,
)
from engage.extensions import db
from engage.votes.models import Vote, VoteInstruction, VoteStatus

LETTER_KINDS = {StepKind.LETTER_TO_BOARD, StepKind.PUBLIC_STATEMENT}
VOTE_ITEMS = {
    StepKind.VOTE_AGAINST_DIRECTORS: "Re-election of the directors responsible for {issue}",
    StepKind.VOTE_AGAINST_ANNUAL_REPORT: "Adoption of the annual report and accounts",
}
# Step kind -> (task title, days until due). Each title names what the owner must do.
TASKS = {
    StepKind.MEETING_WITH_BOARD: ("Request a meeting with the board or its chair of {company}", 30),
    StepKind.WIDEN_COALITION: ("Invite further investors to join the engagement with {company}", 60),
    StepKind.NOMINATE_DIRECTOR: ("Prepare a nomination for election to the board of {company}", 60),
    StepKind.LEGAL_ACTION: ("Take legal advice on remedies against {company}", 30),
    StepKind.REDUCE_EXPOSURE: (
        "Consider reducing exposure to {company} (each investor decides on its own holdings)", 30),
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
            "item": item, "instruction": VoteInstruction.AGAINST,
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
    template, days = TASKS[step.kind]
    title = template.format(company=engagement.company.name)[:300]
    due_on = today + timedelta(days=days)
    task_id = insert_if_absent(EscalationTask, {
        "decision_id": decision.id, "engagement_id": engagement.id, "kind": step.kind,
        "title": title, "description": step.description or "",
        "owner_organisation_id": decision.decided_by_organisation_id,
        "owner_user_id": decision.decided_by_id, "due_on": due_on,
        "status": TaskStatus.OPEN, "created_at": now,
    })
    if task_id is None:
        return "task already open"
    signals.task_assigned.send(task_id, engagement=engagement,
                               organisation_id=decision.decided_by_organisation_id, title=title,
                               due_on=due_on, reason=decision.reason, now=now)
    return f"task {task_id}: {title}"
