"""Engagements, their milestones and dialogue in the API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from engage import clock
from engage.api.fields import Id, Int, QueryInt, Str
from engage.api.routing import PageArgs
from engage.api.schemas import CompanyRefSchema, OrganisationRefSchema, UserRefSchema
from engage.engagements import progress
from engage.engagements.models import (
    CompanyLevel,
    DialogueKind,
    DialogueMode,
    EngagementLevel,
    EngagementStatus,
    EngagementTrigger,
    Horizon,
    ObjectiveKind,
    ObjectiveStatus,
    ParticipantRole,
    Visibility,
)

TITLE_MAX = 200
MILESTONE_TITLE_MAX = 300


class ParticipantSchema(Schema):
    organisation = fields.Nested(OrganisationRefSchema, required=True)
    role = fields.Enum(ParticipantRole, by_value=True, required=True)


class ObjectiveSchema(Schema):
    id = fields.Integer(required=True)
    engagement_id = fields.Integer(required=True)
    kind = fields.Enum(ObjectiveKind, by_value=True, required=True, metadata={
        "description": "The insurer's policy (section 8.4): end_impact, provide_remedy, "
                       "prevent_recurrence, transparency; the study's: due_diligence, "
                       "measure_outcomes, stakeholder_voice; or other."})
    description = fields.String(required=True)
    status = fields.Enum(ObjectiveStatus, by_value=True, required=True)
    closed_on = fields.Date(allow_none=True, metadata={
        "description": "The day it was met or abandoned; null while open."})
    reason = fields.String(metadata={"description": "Why it was abandoned (or how met)."})
    created_at = fields.DateTime(required=True)


OBJECTIVE_MAX = 2000


class ObjectiveCreateSchema(Schema):
    kind = fields.Enum(ObjectiveKind, by_value=True, required=True)
    description = Str(OBJECTIVE_MAX, min_length=1, required=True)


class ObjectiveUpdateSchema(Schema):
    """Any of the fields. Closing (met, abandoned) records today; abandoning needs a reason;
    "open" reopens it and clears the day and the reason (the audit trail keeps them)."""

    kind = fields.Enum(ObjectiveKind, by_value=True)
    description = Str(OBJECTIVE_MAX, min_length=1)
    status = fields.Enum(ObjectiveStatus, by_value=True)
    reason = Str(OBJECTIVE_MAX)


class EngagementSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    company = fields.Nested(CompanyRefSchema, required=True)
    initiative_id = fields.Integer(allow_none=True)
    level = fields.Enum(EngagementLevel, by_value=True, required=True)
    trigger = fields.Enum(EngagementTrigger, by_value=True, required=True)
    issue = fields.String(required=True)
    rights_holders = fields.String()
    severity_scale = fields.Integer(required=True)
    severity_scope = fields.Integer(required=True)
    severity_irremediability = fields.Integer(required=True)
    severity = fields.Integer(required=True, metadata={
        "description": "Scale x scope x irremediability: risk to people, 1-125."})
    status = fields.Enum(EngagementStatus, by_value=True, required=True)
    stage = fields.Function(lambda e: progress.stage_for(e), dump_only=True,
                            metadata={"description": (
                                "What the engagement as a whole has reached, 0-4: the lowest "
                                "stage among open milestones (never 4 while one is open); once "
                                "all are met, the lowest among them; 0 with none. An engagement "
                                "closed with no prospect is never at 4.")})
    overdue_milestones = fields.Function(
        lambda e: progress.overdue_for(e, clock.today()), dump_only=True,
        metadata={"description": "Milestones not met and past due (0 once closed)."})
    open_reviews = fields.Function(lambda e: progress.open_reviews_for(e), dump_only=True,
                                   metadata={"description": "Escalation reviews not decided yet."})
    started_on = fields.Date(required=True)
    closed_on = fields.Date(allow_none=True)
    participants = fields.List(fields.Nested(ParticipantSchema), required=True)
    objectives = fields.List(fields.Nested(ObjectiveSchema), required=True)
    created_at = fields.DateTime(required=True)


class EngagementListArgs(PageArgs):
    status = fields.Enum(EngagementStatus, by_value=True, load_default=None)
    level = fields.Enum(EngagementLevel, by_value=True, load_default=None)
    company_id = QueryInt(minimum=1, load_default=None)
    initiative_id = QueryInt(minimum=1, load_default=None)
    q = Str(100, load_default=None, metadata={"description": "Part of the title or issue."})


def _severity() -> Int:
    return Int(minimum=1, maximum=5, required=True)


class EngagementCreateSchema(Schema):
    """A new engagement; your organisation becomes its lead. In an initiative, only its
    coordinator or an admitted lead or co-lead member may start one."""

    company_id = Id(required=True)
    initiative_id = Id(load_default=None, allow_none=True,
                       metadata={"description": "None for a direct engagement."})
    level = fields.Enum(EngagementLevel, by_value=True, load_default=None, allow_none=True,
                        metadata={"description": "direct or outsourced without an initiative."})
    title = Str(TITLE_MAX, min_length=1, required=True)
    issue = Str(min_length=1, required=True)
    rights_holders = Str(load_default="")
    trigger = fields.Enum(EngagementTrigger, by_value=True, required=True)
    severity_scale = _severity()
    severity_scope = _severity()
    severity_irremediability = _severity()
    started_on = fields.Date(required=True)
    objective = Str(OBJECTIVE_MAX, load_default="", metadata={
        "description": "A first objective (with objective_kind); or give objectives."})
    objective_kind = fields.Enum(ObjectiveKind, by_value=True, load_default=None, allow_none=True)
    objectives = fields.List(fields.Nested(ObjectiveCreateSchema), load_default=list,
                             validate=validate.Length(max=20))
    milestone_title = Str(MILESTONE_TITLE_MAX, load_default="")
    milestone_due_on = fields.Date(load_default=None, allow_none=True)


class MilestoneSchema(Schema):
    id = fields.Integer(required=True)
    engagement_id = fields.Integer(required=True)
    objective_id = fields.Integer(allow_none=True)
    title = fields.String(required=True)
    horizon = fields.Enum(Horizon, by_value=True, required=True)
    due_on = fields.Date(required=True)
    stage = fields.Integer(required=True, metadata={
        "description": "0 not started, 1 concern raised, 2 acknowledged, 3 credible plan, "
                       "4 implemented and outcome for people verified."})
    stage_label = fields.String(required=True)
    met_on = fields.Date(allow_none=True)
    evidence = fields.String()
    outcome_for_people = fields.String()
    deadline_version = fields.Integer(required=True)
    cancelled_on = fields.Date(allow_none=True, metadata={
        "description": "Set when cancelled: out of the sweep and the progress, kept here."})
    cancel_reason = fields.String()


class MilestoneCreateSchema(Schema):
    title = Str(MILESTONE_TITLE_MAX, min_length=1, required=True)
    due_on = fields.Date(required=True)
    horizon = fields.Enum(Horizon, by_value=True, load_default=Horizon.SHORT)
    objective_id = Id(load_default=None, allow_none=True)


class MilestoneUpdateSchema(Schema):
    """Any of the fields; a new due date is a new deadline (its version goes up)."""

    title = Str(MILESTONE_TITLE_MAX, min_length=1)
    due_on = fields.Date()
    stage = Int(minimum=0, maximum=4)
    met_on = fields.Date(allow_none=True)
    evidence = Str()
    outcome_for_people = Str()
    objective_id = Id(allow_none=True, metadata={
        "description": "The objective the milestone serves; null for none."})


class DialogueSchema(Schema):
    id = fields.Integer(required=True)
    engagement_id = fields.Integer(required=True)
    organisation = fields.Nested(OrganisationRefSchema, required=True)
    author = fields.Nested(UserRefSchema, allow_none=True)
    kind = fields.Enum(DialogueKind, by_value=True, required=True)
    occurred_on = fields.Date(required=True)
    participants = fields.String()
    summary = fields.String(required=True)
    outcome = fields.String()
    visibility = fields.Enum(Visibility, by_value=True, required=True)
    company_level = fields.Enum(CompanyLevel, by_value=True, allow_none=True, metadata={
        "description": "Who at the company took part."})
    mode = fields.Enum(DialogueMode, by_value=True, allow_none=True)
    follow_up = fields.String(metadata={"description": "The follow-up agreed."})
    edited_at = fields.DateTime(allow_none=True, metadata={
        "description": "Set once corrected; the earlier versions are at .../revisions."})
    created_at = fields.DateTime(required=True)


class DialogueListArgs(PageArgs):
    kind = fields.Enum(DialogueKind, by_value=True, load_default=None)


class DialogueCreateSchema(Schema):
    """Log dialogue that has taken place; "private" entries are seen by your organisation only."""

    kind = fields.Enum(DialogueKind, by_value=True, required=True)
    occurred_on = fields.Date(required=True)
    summary = Str(min_length=1, required=True)
    participants = Str(load_default="")
    outcome = Str(load_default="")
    visibility = fields.Enum(Visibility, by_value=True, load_default=Visibility.COALITION)
    company_level = fields.Enum(CompanyLevel, by_value=True, load_default=None, allow_none=True)
    mode = fields.Enum(DialogueMode, by_value=True, load_default=None, allow_none=True)
    follow_up = Str(load_default="")


# --- corrections (engagements.corrections) ---------------------------------------------------


class FactsSchema(Schema):
    """Any of the engagement's facts."""

    title = Str(TITLE_MAX, min_length=1)
    issue = Str(min_length=1)
    rights_holders = Str()
    trigger = fields.Enum(EngagementTrigger, by_value=True)


