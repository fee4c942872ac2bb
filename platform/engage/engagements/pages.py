"""The engagements blueprint and what its pages and actions share: loading an engagement,
the engagement page's context (its sections in one statement, the timeline) and drawing
the page again, e.g. with a form's messages.

The list and the "new engagement" page are in :mod:`engage.engagements.views`, the page's
actions (milestones, dialogue, signing on, co-signing, tasks, the divestment review) in
:mod:`engage.engagements.actions`; both add their routes to :data:`bp` and import this
module, never each other.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request
from sqlalchemy.orm import joinedload, selectinload

from engage import clock, render_cache
from engage.attachments import pages as attachment_pages
from engage.attachments.models import Attachment
from engage.common.paging import current_page
from engage.common.sections import Section, load_sections
from engage.engagements import invitations, labels, progress, timeline
from engage.engagements.models import (
    PARTICIPANT_ORDER,
    Engagement,
    EngagementParticipant,
    EngagementStatus,
    Letter,
    LetterDecline,
    Milestone,
    Note,
    Objective,
    SeverityAssessment,
    Signature,
)
from engage.companies.models import Holding
from engage.engagements.service import sign_on_role
from engage.escalations import followup
from engage.escalations.models import Decision, DecisionKind, DivestmentReview, EscalationLadder
from engage.escalations.models import EscalationReview, EscalationTask
from engage.extensions import db
from engage.security import Permission, can, current_org
from engage.votes.models import Vote

bp = Blueprint("engagements", __name__, url_prefix="/engagements")


@bp.context_processor
def _labels() -> dict[str, Any]:
    return labels.context()


def load_engagement(engagement_id: int) -> Engagement:
    """The engagement with what its page heads with: the company and the escalation ladder."""
    engagement = db.session.execute(
        sa.select(Engagement).where(Engagement.id == engagement_id)
        .options(joinedload(Engagement.company),
                 joinedload(Engagement.ladder).joinedload(EscalationLadder.steps))
    ).unique().scalar_one_or_none()
    if engagement is None:
        abort(404)
    return engagement



def timeline_context(engagement: Engagement) -> dict[str, Any]:
    page = current_page()
    items, total = timeline.page(engagement.id, limit=page.size, offset=page.offset)
    return {"timeline": items, "timeline_page": page.number, "timeline_pages": page.count(total),
            "timeline_total": total}


def letters_of(engagement_id: int, letter_id: int | None = None) -> list[Letter]:
    query = (sa.select(Letter).where(Letter.engagement_id == engagement_id)
             .options(selectinload(Letter.signatures).selectinload(Signature.organisation),
                      selectinload(Letter.declines).selectinload(LetterDecline.organisation))
             .order_by(Letter.id.desc()))
    if letter_id is not None:
        query = query.where(Letter.id == letter_id)
    return db.session.scalars(query).all()


def _sections(engagement_id: int) -> dict[str, list[Any]]:
    """The page's lists, in one statement (engage.common.sections); tenancy applies to each,
    so the votes are this organisation's own and private rows stay private."""
    def of(model: type, *order_by: Any, options: tuple = (), collections: bool = False):
        return Section(model, model.engagement_id == engagement_id, order_by, options,
                       collections)

    return load_sections({
        "participants": of(EngagementParticipant, *PARTICIPANT_ORDER,
                           options=(joinedload(EngagementParticipant.organisation),)),
        "objectives": of(Objective, Objective.id),
        "severity_assessments": of(SeverityAssessment, SeverityAssessment.assessed_at.desc(),
                                   SeverityAssessment.id.desc(),
                                   options=(joinedload(SeverityAssessment.organisation),
                                            joinedload(SeverityAssessment.assessed_by))),
        "milestones": of(Milestone, Milestone.due_on, Milestone.id),
        "reviews": of(EscalationReview, EscalationReview.opened_at.desc(), EscalationReview.id,
                      options=(joinedload(EscalationReview.decision)
                               .joinedload(Decision.ladder_step),
                               joinedload(EscalationReview.milestone))),
        "letters": of(Letter, Letter.id.desc(),
                      options=(joinedload(Letter.signatures).joinedload(Signature.organisation),
                               joinedload(Letter.declines).joinedload(LetterDecline.organisation)),
                      collections=True),
        "tasks": of(EscalationTask, EscalationTask.due_on, EscalationTask.id,
                    options=(joinedload(EscalationTask.owner_organisation),
                             joinedload(EscalationTask.owner_user))),
        "votes": of(Vote, Vote.agm_on, Vote.id),
        "divestment_reviews": of(DivestmentReview, DivestmentReview.id),
        # The organisation's own private notes (OrgPrivate: never another's).
        "notes": of(Note, Note.created_at.desc(), Note.id.desc(),
                    options=(joinedload(Note.author),)),
        # Files on dialogue, milestones and letters, as their rows are seen.
        "attachments": of(Attachment, Attachment.created_at, Attachment.id,
                          options=(joinedload(Attachment.organisation),)),
    })


