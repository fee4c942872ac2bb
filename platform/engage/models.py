"""Imports every model, so the metadata is complete for Alembic and the mappers configure."""

from engage.attachments.models import Attachment
from engage.audit.models import AuditEvent
from engage.auth.models import Identity, SsoConfig, SsoDomain
from engage.calendars.models import CalendarFeed
from engage.render_cache import render_generation
from engage.companies.models import Company, CompanyFollow, Holding, ImportJob
from engage.engagements.models import (
    DialogueEntry,
    Engagement,
    EngagementInvitation,
    EngagementParticipant,
    Letter,
    Milestone,
    Note,
    Objective,
    Signature,
)
from engage.escalations.models import (
    Decision,
    DivestmentReview,
    EscalationLadder,
    EscalationReview,
    EscalationTask,
    LadderStep,
    MilestoneReminder,
    Resolution,
)
from engage.initiatives.models import Initiative, InitiativeMember, SignOnAttestation
from engage.notifications.models import Notification
from engage.organisations.models import ApiToken, Organisation, OrgMembership, User
from engage.votes.models import Vote

__all__ = [
    "ApiToken",
    "Attachment",
    "AuditEvent",
    "CalendarFeed",
    "Company",
    "CompanyFollow",
    "Decision",
    "DialogueEntry",
    "DivestmentReview",
    "Engagement",
    "EngagementInvitation",
    "EngagementParticipant",
    "EscalationLadder",
    "EscalationReview",
    "EscalationTask",
    "Holding",
    "ImportJob",
    "Identity",
    "Initiative",
    "InitiativeMember",
    "LadderStep",
    "Letter",
    "Milestone",
    "MilestoneReminder",
    "Note",
    "Notification",
    "Objective",
    "OrgMembership",
    "Organisation",
    "Resolution",
    "Signature",
    "SignOnAttestation",
    "SsoConfig",
    "SsoDomain",
    "User",
    "Vote",
    "render_generation",
]
