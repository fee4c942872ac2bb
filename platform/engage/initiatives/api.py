"""``/api/v1/initiatives``, signing on to one, and the coordinator's admit / decline."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from engage.api.errors import ApiError, commit_unit
from engage.api.routing import operation, paginate
from engage.common.search import matches
from engage.initiatives.models import Initiative, InitiativeMember, MemberStatus
from engage.initiatives.schemas import (
    AttestationSchema,
    AttestationTextSchema,
    CommitmentSchema,
    HandOverSchema,
    InitiativeListArgs,
    InitiativeCreateSchema,
    InitiativeSchema,
    InitiativeWriteSchema,
    LadderSchema,
    LadderWriteSchema,
    MemberDecisionSchema,
    MemberListArgs,
    MemberSchema,
    ReasonSchema,
    SignOnSchema,
)
from engage.security import (
    Permission,
    acting,
    load_or_404,
    one_or_404,
    require,
)


@operation("GET", "/initiatives", tag="initiatives", summary="List initiatives",
           query=InitiativeListArgs, response=InitiativeSchema, paginated=True)
def list_initiatives(args):
    """Initiatives your organisation coordinates or belongs to, and those recruiting."""
    stmt = sa.select(Initiative).order_by(Initiative.title, Initiative.id)
    if args["status"] is not None:
        stmt = stmt.where(Initiative.status == args["status"])
    if args["theme"]:
        stmt = stmt.where(Initiative.theme == args["theme"])
    found = matches(args["q"], Initiative.title, Initiative.theme)
    if found is not None:
        stmt = stmt.where(found)
    return paginate(stmt, args, selectinload(Initiative.coordinator))


def load_initiative(initiative_id: int) -> Initiative:
    return load_or_404(Initiative, initiative_id)


@operation("GET", "/initiatives/<id:initiative_id>", tag="initiatives",
           summary="Get an initiative", response=InitiativeSchema)
def get_initiative(initiative_id):
    return load_initiative(initiative_id)


def _form(data: dict) -> dict:
    """The operation's fields as the service's form takes them (the page's form too)."""
    return {key: (value.value if hasattr(value, "value") else value)
            for key, value in data.items()}


@operation("POST", "/initiatives", tag="initiatives", summary="Create an initiative",
           body=InitiativeCreateSchema, response=InitiativeSchema, status=201)
def create_initiative(data):
    """Permission: a write token (any admin or member of an organisation). Your organisation
    becomes the initiative's coordinator and its admitted lead member (committing
    ``aum_committed_eur`` when given); ``ladder_id`` copies
    a template (or another ladder you see) as the initiative's own escalation ladder, which
    ``PUT /initiatives/{id}/ladder`` then writes. Audited."""
    from engage.initiatives.service import create_initiative as create

    require(Permission.WRITE)
    return commit_unit(lambda: create(**acting(), data=_form(data)))


@operation("PATCH", "/initiatives/<id:initiative_id>", tag="initiatives",
           summary="Update an initiative (coordinator)", body=InitiativeWriteSchema,
           response=InitiativeSchema, partial=True)
def update_initiative(initiative_id, data):
    """Permission: the initiative's coordinating organisation (a write token). Give the
    fields to change; the others keep their values. A ladder can be chosen (``ladder_id``)
    only while the initiative has none: a ladder in use is written with
    ``PUT /initiatives/{id}/ladder``. Audited."""
    from engage.initiatives.service import update_initiative as update

    initiative = load_initiative(initiative_id)
    require(Permission.COORDINATE_INITIATIVE, initiative)
    current = {key: getattr(initiative, key) for key in
               ("title", "theme", "description", "common_goals", "preparation", "status")}
    return commit_unit(lambda: update(initiative, **acting(),
                                      data=_form({**current, **data})))


@operation("GET", "/initiatives/<id:initiative_id>/members", tag="initiatives",
           summary="List an initiative's members", query=MemberListArgs, response=MemberSchema,
           paginated=True)
def list_members(initiative_id, args):
    """Members of an initiative you belong to or coordinate; otherwise your own application."""
    initiative = load_initiative(initiative_id)
    stmt = (sa.select(InitiativeMember).where(InitiativeMember.initiative_id == initiative.id)
            .order_by(InitiativeMember.joined_at, InitiativeMember.id))
    if args["status"] is not None:
        stmt = stmt.where(InitiativeMember.status == args["status"])
    return paginate(stmt, args, selectinload(InitiativeMember.organisation))


@operation("POST", "/initiatives/<id:initiative_id>/members", tag="initiatives",
           summary="Sign on to an initiative", body=SignOnSchema, response=MemberSchema,
           status=201, errors=(409,))
def sign_on(initiative_id, data):
    """Your organisation applies to join, with its role and committed resources; the
    coordinator admits or declines. Re-applying after a decline or leaving is allowed."""
    from engage.initiatives.service import sign_on as sign_on_service

    initiative = load_initiative(initiative_id)
    require(Permission.WRITE)
    return commit_unit(lambda: sign_on_service(initiative, **acting(), **data))



@operation("PATCH", "/initiatives/<id:initiative_id>/members/<id:member_id>", tag="initiatives",
           summary="Admit or decline an application (coordinator)", body=MemberDecisionSchema,
           response=MemberSchema, errors=(409,))
def decide_member(initiative_id, member_id, data):
    """The coordinating organisation admits or declines a pending application; the applicant
    is told. Only a pending application can be decided (409 otherwise)."""
    from engage.initiatives.service import admit, decline

    initiative = load_initiative(initiative_id)
    require(Permission.COORDINATE_INITIATIVE, initiative)
    member = one_or_404(sa.select(InitiativeMember).where(
        InitiativeMember.id == member_id, InitiativeMember.initiative_id == initiative.id))
    if member.status is not MemberStatus.PENDING:
        raise ApiError(409, "Only a pending application can be admitted or declined.")
    if data["status"] == "admitted":
        return commit_unit(lambda: admit(member, **acting()))
    return commit_unit(lambda: decline(member, **acting(), reason=data["reason"]))


@operation("GET", "/initiatives/<id:initiative_id>/ladder", tag="initiatives",
           summary="Get an initiative's escalation ladder", response=LadderSchema)
def get_ladder(initiative_id):
    """The steps in force, mildest first (404 while the initiative has no ladder)."""
    from engage.initiatives.service import initiative_ladder

    initiative = load_initiative(initiative_id)
    ladder = initiative_ladder(initiative.id)
    if ladder is None:
        raise ApiError(404, "The initiative has no escalation ladder yet.")
    return ladder


@operation("PUT", "/initiatives/<id:initiative_id>/ladder", tag="initiatives",
           summary="Write an initiative's escalation ladder (coordinator)", body=LadderWriteSchema,
           response=LadderSchema, errors=(409,))
def put_ladder(initiative_id, data):
    """The coordinating organisation writes the ladder whole: ``steps`` in order (a step
    with its ``id`` is kept, one without is new), or ``copy_from`` a template or another
    ladder you see. A step a review, decision or engagement uses is retired, never deleted or
    changed: a changed step in use becomes a new step. Every change is audited."""
    from engage import clock
    from engage.initiatives.service import write_ladder

    initiative = load_initiative(initiative_id)
    require(Permission.COORDINATE_INITIATIVE, initiative)
    if (data["steps"] is None) == (data["copy_from"] is None):
        raise ApiError(400, "Give either steps or copy_from.")
    steps = None if data["steps"] is None else [
        dict(step, kind=step["kind"].value) for step in data["steps"]]
    return commit_unit(lambda: write_ladder(initiative, **acting(), now=clock.now(), steps=steps,
                                            copy_from=data["copy_from"]))


# --- membership over time --------------------------------------------------------------------


def _member_of(initiative: Initiative, member_id: int) -> InitiativeMember:
    return one_or_404(sa.select(InitiativeMember).where(
        InitiativeMember.id == member_id, InitiativeMember.initiative_id == initiative.id))


@operation("PUT", "/initiatives/<id:initiative_id>/members/<id:member_id>/commitment",
           tag="initiatives", summary="Update your commitment (the member's own organisation)",
           body=CommitmentSchema, response=MemberSchema)
def update_commitment(initiative_id, member_id, data):
    """Your admitted organisation states the resources and assets it commits now. Audited."""
    from engage import clock
    from engage.initiatives.membership import update_commitment as update

    member = _member_of(load_initiative(initiative_id), member_id)
    require(Permission.WRITE)
    return commit_unit(lambda: update(member, **acting(), now=clock.now(), **data))


@operation("POST", "/initiatives/<id:initiative_id>/members/<id:member_id>/leave",
           tag="initiatives", summary="Leave an initiative (the member's own organisation)",
           body=ReasonSchema, response=MemberSchema)
def leave_initiative(initiative_id, member_id, data):
    """Your organisation leaves. From that moment it no longer sees the initiative's
    engagements; it stops taking part in them, its signatures on letters not yet sent are
    withdrawn, its open tasks pass to the coordinator, engagements it led pass to the
    coordinator. The coordinator hands coordination over before it can leave."""
    from engage import clock
    from engage.initiatives.membership import leave

    member = _member_of(load_initiative(initiative_id), member_id)
    require(Permission.WRITE)
    return commit_unit(lambda: leave(member, **acting(), reason=data["reason"],
                                     now=clock.now()))


@operation("POST", "/initiatives/<id:initiative_id>/members/<id:member_id>/removal",
           tag="initiatives", summary="Remove a member (coordinator)", body=ReasonSchema,
           response=MemberSchema)
def remove_member(initiative_id, member_id, data):
    """The coordinating organisation removes an admitted member, with a reason; the member
    loses access as if it had left."""
    from engage import clock
    from engage.initiatives.membership import remove

    initiative = load_initiative(initiative_id)
    require(Permission.COORDINATE_INITIATIVE, initiative)
    member = _member_of(initiative, member_id)
    return commit_unit(lambda: remove(member, **acting(), reason=data["reason"],
                                      now=clock.now()))


@operation("POST", "/initiatives/<id:initiative_id>/coordinator", tag="initiatives",
           summary="Hand coordination over (coordinator)", body=HandOverSchema,
           response=InitiativeSchema)
def hand_over(initiative_id, data):
    """The coordinating organisation hands coordination to another admitted member, which
    becomes the lead; the former coordinator stays a member as co-lead."""
    from engage import clock
    from engage.initiatives.membership import hand_over as hand

    initiative = load_initiative(initiative_id)
    require(Permission.COORDINATE_INITIATIVE, initiative)
    return commit_unit(lambda: hand(initiative, **acting(), member_id=data["member_id"],
                                    now=clock.now()))


@operation("GET", "/initiatives/<id:initiative_id>/attestations", tag="initiatives",
           summary="List the antitrust attestations of sign-ons", response=AttestationSchema,
           paginated=True)
def list_attestations(initiative_id, args):
    """Which version of the guardrail each sign-on accepted, by whom, when, with its
    conflict-of-interest declaration: all of them for the coordinator, your organisation's
    own otherwise."""
    from sqlalchemy.orm import joinedload

    from engage.initiatives.models import SignOnAttestation

    initiative = load_initiative(initiative_id)
    stmt = (sa.select(SignOnAttestation)
            .where(SignOnAttestation.initiative_id == initiative.id)
            .order_by(SignOnAttestation.accepted_at.desc(), SignOnAttestation.id.desc()))
    return paginate(stmt, args, joinedload(SignOnAttestation.organisation),
                    joinedload(SignOnAttestation.accepted_by))


@operation("GET", "/attestation-text", tag="initiatives",
           summary="The antitrust guardrail accepted at sign-on (current version)",
           response=AttestationTextSchema)
def attestation_text():
    """Show this text to the person signing on, and send its version with the sign-on."""
    from engage.initiatives import attestation

    current = attestation.CURRENT
    return {"version": current.version, "effective_on": current.effective_on,
            "guardrail": str(current.guardrail), "confirmation": str(current.confirmation)}
