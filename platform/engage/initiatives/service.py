"""Initiatives: creating one, signing on, and the coordinator's admit / decline.

Every function checks its input and the acting organisation's right BEFORE writing, raises
:class:`InitiativeError` with field messages otherwise, and leaves the commit to the caller.
Row changes are audited by the flush listener. An application and the coordinator's decision
are announced as :mod:`engage.signals`; the notifications to the other organisation are
written by their receivers (:mod:`engage.notifications.handlers`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engage import signals
from engage.common.forms import FormError, parse_choice, parse_int, parse_text
from engage.db import utcnow
from engage.escalations import ladders
from engage.escalations.models import EscalationLadder
from engage.extensions import db
from engage.initiatives.models import (
    Initiative,
    InitiativeMember,
    InitiativeStatus,
    MemberRole,
    MemberStatus,
)

# What a prospective member may ask to be; the coordinating organisation is the lead.
SIGN_ON_ROLES = (MemberRole.CO_LEAD, MemberRole.SUPPORTER, MemberRole.OBSERVER)
# Sign-on is open while an initiative recruits and once it is active; not in draft or closed.
# Only a recruiting initiative is visible to organisations outside it (tenancy), so only a
# recruiting initiative takes applications.
OPEN_FOR_SIGN_ON = (InitiativeStatus.RECRUITING,)
# Above any investor's assets (the world's largest manage about EUR 10 trillion): a typo.
MAX_AUM_EUR = Decimal(100000000000000)
MAX_TEXT = 5000

ROLE_LABELS = {
    MemberRole.LEAD: _l("Lead"),
    MemberRole.CO_LEAD: _l("Co-lead"),
    MemberRole.SUPPORTER: _l("Supporter"),
    MemberRole.OBSERVER: _l("Observer"),
}
MEMBER_STATUS_LABELS = {
    MemberStatus.PENDING: _l("Pending"),
    MemberStatus.ADMITTED: _l("Admitted"),
    MemberStatus.DECLINED: _l("Declined"),
    MemberStatus.LEFT: _l("Left"),
    MemberStatus.REMOVED: _l("Removed"),
}
STATUS_LABELS = {
    InitiativeStatus.DRAFT: _l("Draft"),
    InitiativeStatus.RECRUITING: _l("Recruiting"),
    InitiativeStatus.ACTIVE: _l("Active"),
    InitiativeStatus.CLOSED: _l("Closed"),
}


class InitiativeError(FormError):
    """Bad input or no right to act on an initiative; nothing was written."""


# --- parsing ----------------------------------------------------------------------------------

def parse_aum(value: Any) -> Decimal | None:
    """Committed AUM in EUR: empty is None; otherwise a non-negative amount with at most two
    decimals, below :data:`MAX_AUM_EUR`. Accepts "1 500 000", "1,500,000.50" and "1500000"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        amount = Decimal(value)
    else:
        text = str(value).strip().replace(" ", "").replace("\u00a0", "").replace("_", "")
        if text.count(",") and text.count(".") or text.count(",") > 1 or (text.count(",") == 1 and len(text.split(",")[1]) == 3):
            text = text.replace(",", "")
        else:
            text = text.replace(",", ".")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise InitiativeError({"aum_committed_eur": _(
                "Enter an amount in euros, for example 500000000.")}) from None
    if not amount.is_finite():
        raise InitiativeError({"aum_committed_eur": _("Enter an amount in euros.")})
    if amount < 0:
        raise InitiativeError({"aum_committed_eur": _("The amount cannot be negative.")})
    if amount >= MAX_AUM_EUR:
        raise InitiativeError({"aum_committed_eur": _(
            "That is more than any investor manages; enter the amount in euros, not cents.")})
    if amount != amount.quantize(Decimal("0.01")):
        raise InitiativeError({"aum_committed_eur": _("Use at most two decimals.")})
    return amount


# --- creating and editing ---------------------------------------------------------------------

@dataclass(frozen=True)
class InitiativeForm:
    title: str
    theme: str
    description: str
    common_goals: str
    preparation: str
    status: InitiativeStatus
    ladder_id: int | None


def check_form(data: dict[str, Any], *, organisation_id: int) -> InitiativeForm:
    errors: dict[str, str] = {}
    title = parse_text(data.get("title"), "title", errors, required=True, max_length=200)
    theme = parse_text(data.get("theme"), "theme", errors, required=True, max_length=100)
    description = parse_text(data.get("description"), "description", errors, max_length=MAX_TEXT)
    common_goals = parse_text(data.get("common_goals"), "common_goals", errors, required=True,
                              max_length=MAX_TEXT)
    preparation = parse_text(data.get("preparation"), "preparation", errors, max_length=MAX_TEXT)
    status = parse_choice(data.get("status"), InitiativeStatus, "status", errors,
                          default=InitiativeStatus.DRAFT)
    ladder_id = parse_int(data.get("ladder_id"), "ladder_id", errors, required=False)
    # Tenancy: only ladders this organisation may see can be loaded at all.
    if ladder_id is not None and db.session.get(EscalationLadder, ladder_id) is None:
        errors["ladder_id"] = _("Choose one of the ladders in the list.")
        ladder_id = None
    if errors:
        raise InitiativeError(errors)
    return InitiativeForm(title, theme, description, common_goals, preparation, status, ladder_id)