def page_context(engagement: Engagement) -> dict[str, Any]:
    """Everything the engagement page shows: the same few statements whatever the data —
    the engagement with its company and ladder (load_engagement), the lists in one, the
    timeline page in one, and (for an organisation not taking part) what it may sign on as."""
    sections = _sections(engagement.id)
    attachment_pages.remember(engagement.id, sections["attachments"])
    org_id = current_org.id
    role = next((p.role for p in sections["participants"] if p.organisation_id == org_id), None)
    may_lead = can(Permission.LEAD_ENGAGEMENT, engagement, role=role)
    return {
        "engagement": engagement,
        **sections,
        "progress": progress.of_engagement(engagement, sections["milestones"],
                                           sections["reviews"], clock.today()),
        # What the decision form shows was tried before: the escalation steps taken so far.
        "tried": sorted((r.decision for r in sections["reviews"]
                         if r.decision is not None and r.decision.ladder_step is not None),
                        key=lambda d: (d.decided_at, d.id)),
        "ladder": engagement.ladder,
        "next_step_id": next_step_id(engagement, (r.decision for r in sections["reviews"]
                                                   if r.decision is not None)),
        # What the decision form weighs besides severity: the business relationship, as
        # this organisation's own latest holding in the company (others' stay private).
        "my_holding": own_holding(engagement.company_id) if may_lead else None,
        "my_role": role,
        "may_decide": may_lead,
        "may_lead": may_lead,
        "may_participate": can(Permission.PARTICIPATE_ENGAGEMENT, engagement, role=role),
        "may_sign_on": _may_sign_on(engagement, role),
        **invitations.participation_context(engagement, role, org_id),
        "may_write": can(Permission.WRITE),
        "engagement_id": engagement.id,
        "may_complete": functools.partial(followup.may_complete, role=role),
        "errors": {},
        "values": {},
        **timeline_context(engagement),
    }


def next_step_id(engagement: Engagement, decisions: Iterable[Decision] = ()) -> int | None:
    """The step an escalation goes to unless the leads choose another, from the ladder the
    page has loaded (as ``escalations.decisions.next_step`` finds it in the database): the
    one after the current step, or after a later step among ``decisions`` (the engagement's,
    as the page loaded them) that an escalation took and the workflow has yet to carry out."""
    from engage.escalations.decisions import WAITING

    ladder = engagement.ladder
    if ladder is None or not ladder.steps:
        return None
    standing = engagement.current_step if engagement.current_step_id is not None else None
    waiting = max((d for d in decisions
                   if d.kind == DecisionKind.ESCALATE and d.apply_status in WAITING
                   and d.ladder_step is not None),
                  key=lambda d: (d.decided_at, d.id), default=None)
    if waiting is not None and (standing is None
                                or waiting.ladder_step.position > standing.position):
        standing = waiting.ladder_step
    if standing is None:
        return ladder.steps[0].id
    if standing.retired_at is None:
        after = [s for s in ladder.steps if s.position > standing.position]
    else:  # retired: whatever now stands at its position or later
        after = [s for s in ladder.steps if s.position >= standing.position]
    return after[0].id if after else None


def own_holding(company_id: int) -> Holding | None:
    """This organisation's latest holding in the company (tenancy shows its own only)."""
    return db.session.scalar(
        sa.select(Holding).where(Holding.company_id == company_id)
        .order_by(Holding.valued_on.desc(), Holding.id.desc()).limit(1))


def _may_sign_on(engagement: Engagement, role: Any) -> bool:
    """An organisation not taking part may sign on to an active engagement of its initiative."""
    return (role is None and can(Permission.WRITE)
            and engagement.status == EngagementStatus.ACTIVE
            and sign_on_role(engagement, current_org.id) is not None)


def participants_context(engagement: Engagement, **overrides: Any) -> dict[str, Any]:
    """What the participants section draws (its own list, not the whole page's)."""
    participants = db.session.scalars(
        sa.select(EngagementParticipant)
        .where(EngagementParticipant.engagement_id == engagement.id)
        .options(joinedload(EngagementParticipant.organisation))
        .order_by(*PARTICIPANT_ORDER)).all()
    role = next((p.role for p in participants if p.organisation_id == current_org.id), None)
    context = {"engagement": engagement, "participants": participants,
               "may_sign_on": _may_sign_on(engagement, role), "errors": {}, "values": {},
               **invitations.participation_context(engagement, role, current_org.id)}
    context.update(overrides)
    return context


def draw_page(engagement: Engagement, **overrides: Any) -> str:
    """The engagement page, e.g. again with a form's messages and what was typed (also from
    another blueprint's view, hence the labels given here)."""
    context = {**labels.context(), **page_context(engagement)}
    context.update(overrides)
    return render_template("engagements/show.html", **context)


def render_page(engagement: Engagement, status: int = 200, **overrides: Any):
    """The page; as it stands (no form's messages, a GET) from the render cache, keyed by
    the engagement, the query string (the timeline's page) and the standard key."""
    if overrides or status != 200 or request.method != "GET":
        return draw_page(engagement, **overrides), status

    def draw() -> str:
        return render_template("engagements/_page.html",
                               **{**labels.context(), **page_context(engagement)})

    content = render_cache.fragment(
        "engagement", (engagement.id, request.endpoint, tuple(sorted(request.args.items(multi=True)))),
        draw)
    return render_template("engagements/show.html", engagement=engagement,
                           content=content), status
