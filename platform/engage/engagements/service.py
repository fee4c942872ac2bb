"""Engagement rules shared by the pages, the API, the permission checks and the escalation
engine: creating an engagement, its milestones and dialogue, signing on and co-signing.

Every function validates everything first and raises :class:`EngagementError` before
anything is written; none commits (the caller commits once per unit of work). Audit
events come from the ORM flush listener; a new engagement is announced
(``signals.engagement_created``) for the receivers that tell the company's followers.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from engage import signals
from engage.clock import local_date
from engage.common.forms import ID_MAX, FormError, parse_choice, parse_date, parse_int, parse_text
from engage.db import utcnow
from engage.engagements.labels import document_noun
from engage.engagements.models import (
    STAGES,
    DialogueEntry,
    DialogueKind,
    Engagement,
    EngagementLevel,
    EngagementParticipant,
    EngagementTrigger,
    Horizon,
    Letter,
    LetterDecline,
    LetterKind,
    LetterStatus,
    Milestone,
    Objective,
    ObjectiveKind,
    ParticipantRole,
    Signature,
    Visibility,
)
from engage.extensions import db
from engage.organisations.models import OrgMembership, User

TITLE_MAX = 200
MILESTONE_TITLE_MAX = 300


class EngagementError(FormError):
    """An engagement's write cannot be carried out as given; nothing was written."""


class LetterSent(EngagementError):
    """The letter has been sent: it cannot change any more (a conflict, 409)."""


class LetterChanged(EngagementError):
    """The letter was reopened for signing since the signer read it (a conflict, 409)."""


def refuse_if_sent(letter: Letter) -> None:
    if letter.status != LetterStatus.SENT:
        return
    # A statement is published, a question asked, a resolution filed (escalations.documents).
    if letter.kind is LetterKind.PUBLIC_STATEMENT:
        raise LetterSent(_("This statement has been published: its text and signatories are "
                           "final."))
    if letter.kind is LetterKind.AGM_QUESTION:
        raise LetterSent(_("This question has been asked at the AGM: its text and signatories "
                           "are final."))
    if letter.kind is LetterKind.RESOLUTION:
        raise LetterSent(_("This resolution has been filed: its text and co-filers are final."))
    raise LetterSent(_("This letter has been sent: its text and signatories are final."))


def participant_role(engagement_id: int, organisation_id: int) -> ParticipantRole | None:
    """The organisation's role in the engagement (lead, co-lead, supporter), or None."""
    return db.session.scalar(
        sa.select(EngagementParticipant.role).where(
            EngagementParticipant.engagement_id == engagement_id,
            EngagementParticipant.organisation_id == organisation_id,
        )
    )


def _check_actor(actor: User, organisation_id: int) -> None:
    member_of = db.session.scalar(
        sa.select(OrgMembership.organisation_id).where(OrgMembership.user_id == actor.id))
    if member_of != organisation_id:
        raise EngagementError(_("You do not act for this organisation."))


def _require_lead(engagement_id: int, organisation_id: int) -> None:
    if participant_role(engagement_id, organisation_id) not in EngagementParticipant.LEAD_ROLES:
        raise EngagementError(_("Only the engagement's lead and co-lead investors can do this."))


# --- creating an engagement ------------------------------------------------------------------


def may_create_in(initiative_id: int, organisation_id: int) -> bool:
    """The coordinator, or an admitted lead / co-lead member, starts engagements in an initiative."""
    from engage.initiatives.models import Initiative, InitiativeMember, MemberStatus

    coordinator = db.session.scalar(
        sa.select(Initiative.coordinator_organisation_id).where(Initiative.id == initiative_id))
    if coordinator is None:
        return False
    if coordinator == organisation_id:
        return True
    return db.session.scalar(
        sa.select(sa.func.count(InitiativeMember.id)).where(
            InitiativeMember.initiative_id == initiative_id,
            InitiativeMember.organisation_id == organisation_id,
            InitiativeMember.status == MemberStatus.ADMITTED,
            InitiativeMember.leads,
        )) > 0


def _ladder_for(initiative_id: int | None) -> int | None:
    """The initiative's shared ladder; for a direct engagement the first template ladder."""
    from engage.escalations.models import EscalationLadder

    if initiative_id is not None:
        ladder_id = db.session.scalar(
            sa.select(EscalationLadder.id).where(EscalationLadder.initiative_id == initiative_id))
        if ladder_id is not None:
            return ladder_id
    return db.session.scalar(
        sa.select(EscalationLadder.id).where(EscalationLadder.is_template.is_(True))
        .order_by(EscalationLadder.id).limit(1))