class SeverityAssessmentSchema(Schema):
    id = fields.Integer(required=True)
    engagement_id = fields.Integer(required=True)
    previous_scale = fields.Integer(required=True)
    previous_scope = fields.Integer(required=True)
    previous_irremediability = fields.Integer(required=True)
    previous_severity = fields.Integer(required=True)
    scale = fields.Integer(required=True)
    scope = fields.Integer(required=True)
    irremediability = fields.Integer(required=True)
    severity = fields.Integer(required=True)
    reason = fields.String(required=True)
    assessed_at = fields.DateTime(required=True)
    assessed_by = fields.Nested(UserRefSchema, allow_none=True)
    organisation = fields.Nested(OrganisationRefSchema, allow_none=True)


class SeverityAssessmentCreateSchema(Schema):
    severity_scale = _severity()
    severity_scope = _severity()
    severity_irremediability = _severity()
    reason = Str(2000, min_length=1, required=True)


class MilestoneCancelSchema(Schema):
    reason = Str(2000, min_length=1, required=True)


class DialogueCorrectionSchema(Schema):
    """Any of the entry's fields, and why (required)."""

    reason = Str(2000, min_length=1, required=True)
    kind = fields.Enum(DialogueKind, by_value=True)
    occurred_on = fields.Date()
    summary = Str(min_length=1)
    participants = Str()
    outcome = Str()
    company_level = fields.Enum(CompanyLevel, by_value=True, allow_none=True)
    mode = fields.Enum(DialogueMode, by_value=True, allow_none=True)
    follow_up = Str()


class DialogueRevisionSchema(Schema):
    """An earlier version of a dialogue entry, as it read until ``replaced_at``."""

    id = fields.Integer(required=True)
    dialogue_entry_id = fields.Integer(required=True)
    kind = fields.Enum(DialogueKind, by_value=True, required=True)
    occurred_on = fields.Date(required=True)
    participants = fields.String()
    summary = fields.String(required=True)
    outcome = fields.String()
    company_level = fields.Enum(CompanyLevel, by_value=True, allow_none=True)
    mode = fields.Enum(DialogueMode, by_value=True, allow_none=True)
    follow_up = fields.String()
    replaced_at = fields.DateTime(required=True)
    replaced_by = fields.Nested(UserRefSchema, allow_none=True)
    reason = fields.String(required=True)


