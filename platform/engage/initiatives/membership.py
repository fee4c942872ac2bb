"""Membership over time: a member leaves, updates what it commits; the coordinator removes a
member or hands coordination over to another member.

What leaving (or being removed) does, from that moment, to the initiative's engagements:

- access: the tenancy filter shows an initiative's engagements to its *admitted* members
  only (:mod:`engage.common.visibility`); the status changes here, so the next statement
  no longer sees a coalition-only row. The organisation's participation in the initiative's
  engagements ends too (a participant row would keep it seeing them).
- leading: an engagement it led passes to the coordinating organisation, which becomes its
  lead, so no engagement is left without one.
- signatures: its signature on a letter not yet sent is withdrawn (the letter must not
  claim the assets of an organisation that left); signatures on sent letters stay, as what
  was sent.
- open tasks: they pass to the coordinating organisation (no one person), so the work an
  escalation step asked for is not lost; done tasks stay as done by it.

Each change is audited: the row changes by the flush listener, the act itself by a named
event (``initiative_member.left``, ``.removed``, ``.updated``, ``initiative.handed_over``).
Services take the actor and ``now``; none commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from engage.audit import service as audit
from engage.common.forms import parse_text
from engage.extensions import db
from engage.initiatives.models import Initiative, InitiativeMember, MemberRole, MemberStatus
from engage.initiatives.service import MAX_TEXT, InitiativeError, parse_aum

REASON_MAX = 1000


def _admitted(member: InitiativeMember) -> None:
    if member.status is not MemberStatus.ADMITTED:
        raise InitiativeError(_("Only an admitted member can do this."))


def _end_participation(initiative: Initiative, organisation_id: int) -> dict[str, int]:
    """The organisation's part in the initiative's engagements ends (see the module's
    docstring); what changed, counted, for the audit event."""
    from engage.engagements.models import (
        Engagement,
        EngagementParticipant,
        Letter,
        LetterStatus,
        ParticipantRole,
        Signature,
    )
    from engage.escalations.models import EscalationTask, TaskStatus

    coordinator_id = initiative.coordinator_organisation_id
    engagement_ids = sa.select(Engagement.id).where(Engagement.initiative_id == initiative.id)
    counts = {"participations": 0, "leads_handed": 0, "signatures_withdrawn": 0,
              "tasks_handed": 0}
    rows = db.session.scalars(sa.select(EngagementParticipant).where(
        EngagementParticipant.engagement_id.in_(engagement_ids))).all()
    by_engagement: dict[int, dict[int, EngagementParticipant]] = {}
    for row in rows:
        by_engagement.setdefault(row.engagement_id, {})[row.organisation_id] = row
    for engagement_id, participants in by_engagement.items():
        mine = participants.get(organisation_id)
        if mine is None:
            continue
        if mine.role is ParticipantRole.LEAD:
            successor = participants.get(coordinator_id)
            if successor is None:
                db.session.add(EngagementParticipant(
                    engagement_id=engagement_id, organisation_id=coordinator_id,
                    role=ParticipantRole.LEAD))
            else:
                successor.role = ParticipantRole.LEAD
            counts["leads_handed"] += 1
        db.session.delete(mine)
        counts["participations"] += 1
    for signature in db.session.scalars(
            sa.select(Signature).join(Letter, Letter.id == Signature.letter_id).where(
                Letter.engagement_id.in_(engagement_ids),
                Letter.status != LetterStatus.SENT,
                Signature.organisation_id == organisation_id)):
        db.session.delete(signature)
        counts["signatures_withdrawn"] += 1
    for task in db.session.scalars(sa.select(EscalationTask).where(
            EscalationTask.engagement_id.in_(engagement_ids),
            EscalationTask.owner_organisation_id == organisation_id,
            EscalationTask.status == TaskStatus.OPEN)):
        task.owner_organisation_id = coordinator_id
        task.owner_user_id = None
        counts["tasks_handed"] += 1
    db.session.flush()
    return counts


def _departure(member: InitiativeMember, status: MemberStatus, reason: str,
               now: datetime) -> dict[str, int]:
    initiative = member.initiative
    counts = _end_participation(initiative, member.organisation_id)
    member.status = status
    member.left_at = now
    member.left_reason = reason
    db.session.flush()
    return counts


def leave(member: InitiativeMember, *, actor, organisation_id: int, reason: Any = "",
          now: datetime) -> InitiativeMember:
    """The member's own organisation leaves the initiative."""
    if member.organisation_id != organisation_id:
        raise InitiativeError(_("Only the member's own organisation can leave for it."))
    if member.status is MemberStatus.PENDING:
        raise InitiativeError(_("Your application is still pending; the coordinator decides."))
    _admitted(member)
    if member.initiative.coordinator_organisation_id == organisation_id:
        raise InitiativeError(_("Your organisation coordinates this initiative: hand "
                                "coordination over to another member before leaving."))
    errors: dict[str, str] = {}
    reason = parse_text(reason, "reason", errors, max_length=REASON_MAX)
    if errors:
        raise InitiativeError(errors)
    counts = _departure(member, MemberStatus.LEFT, reason, now)
    audit.record("initiative_member.left", object_type="initiative_member", object_id=member.id,
                 after={"initiative_id": member.initiative_id,
                        "organisation_id": member.organisation_id, "reason": reason, **counts})
    return member