def _objectives_of(data: dict, errors: dict[str, str],
                   required: bool) -> list[tuple[ObjectiveKind, str]]:
    """The objectives a new engagement starts with: ``objective`` (with ``objective_kind``),
    as the form gives it, and/or ``objectives``, a list of {kind, description} (the API)."""
    from engage.engagements.objectives import parse_objective

    found: list[tuple[ObjectiveKind, str]] = []
    kind, text = parse_objective(data.get("objective_kind"), data.get("objective"), errors,
                                 fields=("objective_kind", "objective"), required=False)
    if text:
        found.append((kind, text))
    for n, item in enumerate(data.get("objectives") or []):
        item = item if isinstance(item, dict) else {}
        kind, text = parse_objective(item.get("kind"), item.get("description"), errors,
                                     fields=(f"objectives.{n}.kind",
                                             f"objectives.{n}.description"))
        if text:
            found.append((kind, text))
    if required and not found and "objective" not in errors:
        errors["objective"] = _("State at least one objective: what must the company do?")
    return found


def create_engagement(*, actor: User, organisation_id: int, data: dict,
                      require_objective: bool = False) -> Engagement:
    """A new engagement led by ``organisation_id``, with its objectives and first milestone
    (which serves the first objective). The page asks for at least one objective
    (``require_objective``); the API lets a coalition's system add them afterwards."""
    from engage.companies.models import Company

    _check_actor(actor, organisation_id)
    errors: dict[str, str] = {}
    company_id = parse_int(data.get("company_id"), "company_id", errors, low=1, high=ID_MAX)
    if company_id is not None and db.session.get(Company, company_id) is None:
        errors["company_id"] = _("Choose a company from the list.")
    if "company_id" in errors:
        errors["company_id"] = _("Choose a company from the list.")
    initiative_id = data.get("initiative_id") or None
    if initiative_id is not None:
        initiative_id = parse_int(initiative_id, "initiative_id", errors, low=1, high=ID_MAX)
        if initiative_id is not None and not may_create_in(initiative_id, organisation_id):
            errors["initiative_id"] = _("Only the initiative's coordinator or its admitted lead "
                                        "and co-lead members start engagements in it.")
    title = parse_text(data.get("title"), "title", errors, max_length=TITLE_MAX, required=True)
    issue = parse_text(data.get("issue"), "issue", errors, required=True)
    rights_holders = parse_text(data.get("rights_holders"), "rights_holders", errors)
    trigger = parse_choice(data.get("trigger"), EngagementTrigger, "trigger", errors)
    severity = {
        key: parse_int(data.get(key), key, errors, low=1, high=5)
        for key in ("severity_scale", "severity_scope", "severity_irremediability")
    }
    started_on = parse_date(data.get("started_on"), "started_on", errors)
    objectives = _objectives_of(data, errors, require_objective)
    milestone_title = parse_text(data.get("milestone_title"), "milestone_title", errors,
                                 max_length=MILESTONE_TITLE_MAX)
    milestone_due_on = parse_date(data.get("milestone_due_on"), "milestone_due_on", errors,
                                  required=bool(milestone_title))
    if milestone_due_on and not milestone_title and "milestone_title" not in errors:
        errors["milestone_title"] = _("Give the milestone a title, or leave both empty.")
    if milestone_due_on and started_on and milestone_due_on < started_on:
        errors["milestone_due_on"] = _("The milestone cannot be due before the engagement starts.")
    level = EngagementLevel.COLLABORATIVE
    if initiative_id is None:
        level = parse_choice(data.get("level"), EngagementLevel, "level", errors,
                             default=EngagementLevel.DIRECT)
        if level == EngagementLevel.COLLABORATIVE:
            errors["level"] = _("A collaborative engagement belongs to an initiative: choose one.")
    if errors:
        raise EngagementError(errors)

    engagement = Engagement(
        company_id=company_id, initiative_id=initiative_id, title=title, level=level,
        trigger=trigger, issue=issue, rights_holders=rights_holders, started_on=started_on,
        ladder_id=_ladder_for(initiative_id), **severity,
    )
    db.session.add(engagement)
    db.session.flush()
    db.session.add(EngagementParticipant(engagement_id=engagement.id,
                                         organisation_id=organisation_id,
                                         role=ParticipantRole.LEAD))
    objective_rows = [Objective(engagement_id=engagement.id, kind=kind, description=text)
                      for kind, text in objectives]
    db.session.add_all(objective_rows)
    db.session.flush()
    objective_row = objective_rows[0] if objective_rows else None
    if milestone_title:
        db.session.add(Milestone(
            engagement_id=engagement.id, title=milestone_title, due_on=milestone_due_on,
            objective_id=objective_row.id if objective_row else None))
    db.session.flush()
    signals.engagement_created.send(engagement.id, actor_id=actor.id, now=utcnow())
    return engagement


