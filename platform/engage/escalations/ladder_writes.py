"""Who writes which ladder, beside the initiative's (``initiatives.service.write_ladder``):
the leads tailor one engagement's ladder (a copy that diverges, and back to the shared one),
and an organisation's admins keep templates of their own. Installed templates are
read-only. Steps in use are retired, never deleted or changed (:func:`ladders.replace_steps`);
every change is audited with the flush (``audit/service.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from engage.common.forms import parse_int, parse_text
from engage.escalations import ladders
from engage.escalations.ladders import LadderError
from engage.escalations.models import EscalationLadder, LadderStep
from engage.extensions import db

NAME_MAX = 200
TEXT_MAX = 4000


class LadderConflict(LadderError):
    """The ladder is not in a state for this (the API answers 409)."""


# --- the ladder an engagement climbs -----------------------------------------------------------

def shared_ladder_id(engagement, tailored: EscalationLadder | None = None) -> int | None:
    """The ladder the engagement shares: its initiative's; else the one it shared before it
    was ``tailored`` (when still there); else the first installed template.

    Read over the table: the ladder shared before may be visible only through the
    engagements that climb it, which this one no longer does."""
    from engage.common.visibility import aliased_table

    if engagement.initiative_id is not None:
        ladder_id = db.session.scalar(sa.select(EscalationLadder.id).where(
            EscalationLadder.initiative_id == engagement.initiative_id))
        if ladder_id is not None:
            return ladder_id
    if tailored is not None and tailored.shared_ladder_id is not None:
        table = aliased_table("escalation_ladder", "ladders_shared")
        before = db.session.execute(
            sa.select(table.c.id).where(table.c.id == tailored.shared_ladder_id,
                                        table.c.engagement_id.is_(None),
                                        table.c.organisation_id.is_(None))).scalar()
        if before is not None:
            return before
    return db.session.scalar(
        sa.select(EscalationLadder.id)
        .where(EscalationLadder.is_template.is_(True), EscalationLadder.organisation_id.is_(None))
        .order_by(EscalationLadder.id).limit(1))


def tailored_ladder(engagement_id: int) -> EscalationLadder | None:
    """The copy tailored to the engagement, whether it climbs it now or was reverted."""
    return db.session.scalar(sa.select(EscalationLadder).where(
        EscalationLadder.engagement_id == engagement_id))


def _lead_only(engagement, organisation_id: int) -> None:
    from engage.engagements.models import EngagementParticipant
    from engage.engagements.service import participant_role

    if participant_role(engagement.id, organisation_id) not in EngagementParticipant.LEAD_ROLES:
        raise LadderError(_("Only the engagement's lead and co-lead investors can do this."))


def _source(copy_from: Any) -> EscalationLadder:
    errors: dict[str, str] = {}
    source_id = parse_int(copy_from, "copy_from", errors)
    # Tenancy: only ladders this organisation may see can be loaded at all.
    source = db.session.get(EscalationLadder, source_id) if source_id else None
    if source is None or not source.steps:
        raise LadderError({"copy_from": _("Choose one of the ladders in the list.")})
    return source


def tailor(engagement, *, actor, organisation_id: int, now: datetime, steps: Any = None,
           copy_from: Any = None) -> EscalationLadder:
    """The leads make the engagement climb a ladder of its own: ``steps`` (as
    :func:`ladders.replace_steps` takes them), the steps of ``copy_from`` (a template or
    another ladder the organisation sees), or, with neither, a copy of the ladder it climbs.
    While the engagement climbs the shared ladder, step ids name that ladder's steps; the
    copy gets new steps, and the shared ladder is left as it is."""
    _lead_only(engagement, organisation_id)
    current = engagement.ladder
    if copy_from is not None:
        source = _source(copy_from)
        steps = ladders.steps_of(source)
    elif steps is None:
        if current is None or not current.steps:
            raise LadderError({"copy_from": _("Choose one of the ladders in the list.")})
        steps = ladders.steps_of(current)
    elif current is None or not current.tailored:
        on_current = {step.id for step in current.steps} if current else set()
        checked = ladders.check_steps(steps)
        unknown = {f"steps-{n}-id": _("This step is not on this ladder.")
                   for n, entry in enumerate(checked, start=1)
                   if entry.id is not None and entry.id not in on_current}
        if unknown:
            raise LadderError(unknown)
        steps = [dict(entry, id=None) for entry in steps]
    ladder = tailored_ladder(engagement.id)
    if ladder is None:
        base = current.name if current is not None else _("Escalation ladder")
        ladder = ladders.new_ladder(
            _("%(ladder)s, tailored to %(title)s", ladder=base, title=engagement.title), [])
        ladder.engagement_id = engagement.id
        if current is not None:
            ladder.description, ladder.description_nl = current.description, current.description_nl
        db.session.add(ladder)
        db.session.flush()
    if current is not None and current.id != ladder.id:
        ladder.shared_ladder_id = current.id
    ladders.replace_steps(ladder, steps, now=now)
    engagement.ladder = ladder
    db.session.flush()
    return ladder


def revert(engagement, *, actor, organisation_id: int, now: datetime) -> EscalationLadder | None:
    """The engagement climbs the shared ladder again. The tailored copy goes, unless a
    review, decision or the engagement's current step uses one of its steps: then it stays,
    for the record, and a later tailoring starts from it again."""
    _lead_only(engagement, organisation_id)
    tailored = engagement.ladder
    if tailored is None or not tailored.tailored:
        raise LadderConflict(_("The engagement already climbs the shared ladder."))
    shared_id = shared_ladder_id(engagement, tailored)
    engagement.ladder_id = shared_id
    db.session.flush()
    db.session.expire(engagement, ["ladder"])
    if not _used(tailored):
        db.session.delete(tailored)
        db.session.flush()
    return db.session.get(EscalationLadder, shared_id) if shared_id is not None else None


def _used(ladder: EscalationLadder) -> bool:
    from engage.engagements.models import Engagement

    all_steps = db.session.scalars(sa.select(LadderStep.id).where(
        LadderStep.ladder_id == ladder.id))
    if ladders.steps_in_use(all_steps):
        return True
    return db.session.scalar(sa.select(sa.func.count()).select_from(Engagement).where(
        Engagement.ladder_id == ladder.id)) > 0


# --- an organisation's own templates ----------------------------------------------------------

def check_template(data: Mapping[str, Any]) -> dict[str, str]:
    """A template's name and description, both languages; the English name is required."""
    errors: dict[str, str] = {}
    fields = dict(
        name=parse_text(data.get("name"), "name", errors, required=True, max_length=NAME_MAX),
        name_nl=parse_text(data.get("name_nl"), "name_nl", errors, max_length=NAME_MAX),
        description=parse_text(data.get("description"), "description", errors,
                               max_length=TEXT_MAX),
        description_nl=parse_text(data.get("description_nl"), "description_nl", errors,
                                  max_length=TEXT_MAX),
    )
    if errors:
        raise LadderError(errors)
    return fields


