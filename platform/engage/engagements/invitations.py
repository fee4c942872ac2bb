"""Participants beyond initiatives: the lead of a direct or outsourced engagement invites
another organisation (the outsourcing client above all) as co-lead, supporter, observer or
client; the invited organisation accepts or declines; a participant leaves when it wants.

Accepting writes an ordinary :class:`EngagementParticipant` row, so the organisation then
sees the shared record exactly as an initiative member does (one rule,
:mod:`engage.common.visibility`). Observers and the client see and change nothing
(:attr:`EngagementParticipant.ACTING_ROLES`). An invitation is seen by the inviting and the
invited organisation only (its ``tenant_criteria``, and row-level security on PostgreSQL).

Every function checks first and raises :class:`EngagementError` before writing; none
commits. Row changes are audited by the flush listener, the acts by named events.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engage import signals
from engage.audit import service as audit
from engage.common.forms import ID_MAX, parse_choice, parse_int, parse_text
from engage.engagements.models import (
    Engagement,
    EngagementInvitation,
    EngagementLevel,
    EngagementParticipant,
    EngagementStatus,
    InvitationStatus,
    Letter,
    LetterStatus,
    ParticipantRole,
    Signature,
)
from engage.engagements.service import EngagementError, _check_actor, _require_lead
from engage.extensions import db
from engage.organisations.models import Organisation

MESSAGE_MAX = 2000
# What a lead may invite an organisation to be; the client on outsourced engagements only.
INVITED_ROLES = (ParticipantRole.CO_LEAD, ParticipantRole.SUPPORTER, ParticipantRole.OBSERVER,
                 ParticipantRole.CLIENT)
# Collaborative engagements take their participants from the initiative's members.
INVITING_LEVELS = (EngagementLevel.DIRECT, EngagementLevel.OUTSOURCED)
ROLE_LABELS = {
    ParticipantRole.LEAD: _l("Lead"),
    ParticipantRole.CO_LEAD: _l("Co-lead"),
    ParticipantRole.SUPPORTER: _l("Supporter"),
    ParticipantRole.OBSERVER: _l("Observer"),
    ParticipantRole.CLIENT: _l("Outsourcing client"),
}
STATUS_LABELS = {
    InvitationStatus.PENDING: _l("Waiting for an answer"),
    InvitationStatus.ACCEPTED: _l("Accepted"),
    InvitationStatus.DECLINED: _l("Declined"),
    InvitationStatus.WITHDRAWN: _l("Withdrawn"),
}


def may_invite(engagement: Engagement, role: Any) -> bool:
    """Whether the organisation whose engagement ``role`` this is may invite (pages)."""
    return (engagement.level in INVITING_LEVELS and engagement.status == EngagementStatus.ACTIVE
            and role in EngagementParticipant.LEAD_ROLES)


def invite(engagement: Engagement, *, actor, organisation_id: int, invitee_id: Any, role: Any,
           message: Any = "", now: datetime) -> EngagementInvitation:
    _check_actor(actor, organisation_id)
    _require_lead(engagement.id, organisation_id)
    if engagement.level not in INVITING_LEVELS:
        raise EngagementError(_("A collaborative engagement takes its participants from the "
                                "initiative's members: they sign on there."))
    if engagement.status != EngagementStatus.ACTIVE:
        raise EngagementError(_("This engagement is closed."))
    errors: dict[str, str] = {}
    invitee = parse_int(invitee_id, "organisation_id", errors, low=1, high=ID_MAX, required=True)
    chosen = parse_choice(role, ParticipantRole, "role", errors, allowed=INVITED_ROLES)
    text = parse_text(message, "message", errors, max_length=MESSAGE_MAX)
    org = db.session.get(Organisation, invitee) if invitee else None
    if invitee is not None and org is None:
        errors["organisation_id"] = _("Choose an organisation from the list.")
    elif org is not None:
        if org.id == organisation_id:
            errors["organisation_id"] = _("Your organisation leads this engagement already.")
        elif db.session.scalar(sa.select(EngagementParticipant.id).where(
                EngagementParticipant.engagement_id == engagement.id,
                EngagementParticipant.organisation_id == org.id)) is not None:
            errors["organisation_id"] = _("This organisation takes part already.")
        elif db.session.scalar(sa.select(EngagementInvitation.id).where(
                EngagementInvitation.engagement_id == engagement.id,
                EngagementInvitation.organisation_id == org.id,
                EngagementInvitation.status == InvitationStatus.PENDING)) is not None:
            errors["organisation_id"] = _("This organisation has an invitation waiting already.")
    if chosen is ParticipantRole.CLIENT:
        if engagement.level is not EngagementLevel.OUTSOURCED:
            errors["role"] = _("Only an outsourced engagement has an outsourcing client.")
        elif _has_client(engagement.id):
            errors["role"] = _("This engagement has its outsourcing client already.")
    if errors:
        raise EngagementError(errors)
    invitation = EngagementInvitation(
        engagement_id=engagement.id, organisation_id=org.id,
        invited_by_organisation_id=organisation_id, invited_by_id=actor.id, role=chosen,
        message=text, engagement_title=engagement.title,
        company_name=engagement.company.name, created_at=now)
    db.session.add(invitation)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:
        raise EngagementError({"organisation_id": _(
            "This organisation has an invitation waiting already.")}) from None
    signals.engagement_invited.send(
        invitation.id, organisation_id=org.id, inviter=_name(organisation_id),
        title=engagement.title, company=engagement.company.name,
        role=chosen.value, role_label=ROLE_LABELS[chosen], now=now)
    return invitation


def _has_client(engagement_id: int) -> bool:
    return db.session.scalar(sa.select(EngagementParticipant.id).where(
        EngagementParticipant.engagement_id == engagement_id,
        EngagementParticipant.role == ParticipantRole.CLIENT)) is not None


def _name(organisation_id: int) -> str:
    return db.session.scalar(
        sa.select(Organisation.name).where(Organisation.id == organisation_id)) or ""


def _engagement_status(engagement_id: int) -> Any:
    """The engagement's status, read past the filter: the invited organisation does not see
    the engagement yet, and may accept only while it is active."""
    table = Engagement.__table__
    return db.session.execute(
        sa.select(table.c.status).where(table.c.id == engagement_id)).scalar()


def _answerable(invitation: EngagementInvitation, organisation_id: int) -> None:
    if invitation.organisation_id != organisation_id:
        raise EngagementError(_("Only the invited organisation can answer this invitation."))
    if invitation.status is not InvitationStatus.PENDING:
        raise EngagementError(_("This invitation has been answered or withdrawn already."))


def accept(invitation: EngagementInvitation, *, actor, organisation_id: int,
           now: datetime) -> EngagementParticipant:
    """The invited organisation takes part, in the role it was invited to."""
    _check_actor(actor, organisation_id)
    _answerable(invitation, organisation_id)
    if _engagement_status(invitation.engagement_id) != EngagementStatus.ACTIVE.value:
        raise EngagementError(_("This engagement is closed."))
    if invitation.role is ParticipantRole.CLIENT and _has_client(invitation.engagement_id):
        raise EngagementError(_("This engagement has its outsourcing client already."))
    participant = EngagementParticipant(engagement_id=invitation.engagement_id,
                                        organisation_id=organisation_id, role=invitation.role,
                                        joined_at=now)
    invitation.status = InvitationStatus.ACCEPTED
    invitation.decided_at = now
    invitation.decided_by_id = actor.id
    db.session.add(participant)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:
        raise EngagementError(_("Your organisation takes part in this engagement already.")) from None
    _answered(invitation, accepted=True, now=now)
    return participant


def decline(invitation: EngagementInvitation, *, actor, organisation_id: int,
            now: datetime) -> EngagementInvitation:
    _check_actor(actor, organisation_id)
    _answerable(invitation, organisation_id)
    invitation.status = InvitationStatus.DECLINED
    invitation.decided_at = now
    invitation.decided_by_id = actor.id
    db.session.flush()
    _answered(invitation, accepted=False, now=now)
    return invitation


def withdraw(invitation: EngagementInvitation, *, actor, organisation_id: int,
             now: datetime) -> EngagementInvitation:
    """The inviting organisation takes back an invitation not yet answered."""
    _check_actor(actor, organisation_id)
    if invitation.invited_by_organisation_id != organisation_id:
        raise EngagementError(_("Only the inviting organisation can withdraw this invitation."))
    if invitation.status is not InvitationStatus.PENDING:
        raise EngagementError(_("This invitation has been answered or withdrawn already."))
    invitation.status = InvitationStatus.WITHDRAWN
    invitation.decided_at = now
    invitation.decided_by_id = actor.id
    db.session.flush()
    return invitation


def _answered(invitation: EngagementInvitation, *, accepted: bool, now: datetime) -> None:
    audit.record("engagement_invitation.accepted" if accepted else "engagement_invitation.declined",
                 object_type="engagement_invitation", object_id=invitation.id,
                 after={"engagement_id": invitation.engagement_id,
                        "organisation_id": invitation.organisation_id,
                        "role": invitation.role})
    signals.invitation_answered.send(
        invitation.id, organisation_id=invitation.invited_by_organisation_id,
        invitee=_name(invitation.organisation_id), engagement_id=invitation.engagement_id,
        title=invitation.engagement_title, accepted=accepted, now=now)


def leave(engagement: Engagement, *, actor, organisation_id: int,
          now: datetime) -> Engagement:
    """The organisation stops taking part. Its signatures on letters not yet sent are
    withdrawn (sent letters keep them); its open tasks pass to the lead organisation. The
    lead itself cannot leave: the engagement would have no one to lead it."""
    from engage.escalations.models import EscalationTask, TaskStatus

    _check_actor(actor, organisation_id)
    mine = db.session.scalar(sa.select(EngagementParticipant).where(
        EngagementParticipant.engagement_id == engagement.id,
        EngagementParticipant.organisation_id == organisation_id))
    if mine is None:
        raise EngagementError(_("Your organisation does not take part in this engagement."))
    if mine.role is ParticipantRole.LEAD:
        raise EngagementError(_("The lead organisation cannot leave its engagement; close it "
                                "instead."))
    lead_id = db.session.scalar(sa.select(EngagementParticipant.organisation_id).where(
        EngagementParticipant.engagement_id == engagement.id,
        EngagementParticipant.role == ParticipantRole.LEAD))
    withdrawn = 0
    for signature in db.session.scalars(
            sa.select(Signature).join(Letter, Letter.id == Signature.letter_id).where(
                Letter.engagement_id == engagement.id, Letter.status != LetterStatus.SENT,
                Signature.organisation_id == organisation_id)):
        db.session.delete(signature)
        withdrawn += 1
    handed = 0
    if lead_id is not None:
        for task in db.session.scalars(sa.select(EscalationTask).where(
                EscalationTask.engagement_id == engagement.id,
                EscalationTask.owner_organisation_id == organisation_id,
                EscalationTask.status == TaskStatus.OPEN)):
            task.owner_organisation_id = lead_id
            task.owner_user_id = None
            handed += 1
    role = mine.role
    db.session.delete(mine)
    db.session.flush()
    audit.record("engagement_participant.left", object_type="engagement", object_id=engagement.id,
                 after={"organisation_id": organisation_id, "role": role,
                        "signatures_withdrawn": withdrawn, "tasks_handed": handed,
                        "at": now.isoformat()})
    return engagement


def invitations_for(organisation_id: int) -> list[EngagementInvitation]:
    """Invitations addressed to the organisation, waiting ones first, newest first."""
    return list(db.session.scalars(
        sa.select(EngagementInvitation)
        .where(EngagementInvitation.organisation_id == organisation_id)
        .options(sa.orm.joinedload(EngagementInvitation.invited_by_organisation))
        .order_by(EngagementInvitation.status != InvitationStatus.PENDING,
                  EngagementInvitation.created_at.desc(), EngagementInvitation.id.desc())))


def sent_for(engagement_id: int, organisation_id: int) -> list[EngagementInvitation]:
    """The invitations of an engagement that the organisation sent."""
    return list(db.session.scalars(
        sa.select(EngagementInvitation)
        .where(EngagementInvitation.engagement_id == engagement_id,
               EngagementInvitation.invited_by_organisation_id == organisation_id)
        .options(sa.orm.joinedload(EngagementInvitation.organisation))
        .order_by(EngagementInvitation.created_at.desc(), EngagementInvitation.id.desc())))


def organisations_to_invite(engagement_id: int, organisation_id: int) -> list[Organisation]:
    """Every organisation but those already taking part."""
    taking_part = sa.select(EngagementParticipant.organisation_id).where(
        EngagementParticipant.engagement_id == engagement_id)
    return list(db.session.scalars(
        sa.select(Organisation).where(Organisation.id.not_in(taking_part),
                                      Organisation.id != organisation_id)
        .order_by(Organisation.name)))


def participation_context(engagement: Engagement, role: Any, organisation_id: int) -> dict:
    """What the participants section adds for inviting and leaving: the same statements
    whatever the data (two for a lead that may invite, none otherwise)."""
    inviting = may_invite(engagement, role)
    return {
        "may_invite": inviting,
        "invitations_sent": sent_for(engagement.id, organisation_id) if inviting else [],
        "invite_choices": (organisations_to_invite(engagement.id, organisation_id)
                           if inviting else []),
        "invited_roles": [r for r in INVITED_ROLES if r is not ParticipantRole.CLIENT
                          or engagement.level is EngagementLevel.OUTSOURCED],
        "invitation_status_labels": STATUS_LABELS,
        "participant_role_labels": ROLE_LABELS,
        "may_leave": role is not None and role is not ParticipantRole.LEAD,
    }
