"""``/api/v1``: invitations to take part in an engagement, answering them, and leaving."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from engage import clock
from engage.api.errors import commit_unit
from engage.api.routing import PageArgs, operation, paginate
from engage.engagements import invitations
from engage.engagements.invitation_schemas import (
    InvitationCreateSchema,
    InvitationListArgs,
    InvitationSchema,
    LeftSchema,
)
from engage.engagements.models import Engagement, EngagementInvitation, EngagementParticipant
from engage.security import Permission, acting, current_org, load_or_404, require

_ORGS = (joinedload(EngagementInvitation.organisation),
         joinedload(EngagementInvitation.invited_by_organisation))


@operation("GET", "/invitations", tag="engagements", summary="List invitations",
           query=InvitationListArgs, response=InvitationSchema, paginated=True)
def list_invitations(args):
    """Invitations addressed to your organisation (``direction=received``) or sent by it
    (``sent``), newest first. Nobody else sees them."""
    column = (EngagementInvitation.organisation_id if args["direction"] == "received"
              else EngagementInvitation.invited_by_organisation_id)
    stmt = (sa.select(EngagementInvitation).where(column == current_org.id)
            .order_by(EngagementInvitation.created_at.desc(), EngagementInvitation.id.desc()))
    if args["status"] is not None:
        stmt = stmt.where(EngagementInvitation.status == args["status"])
    return paginate(stmt, args, *_ORGS)


@operation("GET", "/engagements/<id:engagement_id>/invitations", tag="engagements",
           summary="List the invitations your organisation sent for an engagement",
           query=PageArgs, response=InvitationSchema, paginated=True)
def list_engagement_invitations(engagement_id, args):
    """The invitations your organisation sent to take part in this engagement."""
    engagement = load_or_404(Engagement, engagement_id)
    stmt = (sa.select(EngagementInvitation)
            .where(EngagementInvitation.engagement_id == engagement.id,
                   EngagementInvitation.invited_by_organisation_id == current_org.id)
            .order_by(EngagementInvitation.created_at.desc(), EngagementInvitation.id.desc()))
    return paginate(stmt, args, *_ORGS)


@operation("POST", "/engagements/<id:engagement_id>/invitations", tag="engagements",
           summary="Invite an organisation to take part (lead and co-lead)",
           body=InvitationCreateSchema, response=InvitationSchema, status=201)
def create_invitation(engagement_id, data):
    """A lead of a direct or outsourced engagement invites another organisation as co-lead,
    supporter, observer or (outsourced only) outsourcing client. Its users are notified;
    once it accepts, it sees the shared record; observers and the client change nothing."""
    engagement = load_or_404(Engagement, engagement_id)
    require(Permission.LEAD_ENGAGEMENT, engagement)
    return commit_unit(lambda: invitations.invite(
        engagement, **acting(), invitee_id=data["organisation_id"], role=data["role"],
        message=data["message"], now=clock.now()))


def _answer(invitation_id, write):
    invitation = load_or_404(EngagementInvitation, invitation_id)
    require(Permission.WRITE)
    commit_unit(lambda: write(invitation, **acting(), now=clock.now()))
    return load_or_404(EngagementInvitation, invitation.id)


@operation("POST", "/invitations/<id:invitation_id>/accept", tag="engagements",
           summary="Accept an invitation (the invited organisation)", response=InvitationSchema)
def accept_invitation(invitation_id):
    """Your organisation takes part in the engagement in the role it was invited to."""
    return _answer(invitation_id, invitations.accept)


@operation("POST", "/invitations/<id:invitation_id>/decline", tag="engagements",
           summary="Decline an invitation (the invited organisation)", response=InvitationSchema)
def decline_invitation(invitation_id):
    return _answer(invitation_id, invitations.decline)


@operation("POST", "/invitations/<id:invitation_id>/withdraw", tag="engagements",
           summary="Withdraw an invitation not yet answered (the inviting organisation)",
           response=InvitationSchema)
def withdraw_invitation(invitation_id):
    return _answer(invitation_id, invitations.withdraw)


@operation("POST", "/engagements/<id:engagement_id>/leave", tag="engagements",
           summary="Stop taking part in an engagement (any participant but the lead)",
           response=LeftSchema)
def leave_engagement(engagement_id):
    """Your organisation stops taking part: from that moment it no longer sees the shared
    record (unless it belongs to the engagement's initiative). Its signatures on letters not
    yet sent are withdrawn; its open tasks pass to the lead organisation."""
    engagement = load_or_404(Engagement, engagement_id)
    require(Permission.WRITE)
    mine = db_participant(engagement.id)
    result = {"engagement_id": engagement.id, "organisation": current_org._get_current_object(),
              "role": mine.role if mine is not None else None}
    commit_unit(lambda: invitations.leave(engagement, **acting(), now=clock.now()))
    return result


def db_participant(engagement_id: int) -> EngagementParticipant | None:
    from engage.extensions import db

    return db.session.scalar(sa.select(EngagementParticipant).where(
        EngagementParticipant.engagement_id == engagement_id,
        EngagementParticipant.organisation_id == current_org.id))