def _own_template(ladder: EscalationLadder, organisation_id: int) -> None:
    if not ladder.is_template or ladder.organisation_id != organisation_id:
        raise LadderError(_("Installed templates cannot be changed; copy one into a template "
                            "of your own."))


def create_template(*, actor, organisation_id: int, data: Mapping[str, Any], now: datetime,
                    steps: Any = None, copy_from: Any = None) -> EscalationLadder:
    """An organisation's own template, from ``steps`` or the steps of ``copy_from``."""
    fields = check_template(data)
    if copy_from is not None:
        steps = ladders.steps_of(_source(copy_from))
    checked = ladders.check_steps(steps)
    if any(entry.id is not None for entry in checked):
        raise LadderError({"steps-1-id": _("This step is not on this ladder.")})
    ladder = ladders.new_ladder(fields.pop("name"), [], is_template=True, **fields)
    ladder.organisation_id = organisation_id
    db.session.add(ladder)
    db.session.flush()
    return ladders.replace_steps(ladder, steps, now=now)


def update_template(ladder: EscalationLadder, *, actor, organisation_id: int,
                    data: Mapping[str, Any], now: datetime, steps: Any = None) -> EscalationLadder:
    """The admins rename, describe and rewrite their organisation's template."""
    _own_template(ladder, organisation_id)
    fields = check_template(data)
    for key, value in fields.items():
        setattr(ladder, key, value)
    if steps is not None:
        ladders.replace_steps(ladder, steps, now=now)
    db.session.flush()
    return ladder


def delete_template(ladder: EscalationLadder, *, actor, organisation_id: int) -> None:
    """Delete the organisation's template while no engagement climbs it and no review or
    decision uses one of its steps (ladders copied from it are copies and do not count)."""
    _own_template(ladder, organisation_id)
    if _used(ladder):
        raise LadderConflict(_("This template is in use by an engagement; it cannot be "
                               "deleted."))
    db.session.delete(ladder)
    db.session.flush()


def own_templates(organisation_id: int) -> list[EscalationLadder]:
    return list(db.session.scalars(
        sa.select(EscalationLadder)
        .where(EscalationLadder.is_template.is_(True),
               EscalationLadder.organisation_id == organisation_id)
        .order_by(EscalationLadder.name, EscalationLadder.id)))


def templates() -> list[EscalationLadder]:
    """Every template the organisation sees: the installed ones first, then its own."""
    from sqlalchemy.orm import selectinload

    return list(db.session.scalars(
        sa.select(EscalationLadder).where(EscalationLadder.is_template.is_(True))
        .options(selectinload(EscalationLadder.steps))
        .order_by(EscalationLadder.organisation_id.is_not(None), EscalationLadder.name,
                  EscalationLadder.id)))