def available_ladders() -> list[EscalationLadder]:
    """Ladders this organisation may copy: templates and its visible initiatives' ladders."""
    return list(db.session.scalars(
        sa.select(EscalationLadder).order_by(EscalationLadder.is_template.desc(),
                                             EscalationLadder.name)
        .where(sa.or_(EscalationLadder.is_template.is_(True),
                      EscalationLadder.initiative_id.is_not(None)))
    ))


def _copy_ladder(source_id: int, initiative: Initiative) -> EscalationLadder:
    source = db.session.get(EscalationLadder, source_id)
    ladder = ladders.copy_ladder(
        source, name=_("Escalation ladder of %(title)s", title=initiative.title),
        initiative_id=initiative.id)
    db.session.add(ladder)
    return ladder


def create_initiative(*, actor, organisation_id: int, data: dict[str, Any]) -> Initiative:
    """The acting organisation becomes the coordinator and the admitted lead member, with
    the assets it commits (``aum_committed_eur``, optional) stated as a member's are."""
    form = check_form(data, organisation_id=organisation_id)
    aum = parse_aum(data.get("aum_committed_eur"))
    now = utcnow()
    initiative = Initiative(
        title=form.title, theme=form.theme, description=form.description,
        common_goals=form.common_goals, preparation=form.preparation, status=form.status,
        coordinator_organisation_id=organisation_id,
    )
    initiative.members.append(InitiativeMember(
        organisation_id=organisation_id, role=MemberRole.LEAD, status=MemberStatus.ADMITTED,
        joined_at=now, admitted_at=now, aum_committed_eur=aum,
    ))
    db.session.add(initiative)
    db.session.flush()
    if form.ladder_id:
        _copy_ladder(form.ladder_id, initiative)
        db.session.flush()
    return initiative


def update_initiative(initiative: Initiative, *, actor, organisation_id: int,
                      data: dict[str, Any]) -> Initiative:
    """The coordinator edits the initiative; a ladder can be chosen while it has none (a
    ladder in use carries the engagements' steps and decisions, so it is not swapped)."""
    _coordinator_only(initiative, organisation_id)
    form = check_form(data, organisation_id=organisation_id)
    for field in ("title", "theme", "description", "common_goals", "preparation", "status"):
        setattr(initiative, field, getattr(form, field))
    if form.ladder_id and initiative_ladder(initiative.id) is None:
        _copy_ladder(form.ladder_id, initiative)
    db.session.flush()
    return initiative


def write_ladder(initiative: Initiative, *, actor, organisation_id: int, steps: Any = None,
                 copy_from: Any = None, now=None) -> EscalationLadder:
    """The coordinator writes the initiative's own ladder: ``steps`` (see
    :func:`engage.escalations.ladders.replace_steps`), or the steps of ``copy_from`` (a
    template or another ladder the organisation sees), which can then be edited. Steps in use
    by the initiative's engagements are retired, never deleted or changed under them."""
    _coordinator_only(initiative, organisation_id)
    now = now or utcnow()
    if copy_from is not None:
        errors: dict[str, str] = {}
        source_id = parse_int(copy_from, "copy_from", errors)
        # Tenancy: only ladders this organisation may see can be loaded at all.
        source = db.session.get(EscalationLadder, source_id) if source_id else None
        if source is None or not source.steps:
            raise InitiativeError({"copy_from": _("Choose one of the ladders in the list.")})
        steps = ladders.steps_of(source)  # both languages of every step
    ladder = initiative_ladder(initiative.id)
    if ladder is None:
        ladder = ladders.new_ladder(
            _("Escalation ladder of %(title)s", title=initiative.title), [],
            initiative_id=initiative.id)
        db.session.add(ladder)
        db.session.flush()
    return ladders.replace_steps(ladder, steps, now=now)


def initiative_ladder(initiative_id: int) -> EscalationLadder | None:
    return db.session.scalar(
        sa.select(EscalationLadder).where(EscalationLadder.initiative_id == initiative_id)
    )


def _coordinator_only(initiative: Initiative, organisation_id: int) -> None:
    if initiative.coordinator_organisation_id != organisation_id:
        raise InitiativeError(_("Only the initiative's coordinating organisation can do this."))


# --- sign-on ------------------------------------------------------------------------------------

def own_membership(initiative_id: int, organisation_id: int) -> InitiativeMember | None:
    return db.session.scalar(sa.select(InitiativeMember).where(
        InitiativeMember.initiative_id == initiative_id,
        InitiativeMember.organisation_id == organisation_id,
    ))


