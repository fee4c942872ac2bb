"""Corrections through ``/api/v1``: an engagement's facts, its severity re-assessments,
cancelling a milestone, correcting a dialogue entry and reading its earlier versions."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from engage import clock
from engage.api.errors import ApiError, commit_unit
from engage.api.routing import operation, paginate
from engage.engagements import corrections, progress
from engage.engagements.api import _ENGAGEMENT_LOADS, load_engagement, load_milestone
from engage.engagements.models import (
    DialogueEntry,
    DialogueRevision,
    Engagement,
    SeverityAssessment,
)
from engage.engagements.schemas import (
    DialogueCorrectionSchema,
    DialogueRevisionSchema,
    DialogueSchema,
    EngagementSchema,
    FactsSchema,
    MilestoneCancelSchema,
    MilestoneSchema,
    SeverityAssessmentCreateSchema,
    SeverityAssessmentSchema,
)
from engage.security import Permission, acting, current_org, one_or_404, require


@operation("PATCH", "/engagements/<id:engagement_id>", tag="engagements",
           summary="Correct an engagement's facts (leads)", body=FactsSchema,
           response=EngagementSchema, partial=True)
def correct_facts(engagement_id, data):
    """Title, issue, rights-holders, trigger; the audit trail keeps the earlier values. The
    severity is re-assessed with POST .../severity-assessments."""
    engagement = load_engagement(engagement_id)
    require(Permission.LEAD_ENGAGEMENT, engagement)
    commit_unit(lambda: corrections.correct_facts(engagement, **acting(), **data))
    return one_or_404(sa.select(Engagement).where(Engagement.id == engagement_id)
                      .options(*_ENGAGEMENT_LOADS, *progress.expressions(clock.today())))


@operation("GET", "/engagements/<id:engagement_id>/severity-assessments", tag="engagements",
           summary="List an engagement's severity re-assessments",
           response=SeverityAssessmentSchema, paginated=True)
def list_severity_assessments(engagement_id, args):
    """Newest first, each with the scores before and after, who, when and why."""
    engagement = load_engagement(engagement_id)
    stmt = (sa.select(SeverityAssessment)
            .where(SeverityAssessment.engagement_id == engagement.id)
            .order_by(SeverityAssessment.assessed_at.desc(), SeverityAssessment.id.desc()))
    return paginate(stmt, args, selectinload(SeverityAssessment.organisation),
                    selectinload(SeverityAssessment.assessed_by))


@operation("POST", "/engagements/<id:engagement_id>/severity-assessments", tag="engagements",
           summary="Re-assess the severity to people (leads)",
           body=SeverityAssessmentCreateSchema, response=SeverityAssessmentSchema, status=201)
def reassess_severity(engagement_id, data):
    """The engagement takes the new scores (every list ordered by severity follows them);
    the earlier ones are kept in the re-assessment."""
    engagement = load_engagement(engagement_id)
    require(Permission.LEAD_ENGAGEMENT, engagement)
    return commit_unit(lambda: corrections.reassess_severity(
        engagement, **acting(), now=clock.now(), **data))


@operation("POST", "/engagements/<id:engagement_id>/milestones/<id:milestone_id>/cancel",
           tag="engagements", summary="Cancel a milestone (leads)", body=MilestoneCancelSchema,
           response=MilestoneSchema)
def cancel_milestone(engagement_id, milestone_id, data):
    """It stays in the record with the reason, out of the sweep and of the progress."""
    milestone = load_milestone(engagement_id, milestone_id)
    require(Permission.LEAD_ENGAGEMENT, milestone)
    return commit_unit(lambda: corrections.cancel_milestone(
        milestone, **acting(), now=clock.now(), **data))


def load_dialogue(engagement_id: int, entry_id: int) -> DialogueEntry:
    return one_or_404(sa.select(DialogueEntry).where(DialogueEntry.id == entry_id,
                                                     DialogueEntry.engagement_id == engagement_id)
                      .options(selectinload(DialogueEntry.organisation),
                               selectinload(DialogueEntry.author)))


@operation("PATCH", "/engagements/<id:engagement_id>/dialogue/<id:entry_id>",
           tag="engagements", summary="Correct a dialogue entry (its organisation)",
           body=DialogueCorrectionSchema, response=DialogueSchema, partial=True,
           errors=(403,))
def correct_dialogue(engagement_id, entry_id, data):
    """The earlier version is kept (GET .../revisions) with who replaced it, when and why."""
    entry = load_dialogue(engagement_id, entry_id)
    require(Permission.PARTICIPATE_ENGAGEMENT, entry)
    if entry.organisation_id != current_org.id:
        raise ApiError(403, "Only the organisation that logged this entry can correct it.")
    data = dict(data)
    reason = data.pop("reason", "")
    return commit_unit(lambda: corrections.correct_dialogue(
        entry, **acting(), now=clock.now(), reason=reason, **data))


@operation("GET", "/engagements/<id:engagement_id>/dialogue/<id:entry_id>/revisions",
           tag="engagements", summary="A dialogue entry's earlier versions",
           response=DialogueRevisionSchema, paginated=True)
def list_dialogue_revisions(engagement_id, entry_id, args):
    """Newest first; seen by whoever sees the entry."""
    entry = load_dialogue(engagement_id, entry_id)
    stmt = (sa.select(DialogueRevision).where(DialogueRevision.dialogue_entry_id == entry.id)
            .order_by(DialogueRevision.replaced_at.desc(), DialogueRevision.id.desc()))
    return paginate(stmt, args, selectinload(DialogueRevision.replaced_by))
