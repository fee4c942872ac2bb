"""An engagement's objectives: what it asks of the company (the insurer's policy, section 8.4:
end the impact, provide remedy, prevent recurrence, be transparent; the study's: improve
management systems by objectives and targets, measure outcomes for people, hear the
rights-holders), each open, met or abandoned with the reason, served by milestones.

The leads (lead and co-lead investors) add, change and close them. Like every engagement
write, each function validates everything first and raises
:class:`~engage.engagements.service.EngagementError` before anything is written; none
commits. The audit trail records every change (the ORM flush listener), so an objective
reopened or reworded keeps its earlier state there.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from engage.clock import local_date
from engage.common.forms import parse_choice, parse_text
from engage.engagements.models import (
    Engagement,
    EngagementStatus,
    Objective,
    ObjectiveKind,
    ObjectiveStatus,
)
from engage.engagements.service import EngagementError, _check_actor, _require_lead
from engage.extensions import db
from engage.organisations.models import User

DESCRIPTION_MAX = 2000
FIELDS = ("kind", "description", "status", "reason")


def parse_objective(kind: Any, description: Any, errors: dict[str, str], *,
                    fields: tuple[str, str] = ("kind", "description"),
                    required: bool = True) -> tuple[Any, str | None]:
    """The kind and description of a new objective; messages go under ``fields``."""
    kind_value = parse_choice(kind, ObjectiveKind, fields[0], errors,
                              default=ObjectiveKind.END_IMPACT)
    text = parse_text(description, fields[1], errors, max_length=DESCRIPTION_MAX,
                      required=required)
    return kind_value, text


def _refuse_if_closed(engagement: Engagement) -> None:
    if engagement.status != EngagementStatus.ACTIVE:
        raise EngagementError(_("This engagement is closed: its objectives are as it left "
                                "them."))


def add_objective(engagement: Engagement, *, actor: User, organisation_id: int, kind: Any,
                  description: Any) -> Objective:
    """A lead adds an open objective to an active engagement."""
    _check_actor(actor, organisation_id)
    _require_lead(engagement.id, organisation_id)
    _refuse_if_closed(engagement)
    errors: dict[str, str] = {}
    kind_value, text = parse_objective(kind, description, errors)
    if errors:
        raise EngagementError(errors)
    objective = Objective(engagement_id=engagement.id, kind=kind_value, description=text,
                          status=ObjectiveStatus.OPEN, reason="")
    db.session.add(objective)
    db.session.flush()
    return objective


def update_objective(objective: Objective, *, actor: User, organisation_id: int,
                     now: datetime, **changes: Any) -> Objective:
    """Reword an objective, or close it: met (today where the platform runs), abandoned (a
    reason is required), or open again. Closing records the day; reopening clears it and
    the reason (the audit trail keeps both)."""
    _check_actor(actor, organisation_id)
    _require_lead(objective.engagement_id, organisation_id)
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise EngagementError(_("Unknown fields: %(names)s", names=", ".join(sorted(unknown))))
    _refuse_if_closed(objective.engagement)
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if "kind" in changes:
        values["kind"] = parse_choice(changes["kind"], ObjectiveKind, "kind", errors)
    if "description" in changes:
        values["description"] = parse_text(changes["description"], "description", errors,
                                           max_length=DESCRIPTION_MAX, required=True)
    status = objective.status
    if "status" in changes:
        status = parse_choice(changes["status"], ObjectiveStatus, "status", errors) or status
    reason = objective.reason
    if "reason" in changes:
        reason = parse_text(changes["reason"], "reason", errors, max_length=DESCRIPTION_MAX) or ""
    if status == ObjectiveStatus.ABANDONED and not reason and "reason" not in errors:
        errors["reason"] = _("Say why the objective is abandoned.")
    if errors:
        raise EngagementError(errors)
    for key, value in values.items():
        setattr(objective, key, value)
    if status != objective.status:
        objective.closed_on = None if status == ObjectiveStatus.OPEN else local_date(now)
    objective.status = status
    objective.reason = "" if status == ObjectiveStatus.OPEN else reason
    db.session.flush()
    return objective