def sign_on(
    initiative: Initiative,
    *,
    actor,
    organisation_id: int,
    role: Any,
    aum_committed_eur: Any,
    committed_resources: Any,
    conflict_of_interest: Any,
    independence_confirmed: bool,
    attestation_version: Any = None,
) -> InitiativeMember:
    """Apply to join: the application is pending until the coordinator admits it. An
    organisation that was declined, left or was removed may apply again. The antitrust
    guardrail accepted is stored with its version (``attestation_version``: the one shown;
    the current one when not given), by whom and when, with the conflict declaration."""
    from engage.initiatives import attestation
    from engage.initiatives.models import SignOnAttestation

    if initiative.coordinator_organisation_id == organisation_id:
        raise InitiativeError(_("Your organisation coordinates this initiative; it is its lead."))
    if initiative.status not in OPEN_FOR_SIGN_ON:
        raise InitiativeError(_("This initiative does not accept new members."))
    existing = own_membership(initiative.id, organisation_id)
    if existing is not None and existing.status in (MemberStatus.PENDING, MemberStatus.ADMITTED):
        raise InitiativeError(
            _("Your organisation has already applied; the coordinator decides.")
            if existing.status is MemberStatus.PENDING
            else _("Your organisation is already a member of this initiative."))
    errors: dict[str, str] = {}
    member_role = parse_choice(role, MemberRole, "role", errors, allowed=SIGN_ON_ROLES)
    try:
        aum = parse_aum(aum_committed_eur)
    except InitiativeError as exc:
        errors.update(exc.errors)
        aum = None
    resources = parse_text(committed_resources, "committed_resources", errors, max_length=MAX_TEXT,
                           required=member_role in (MemberRole.CO_LEAD, MemberRole.SUPPORTER))
    conflict = parse_text(conflict_of_interest, "conflict_of_interest", errors,
                          max_length=MAX_TEXT)
    if not independence_confirmed:
        errors["independence_confirmed"] = _(
            "Confirm that your organisation decides and votes independently and shares no "
            "commercially sensitive information.")
    version = attestation.CURRENT.version
    if attestation_version not in (None, ""):
        shown = parse_int(attestation_version, "attestation_version", {}, low=0, high=32767)
        if shown != version:
            errors["independence_confirmed"] = _(
                "The guardrail's text has changed since the form was opened: read it again "
                "and confirm.")
    if errors:
        raise InitiativeError(errors)

    now = utcnow()
    member = existing or InitiativeMember(initiative_id=initiative.id,
                                          organisation_id=organisation_id)
    member.role = member_role
    member.status = MemberStatus.PENDING
    member.committed_resources = resources
    member.aum_committed_eur = aum
    member.conflict_of_interest = conflict
    member.joined_at = now
    member.admitted_at = None
    db.session.add(member)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:
        # Two people of the same organisation applied at the same moment.
        raise InitiativeError(_("Your organisation has already applied; the coordinator decides.")) from None
    db.session.add(SignOnAttestation(
        initiative_id=initiative.id, member_id=member.id, organisation_id=organisation_id,
        accepted_by_id=getattr(actor, "id", None), version=version, accepted_at=now,
        conflict_of_interest=conflict))
    db.session.flush()
    signals.member_applied.send(
        member.id, initiative=initiative, applicant=organisation_name(organisation_id),
        role=member_role.value, role_label=ROLE_LABELS[member_role], now=now)
    return member


# --- the coordinator's decision -----------------------------------------------------------------

def admit(member: InitiativeMember, *, actor, organisation_id: int) -> InitiativeMember:
    return _decide(member, organisation_id=organisation_id, admitted=True, reason="")


def decline(member: InitiativeMember, *, actor, organisation_id: int,
            reason: str = "") -> InitiativeMember:
    return _decide(member, organisation_id=organisation_id, admitted=False, reason=reason)


def _decide(member: InitiativeMember, *, organisation_id: int, admitted: bool,
            reason: str) -> InitiativeMember:
    initiative = member.initiative
    _coordinator_only(initiative, organisation_id)
    if member.status is not MemberStatus.PENDING:
        raise InitiativeError(_("Only a pending application can be admitted or declined."))
    errors: dict[str, str] = {}
    reason = parse_text(reason, "reason", errors, max_length=1000)
    if errors:
        raise InitiativeError(errors)
    now = utcnow()
    member.status = MemberStatus.ADMITTED if admitted else MemberStatus.DECLINED
    member.admitted_at = now if admitted else None
    db.session.flush()
    from engage.audit import service as audit

    audit.record(
        "initiative_member.admitted" if admitted else "initiative_member.declined",
        object_type="initiative_member", object_id=member.id,
        after={"initiative_id": initiative.id, "organisation_id": member.organisation_id,
               "role": member.role, "reason": reason},
    )
    signals.membership_decided.send(
        member.id, initiative=initiative, organisation_id=member.organisation_id,
        admitted=admitted, status=member.status.value, reason=reason, now=now)
    return member


# --- helpers ------------------------------------------------------------------------------------

def organisation_name(organisation_id: int) -> str:
    from engage.organisations.models import Organisation

    return db.session.scalar(
        sa.select(Organisation.name).where(Organisation.id == organisation_id)) or ""