# --- milestones ---------------------------------------------------------------------------


def add_milestone(engagement: Engagement, *, actor: User, organisation_id: int, title: str,
                  due_on: date | str, horizon: str = "short",
                  objective_id: int | None = None) -> Milestone:
    _check_actor(actor, organisation_id)
    _require_lead(engagement.id, organisation_id)
    errors: dict[str, str] = {}
    title = parse_text(title, "title", errors, max_length=MILESTONE_TITLE_MAX, required=True)
    due = parse_date(due_on, "due_on", errors)
    if due and due < engagement.started_on:
        errors["due_on"] = _("The milestone cannot be due before the engagement starts.")
    horizon_value = parse_choice(horizon, Horizon, "horizon", errors, default=Horizon.SHORT)
    objective_id = _objective(engagement, objective_id, errors)
    if errors:
        raise EngagementError(errors)
    milestone = Milestone(engagement_id=engagement.id, title=title, due_on=due,
                          horizon=horizon_value, objective_id=objective_id)
    db.session.add(milestone)
    db.session.flush()
    return milestone


def _objective(engagement: Engagement, objective_id: Any, errors: dict[str, str]) -> int | None:
    if objective_id in (None, ""):
        return None
    number = parse_int(objective_id, "objective_id", errors, low=1, high=ID_MAX)
    if number is not None and db.session.scalar(
            sa.select(Objective.id).where(Objective.id == number,
                                          Objective.engagement_id == engagement.id)) is None:
        errors["objective_id"] = _("Choose one of this engagement's objectives.")
    return number


MILESTONE_FIELDS = ("title", "due_on", "stage", "met_on", "evidence", "outcome_for_people",
                    "objective_id")


def update_milestone(milestone: Milestone, *, actor: User, organisation_id: int,
                     now: datetime, **changes: Any) -> Milestone:
    """Change a milestone. A new due date is a new deadline: its version goes up, so the
    escalation engine reminds and reviews it afresh (a review of the old date stays as it is).
    A milestone is met on or before today where the platform runs (``local_date(now)``)."""
    _check_actor(actor, organisation_id)
    _require_lead(milestone.engagement_id, organisation_id)
    unknown = set(changes) - set(MILESTONE_FIELDS)
    if unknown:
        raise EngagementError(_("Unknown fields: %(names)s", names=", ".join(sorted(unknown))))
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if "title" in changes:
        values["title"] = parse_text(changes["title"], "title", errors,
                                     max_length=MILESTONE_TITLE_MAX, required=True)
    if "due_on" in changes:
        values["due_on"] = parse_date(changes["due_on"], "due_on", errors)
        started_on = milestone.engagement.started_on
        if values["due_on"] and values["due_on"] < started_on:
            errors["due_on"] = _("The milestone cannot be due before the engagement starts.")
    if "stage" in changes:
        values["stage"] = parse_int(changes["stage"], "stage", errors, low=0, high=max(STAGES))
    if "met_on" in changes:
        values["met_on"] = parse_date(changes["met_on"], "met_on", errors, required=False)
        if values["met_on"] and values["met_on"] > local_date(now):
            errors["met_on"] = _("A milestone cannot be met in the future.")
    for key in ("evidence", "outcome_for_people"):
        if key in changes:
            values[key] = parse_text(changes[key], key, errors)
    if "objective_id" in changes:  # the objective it serves; empty: none
        values["objective_id"] = _objective(milestone.engagement, changes["objective_id"], errors)
    if errors:
        raise EngagementError(errors)
    if "due_on" in values and values["due_on"] != milestone.due_on:
        milestone.deadline_version = milestone.deadline_version + 1
    for key, value in values.items():
        setattr(milestone, key, value)
    db.session.flush()
    return milestone


# --- dialogue -------------------------------------------------------------------------------