def remove(member: InitiativeMember, *, actor, organisation_id: int, reason: Any,
           now: datetime) -> InitiativeMember:
    """The coordinator removes an admitted member, with a reason the member is shown."""
    initiative = member.initiative
    if initiative.coordinator_organisation_id != organisation_id:
        raise InitiativeError(_("Only the initiative's coordinating organisation can do this."))
    if member.organisation_id == organisation_id:
        raise InitiativeError(_("The coordinating organisation cannot remove itself: hand "
                                "coordination over first."))
    _admitted(member)
    errors: dict[str, str] = {}
    reason = parse_text(reason, "reason", errors, max_length=REASON_MAX, required=True)
    if errors:
        raise InitiativeError(errors)
    counts = _departure(member, MemberStatus.REMOVED, reason, now)
    audit.record("initiative_member.removed", object_type="initiative_member",
                 object_id=member.id,
                 after={"initiative_id": member.initiative_id,
                        "organisation_id": member.organisation_id, "reason": reason, **counts})
    return member


def update_commitment(member: InitiativeMember, *, actor, organisation_id: int,
                      committed_resources: Any, aum_committed_eur: Any,
                      now: datetime) -> InitiativeMember:
    """The member's organisation states what it commits now: people and time, and assets.
    Co-leads and supporters commit resources (as at sign-on)."""
    if member.organisation_id != organisation_id:
        raise InitiativeError(_("Only the member's own organisation can change what it commits."))
    _admitted(member)
    errors: dict[str, str] = {}
    try:
        aum = parse_aum(aum_committed_eur)
    except InitiativeError as exc:
        errors.update(exc.errors)
        aum = None
    resources = parse_text(committed_resources, "committed_resources", errors,
                           max_length=MAX_TEXT,
                           required=member.role in (MemberRole.CO_LEAD, MemberRole.SUPPORTER))
    if errors:
        raise InitiativeError(errors)
    before = {"committed_resources": member.committed_resources,
              "aum_committed_eur": member.aum_committed_eur}
    member.committed_resources = resources
    member.aum_committed_eur = aum
    db.session.flush()
    audit.record("initiative_member.updated", object_type="initiative_member",
                 object_id=member.id, before=before,
                 after={"committed_resources": resources, "aum_committed_eur": aum,
                        "at": now.isoformat()})
    return member


def hand_over(initiative: Initiative, *, actor, organisation_id: int, member_id: Any,
              now: datetime) -> Initiative:
    """The coordinator hands coordination to another admitted member, which becomes the
    lead; the former coordinator stays a member as co-lead."""
    if initiative.coordinator_organisation_id != organisation_id:
        raise InitiativeError(_("Only the initiative's coordinating organisation can do this."))
    from engage.common.forms import parse_int

    errors: dict[str, str] = {}
    target_id = parse_int(member_id, "member_id", errors, required=True)
    successor = None
    if target_id is not None:
        successor = db.session.scalar(sa.select(InitiativeMember).where(
            InitiativeMember.id == target_id, InitiativeMember.initiative_id == initiative.id))
        if (successor is None or successor.status is not MemberStatus.ADMITTED
                or successor.organisation_id == organisation_id):
            errors["member_id"] = _("Choose another admitted member of the initiative.")
    if errors:
        raise InitiativeError(errors)
    former = db.session.scalar(sa.select(InitiativeMember).where(
        InitiativeMember.initiative_id == initiative.id,
        InitiativeMember.organisation_id == organisation_id))
    if former is not None and former.status is MemberStatus.ADMITTED:
        former.role = MemberRole.CO_LEAD
    successor.role = MemberRole.LEAD
    initiative.coordinator_organisation_id = successor.organisation_id
    db.session.flush()
    audit.record("initiative.handed_over", object_type="initiative", object_id=initiative.id,
                 before={"coordinator_organisation_id": organisation_id},
                 after={"coordinator_organisation_id": successor.organisation_id,
                        "at": now.isoformat()})
    return initiative


def attestations(initiative_id: int) -> list[Any]:
    """The sign-on attestations of an initiative, newest first: all of them for its
    coordinator, an organisation's own otherwise (tenancy)."""
    from sqlalchemy.orm import joinedload

    from engage.initiatives.models import SignOnAttestation

    return list(db.session.scalars(
        sa.select(SignOnAttestation).where(SignOnAttestation.initiative_id == initiative_id)
        .options(joinedload(SignOnAttestation.organisation),
                 joinedload(SignOnAttestation.accepted_by))
        .order_by(SignOnAttestation.accepted_at.desc(), SignOnAttestation.id.desc())))
