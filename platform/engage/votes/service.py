"""Voting rules shared by the pages and the API: recording a vote and setting its final
instruction.

An escalation may *ask* for a vote (``requested_instruction``, status "proposed"); each
organisation decides its own vote (antitrust: no block voting). A vote moves forward only,
proposed → instructed → cast, and a cast vote is final. The rationale is asked for when the
vote is cast, and already at "instructed" when the vote is flagged by the consistency check
(:mod:`engage.votes.consistency`): it departs from the ask, or it is a vote for the directors
or the annual report of a company under escalation. A proposal may change freely.

Every function validates everything first and raises :class:`VoteError` before anything
is written; none commits (the caller commits once per unit of work). Audit events come
from the ORM flush listener; a recorded vote is announced (``signals.vote_recorded``), and
the organisation's followers of the company are told by its receiver.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from engage import signals
from engage.common.forms import ID_MAX, FormError, parse_choice, parse_date, parse_int, parse_text
from engage.db import utcnow
from engage.extensions import db
from engage.organisations.models import OrgMembership, OrgRole, User
from engage.votes import consistency
from engage.votes.models import Vote, VoteInstruction, VoteItemKind, VoteStatus

ITEM_MAX = 300
RATIONALE_MAX = 20_000
# Forward only: the position of each status on the way to a cast vote.
ORDER = {VoteStatus.PROPOSED: 0, VoteStatus.INSTRUCTED: 1, VoteStatus.CAST: 2}
FIELDS = ("instruction", "rationale", "status", "agm_on", "item", "item_kind")


class VoteError(FormError):
    """A vote cannot be recorded or changed as given; nothing was written."""


class VoteFinal(VoteError):
    """The vote has been cast: it is final and cannot change (the API answers 409)."""


def _check_actor(actor: User, organisation_id: int) -> None:
    role = db.session.scalar(
        sa.select(OrgMembership.role).where(OrgMembership.user_id == actor.id,
                                            OrgMembership.organisation_id == organisation_id))
    if role is None:
        raise VoteError(_("You do not act for this organisation."))
    if role not in (OrgRole.ADMIN, OrgRole.MEMBER):
        raise VoteError(_("Your role is viewer: you can read your organisation's votes, but "
                          "not change them."))


def _check_rationale(instruction: VoteInstruction | None, requested: VoteInstruction | None,
                     status: VoteStatus | None, rationale: str, errors: dict[str, str], *,
                     item_kind: VoteItemKind | None = None, company_id: int | None = None
                     ) -> None:
    if "rationale" in errors or rationale:
        return
    if status == VoteStatus.CAST:
        errors["rationale"] = _("Give the rationale for the vote: it is reported with the vote "
                                "cast.")
        return
    if status != VoteStatus.INSTRUCTED or instruction is None:
        return  # a proposal may change freely
    messages = []
    if (instruction == VoteInstruction.FOR and item_kind in consistency.BOARD_ITEMS
            and company_id is not None and consistency.escalations_on([company_id])):
        messages.append(_("The company is under escalation: a vote for its directors or its "
                          "annual report needs your rationale."))
    if requested is not None and instruction != requested:
        messages.append(_("Your instruction differs from what the engagement asked: "
                          "give your rationale."))
    if messages:
        errors["rationale"] = " ".join(messages)


def _taken(organisation_id: int, company_id: int, agm_on: date, item: str,
           vote_id: int | None = None) -> bool:
    stmt = sa.select(Vote.id).where(Vote.organisation_id == organisation_id,
                                    Vote.company_id == company_id, Vote.agm_on == agm_on,
                                    Vote.item == item)
    if vote_id is not None:
        stmt = stmt.where(Vote.id != vote_id)
    return db.session.scalar(stmt.limit(1)) is not None


def _flush_once(vote: Vote) -> None:
    """Flush in a savepoint: a second vote on the same item that won a race is a message."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:
        raise VoteError({"item": _("Your organisation has a vote on this item at this AGM "
                                   "already.")}) from None