def add_dialogue(engagement: Engagement, *, actor: User, organisation_id: int, kind: str,
                 occurred_on: date | str, summary: str, now: datetime, participants: str = "",
                 outcome: str = "", visibility: str = "coalition", company_level: Any = None,
                 mode: Any = None, follow_up: str = "") -> DialogueEntry:
    """Log a meeting, call, letter, e-mail, AGM question, site visit or consultation that
    has taken place (on or before ``local_date(now)``). A private entry is seen by the
    author's organisation only."""
    _check_actor(actor, organisation_id)
    if participant_role(engagement.id, organisation_id) not in EngagementParticipant.ACTING_ROLES:
        raise EngagementError(_("Only organisations that take part in this engagement can log "
                                "dialogue."))
    from engage.engagements.corrections import parse_dialogue_fields

    errors: dict[str, str] = {}
    fields = parse_dialogue_fields(
        {"kind": kind, "occurred_on": occurred_on, "summary": summary,
         "participants": participants, "outcome": outcome, "company_level": company_level,
         "mode": mode, "follow_up": follow_up}, errors, now=now, partial=False)
    visibility_value = parse_choice(visibility, Visibility, "visibility", errors,
                                    default=Visibility.COALITION)
    if errors:
        raise EngagementError(errors)
    entry = DialogueEntry(
        engagement_id=engagement.id, organisation_id=organisation_id, author_id=actor.id,
        visibility=visibility_value, **fields)
    db.session.add(entry)
    db.session.flush()
    return entry


# --- signing on and co-signing -----------------------------------------------------------------


def sign_on_role(engagement: Engagement, organisation_id: int) -> ParticipantRole | None:
    """The role the organisation would take by signing on, or None when it may not."""
    from engage.initiatives.models import InitiativeMember, MemberRole, MemberStatus

    if engagement.initiative_id is None:
        return None
    member_role = db.session.scalar(
        sa.select(InitiativeMember.role).where(
            InitiativeMember.initiative_id == engagement.initiative_id,
            InitiativeMember.organisation_id == organisation_id,
            InitiativeMember.status == MemberStatus.ADMITTED))
    if member_role is None or member_role == MemberRole.OBSERVER:
        return None
    if member_role in InitiativeMember.LEAD_ROLES:
        return ParticipantRole.CO_LEAD
    return ParticipantRole.SUPPORTER


def sign_on_engagement(engagement: Engagement, *, actor: User,
                       organisation_id: int) -> EngagementParticipant:
    _check_actor(actor, organisation_id)
    if participant_role(engagement.id, organisation_id) is not None:
        raise EngagementError(_("Your organisation already takes part in this engagement."))
    role = sign_on_role(engagement, organisation_id)
    if role is None:
        raise EngagementError(_("Only admitted members of the engagement's initiative (not "
                                "observers) can sign on."))
    from engage.engagements.models import EngagementStatus

    if engagement.status != EngagementStatus.ACTIVE:
        raise EngagementError(_("This engagement is closed."))
    participant = EngagementParticipant(engagement_id=engagement.id,
                                        organisation_id=organisation_id, role=role)
    db.session.add(participant)
    db.session.flush()
    return participant


def co_sign(letter: Letter, *, actor: User, organisation_id: int,
            seen_version: str | None = None) -> Signature:
    """The organisation co-signs a letter open for signing; once per organisation.
    ``seen_version`` (the letter's ``signing_version`` as the signer's page showed it) makes
    sure the signature goes under the text the signer read, not one reopened since."""
    _check_actor(actor, organisation_id)
    document = document_noun(letter.kind)
    if participant_role(letter.engagement_id, organisation_id) not in EngagementParticipant.ACTING_ROLES:
        raise EngagementError(_("Only organisations that take part in this engagement can "
                                "co-sign this %(document)s.", document=document))
    refuse_if_sent(letter)
    if letter.status != LetterStatus.OPEN_FOR_SIGNING:
        raise EngagementError(_("This %(document)s is not open for signing.", document=document))
    if seen_version is not None and seen_version != letter.signing_version:
        raise LetterChanged(_("The text of this %(document)s changed since you opened it: read "
                              "it again before signing.", document=document))
    signed = db.session.scalar(sa.select(Signature.id).where(
        Signature.letter_id == letter.id, Signature.organisation_id == organisation_id))
    if signed is not None:
        raise EngagementError(_("Your organisation has signed this %(document)s already.",
                                document=document))
    # An organisation that declined may still sign while the letter is open: it then no
    # longer declines.
    db.session.execute(sa.delete(LetterDecline).where(
        LetterDecline.letter_id == letter.id, LetterDecline.organisation_id == organisation_id))
    signature = Signature(letter_id=letter.id, organisation_id=organisation_id,
                          signed_by_id=actor.id, signed_at=utcnow())
    db.session.add(signature)
    db.session.flush()
    return signature
