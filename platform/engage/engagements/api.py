"""``/api/v1/engagements``, their milestones, dialogue and participants."""

from __future__ import annotations


import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from engage import clock
from engage.api.errors import ApiError, commit_unit
from engage.api.routing import operation, paginate
from engage.engagements import progress
from engage.engagements.models import (
    PARTICIPANT_ORDER,
    DialogueEntry,
    Engagement,
    EngagementParticipant,
    Milestone,
)
from engage.engagements.queries import FILTERS, engagement_list
from engage.engagements.schemas import (
    DialogueCreateSchema,
    DialogueListArgs,
    DialogueSchema,
    EngagementCreateSchema,
    EngagementListArgs,
    EngagementSchema,
    MilestoneCreateSchema,
    MilestoneSchema,
    MilestoneUpdateSchema,
    ParticipantSchema,
)
from engage.security import (
    Permission,
    acting,
    current_org,
    load_or_404,
    one_or_404,
    require,
)

_ENGAGEMENT_LOADS = (
    selectinload(Engagement.company),
    selectinload(Engagement.participants).selectinload(EngagementParticipant.organisation),
    selectinload(Engagement.objectives),
)


def load_engagement(engagement_id: int) -> Engagement:
    return load_or_404(Engagement, engagement_id)



@operation("GET", "/engagements", tag="engagements", summary="List engagements",
           query=EngagementListArgs, response=EngagementSchema, paginated=True, cached=True)
def list_engagements(args):
    """Engagements your organisation takes part in or sees through its initiatives, active
    first, then most severe to people."""
    stmt = engagement_list(q=args["q"], **{key: args[key] for key in FILTERS})
    return paginate(stmt, args, *_ENGAGEMENT_LOADS, *progress.expressions(clock.today()))


@operation("GET", "/engagements/<id:engagement_id>", tag="engagements",
           summary="Get an engagement", response=EngagementSchema)
def get_engagement(engagement_id):
    return one_or_404(sa.select(Engagement).where(Engagement.id == engagement_id)
                      .options(*_ENGAGEMENT_LOADS, *progress.expressions(clock.today())))


@operation("POST", "/engagements", tag="engagements", summary="Start an engagement",
           body=EngagementCreateSchema, response=EngagementSchema, status=201)
def create_engagement(data):
    from engage.engagements.service import create_engagement as create

    require(Permission.WRITE)
    return commit_unit(lambda: create(data=data, **acting()))


# --- milestones -------------------------------------------------------------------------------


@operation("GET", "/engagements/<id:engagement_id>/milestones", tag="engagements",
           summary="List an engagement's milestones", response=MilestoneSchema, paginated=True,
           cached=True)
def list_milestones(engagement_id, args):
    engagement = load_engagement(engagement_id)
    stmt = (sa.select(Milestone).where(Milestone.engagement_id == engagement.id)
            .order_by(Milestone.due_on, Milestone.id))
    return paginate(stmt, args)


@operation("POST", "/engagements/<id:engagement_id>/milestones", tag="engagements",
           summary="Add a milestone (leads)", body=MilestoneCreateSchema,
           response=MilestoneSchema, status=201)
def create_milestone(engagement_id, data):
    from engage.engagements.service import add_milestone

    engagement = load_engagement(engagement_id)
    require(Permission.LEAD_ENGAGEMENT, engagement)
    return commit_unit(lambda: add_milestone(engagement, **acting(), **data))


@operation("GET", "/engagements/<id:engagement_id>/milestones/<id:milestone_id>",
           tag="engagements", summary="Get a milestone", response=MilestoneSchema)
def get_milestone(engagement_id, milestone_id):
    return load_milestone(engagement_id, milestone_id)


def load_milestone(engagement_id: int, milestone_id: int) -> Milestone:
    return one_or_404(sa.select(Milestone).where(Milestone.id == milestone_id,
                                                 Milestone.engagement_id == engagement_id))


@operation("PATCH", "/engagements/<id:engagement_id>/milestones/<id:milestone_id>",
           tag="engagements", summary="Change a milestone (leads)", body=MilestoneUpdateSchema,
           response=MilestoneSchema, partial=True)
def update_milestone(engagement_id, milestone_id, data):
    from engage.engagements.service import update_milestone as update

    milestone = load_milestone(engagement_id, milestone_id)
    require(Permission.LEAD_ENGAGEMENT, milestone)
    return commit_unit(lambda: update(milestone, **acting(), now=clock.now(), **data))


# --- dialogue ---------------------------------------------------------------------------------


@operation("GET", "/engagements/<id:engagement_id>/dialogue", tag="engagements",
           summary="List an engagement's dialogue", query=DialogueListArgs,
           response=DialogueSchema, paginated=True)
def list_dialogue(engagement_id, args):
    """Coalition entries, and your organisation's private ones; newest first."""
    engagement = load_engagement(engagement_id)
    stmt = (sa.select(DialogueEntry).where(DialogueEntry.engagement_id == engagement.id)
            .order_by(DialogueEntry.occurred_on.desc(), DialogueEntry.id.desc()))
    if args["kind"] is not None:
        stmt = stmt.where(DialogueEntry.kind == args["kind"])
    return paginate(stmt, args, selectinload(DialogueEntry.organisation),
                    selectinload(DialogueEntry.author))


@operation("POST", "/engagements/<id:engagement_id>/dialogue", tag="engagements",
           summary="Log dialogue (participants)", body=DialogueCreateSchema,
           response=DialogueSchema, status=201)
def create_dialogue(engagement_id, data):
    from engage.engagements.service import add_dialogue

    engagement = load_engagement(engagement_id)
    require(Permission.PARTICIPATE_ENGAGEMENT, engagement)
    return commit_unit(lambda: add_dialogue(engagement, **acting(), now=clock.now(), **data))


# --- participants -----------------------------------------------------------------------------


@operation("GET", "/engagements/<id:engagement_id>/participants", tag="engagements",
           summary="List an engagement's participants", response=ParticipantSchema,
           paginated=True)
def list_participants(engagement_id, args):
    """The lead, co-leads, supporters, observers and the outsourcing client (invited
    organisations that accepted)."""
    engagement = load_engagement(engagement_id)
    stmt = (sa.select(EngagementParticipant)
            .where(EngagementParticipant.engagement_id == engagement.id)
            .order_by(*PARTICIPANT_ORDER))
    return paginate(stmt, args, selectinload(EngagementParticipant.organisation))


@operation("POST", "/engagements/<id:engagement_id>/participants", tag="engagements",
           summary="Sign on to an engagement", response=ParticipantSchema, status=201,
           errors=(409,))
def join_engagement(engagement_id):
    """Your organisation joins the engagement: an admitted lead or co-lead member of its
    initiative as co-lead, a supporter as supporter (observers do not sign on)."""
    from engage.engagements.service import (
        participant_role,
        sign_on_engagement,
    )

    engagement = load_engagement(engagement_id)
    require(Permission.WRITE)
    if participant_role(engagement.id, current_org.id) is not None:
        raise ApiError(409, "Your organisation already takes part in this engagement.")
    return commit_unit(lambda: sign_on_engagement(engagement, **acting()))