def record_vote(*, actor: User, organisation_id: int, company_id: Any, agm_on: Any, item: Any,
                instruction: Any, rationale: Any = "", status: Any = "instructed",
                engagement_id: Any = None, item_kind: Any = None) -> Vote:
    """The organisation's own voting instruction (or vote cast) on one AGM item, optionally
    linked to an engagement on the same company that the organisation can see."""
    from engage.companies.models import Company
    from engage.engagements.models import Engagement

    _check_actor(actor, organisation_id)
    errors: dict[str, str] = {}
    company = None
    company_number = parse_int(company_id, "company_id", errors, low=1, high=ID_MAX)
    if company_number is not None:
        company = db.session.get(Company, company_number)
    if company is None:
        errors["company_id"] = _("Choose a company from the list.")
    if engagement_id not in (None, ""):
        number = parse_int(engagement_id, "engagement_id", errors, low=1, high=ID_MAX)
        engagement = db.session.get(Engagement, number) if number is not None else None
        if engagement is None:
            errors["engagement_id"] = _("Choose one of your organisation's engagements.")
        elif company is not None and engagement.company_id != company.id:
            errors["engagement_id"] = _("The engagement is with another company.")
        engagement_id = engagement.id if engagement is not None else None
    else:
        engagement_id = None
    day = parse_date(agm_on, "agm_on", errors)
    item = parse_text(item, "item", errors, max_length=ITEM_MAX, required=True)
    kind = parse_choice(item_kind, VoteItemKind, "item_kind", errors,
                        default=VoteItemKind.OTHER)
    instruction_value = parse_choice(instruction, VoteInstruction, "instruction", errors)
    rationale = parse_text(rationale, "rationale", errors, max_length=RATIONALE_MAX)
    status_value = parse_choice(status, VoteStatus, "status", errors,
                                default=VoteStatus.INSTRUCTED)
    if status_value == VoteStatus.PROPOSED:
        errors["status"] = _("A vote you record is instructed or cast; proposals come from an "
                             "engagement's escalation.")
    _check_rationale(instruction_value, None, status_value, rationale, errors, item_kind=kind,
                     company_id=company.id if company is not None else None)
    if not errors and _taken(organisation_id, company.id, day, item):
        errors["item"] = _("Your organisation has a vote on this item at this AGM already.")
    if errors:
        raise VoteError(errors)
    vote = Vote(organisation_id=organisation_id, company_id=company.id,
                engagement_id=engagement_id, agm_on=day, item=item, item_kind=kind,
                instruction=instruction_value, status=status_value, rationale=rationale)
    db.session.add(vote)
    _flush_once(vote)
    signals.vote_recorded.send(vote.id, actor_id=actor.id, now=utcnow())
    return vote


def update_vote(vote: Vote, *, actor: User, organisation_id: int, **changes: Any) -> Vote:
    """Set the organisation's final instruction, its rationale, the status (forward only),
    or correct the AGM date or item. A cast vote is final."""
    _check_actor(actor, organisation_id)
    if vote.organisation_id != organisation_id:
        raise VoteError(_("This is another organisation's vote."))
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise VoteError(_("Unknown fields: %(names)s", names=", ".join(sorted(unknown))))
    if vote.status == VoteStatus.CAST:
        raise VoteFinal(_("This vote has been cast: it is final and cannot change."))
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if "instruction" in changes:
        values["instruction"] = parse_choice(changes["instruction"], VoteInstruction,
                                             "instruction", errors)
    if "rationale" in changes:
        values["rationale"] = parse_text(changes["rationale"], "rationale", errors,
                                         max_length=RATIONALE_MAX)
    if "status" in changes:
        values["status"] = parse_choice(changes["status"], VoteStatus, "status", errors)
        if values["status"] is not None and ORDER[values["status"]] < ORDER[vote.status]:
            errors["status"] = _("A vote moves forward only: proposed, instructed, cast.")
    if "agm_on" in changes:
        values["agm_on"] = parse_date(changes["agm_on"], "agm_on", errors)
    if "item" in changes:
        values["item"] = parse_text(changes["item"], "item", errors, max_length=ITEM_MAX,
                                    required=True)
    if "item_kind" in changes:
        values["item_kind"] = parse_choice(changes["item_kind"], VoteItemKind, "item_kind",
                                           errors)
    after = {key: values.get(key, getattr(vote, key)) for key in FIELDS}
    _check_rationale(after["instruction"], vote.requested_instruction, after["status"],
                     after["rationale"], errors, item_kind=after["item_kind"],
                     company_id=vote.company_id)
    if not errors and ("agm_on" in values or "item" in values) and _taken(
            organisation_id, vote.company_id, after["agm_on"], after["item"], vote.id):
        errors["item"] = _("Your organisation has a vote on this item at this AGM already.")
    if errors:
        raise VoteError(errors)
    for key, value in values.items():
        setattr(vote, key, value)
    _flush_once(vote)
    return vote


def may_change(vote: Vote) -> bool:
    """Whether the vote can still be changed (it has not been cast)."""
    return vote.status != VoteStatus.CAST
