"""Correcting an engagement's record without losing what it said before.

- The leads (lead and co-lead investors) correct the engagement's facts (title, issue,
  rights-holders, trigger); the audit trail keeps the earlier values.
- A severity re-assessment (scale, scope, irremediability) is a row of its own with the
  scores before and after, who, when and why; the engagement holds the new scores, so every
  list ordered by severity follows them at once.
- A milestone is cancelled with a reason: it stays in the record (shown struck out), leaves
  the sweep (no reminder, no review) and no longer counts in the progress.
- A dialogue entry is corrected by its author's organisation: the earlier version is kept
  (:class:`~engage.engagements.models.DialogueRevision`, seen exactly as the entry) and the
  entry reads "edited".

Like every engagement write, each function validates everything first and raises
:class:`~engage.engagements.service.EngagementError` before anything is written; none commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from engage.clock import local_date
from engage.common.forms import parse_choice, parse_date, parse_int, parse_text
from engage.engagements.models import (
    CompanyLevel,
    DialogueEntry,
    DialogueKind,
    DialogueMode,
    DialogueRevision,
    Engagement,
    EngagementTrigger,
    Milestone,
    SeverityAssessment,
)
from engage.engagements.service import (
    TITLE_MAX,
    EngagementError,
    _check_actor,
    _require_lead,
)
from engage.extensions import db
from engage.organisations.models import User

FACT_FIELDS = ("title", "issue", "rights_holders", "trigger")
SEVERITY_FIELDS = ("severity_scale", "severity_scope", "severity_irremediability")
DIALOGUE_FIELDS = ("kind", "occurred_on", "participants", "summary", "outcome",
                   "company_level", "mode", "follow_up")
REASON_MAX = 2000


def _reason(value: Any, errors: dict[str, str], message: str) -> str:
    text = parse_text(value, "reason", errors, max_length=REASON_MAX)
    if not text and "reason" not in errors:
        errors["reason"] = message
    return text


def _unknown(changes: dict, allowed: tuple[str, ...]) -> None:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise EngagementError(_("Unknown fields: %(names)s", names=", ".join(sorted(unknown))))


# --- the engagement's facts --------------------------------------------------------------------


def correct_facts(engagement: Engagement, *, actor: User, organisation_id: int,
                  **changes: Any) -> Engagement:
    """A lead corrects the title, issue, rights-holders or trigger."""
    _check_actor(actor, organisation_id)
    _require_lead(engagement.id, organisation_id)
    _unknown(changes, FACT_FIELDS)
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if "title" in changes:
        values["title"] = parse_text(changes["title"], "title", errors, max_length=TITLE_MAX,
                                     required=True)
    if "issue" in changes:
        values["issue"] = parse_text(changes["issue"], "issue", errors, required=True)
    if "rights_holders" in changes:
        values["rights_holders"] = parse_text(changes["rights_holders"], "rights_holders", errors)
    if "trigger" in changes:
        values["trigger"] = parse_choice(changes["trigger"], EngagementTrigger, "trigger", errors)
    if errors:
        raise EngagementError(errors)
    for key, value in values.items():
        setattr(engagement, key, value)
    db.session.flush()
    return engagement


# --- severity to people ---------------------------------------------------------------------


def reassess_severity(engagement: Engagement, *, actor: User, organisation_id: int,
                      now: datetime, severity_scale: Any, severity_scope: Any,
                      severity_irremediability: Any, reason: Any) -> SeverityAssessment:
    """A lead re-assesses the severity to people: the earlier scores, the new ones, who,
    when and why are kept; the engagement takes the new scores."""
    _check_actor(actor, organisation_id)
    _require_lead(engagement.id, organisation_id)
    errors: dict[str, str] = {}
    given = {"severity_scale": severity_scale, "severity_scope": severity_scope,
             "severity_irremediability": severity_irremediability}
    scores = {key: parse_int(value, key, errors, low=1, high=5) for key, value in given.items()}
    text = _reason(reason, errors, _("Say why the severity is re-assessed."))
    current = {key: getattr(engagement, key) for key in SEVERITY_FIELDS}
    if not errors and scores == current:
        errors[""] = _("These are the current scores: change at least one.")
    if errors:
        raise EngagementError(errors)
    assessment = SeverityAssessment(
        engagement_id=engagement.id, organisation_id=organisation_id, assessed_by_id=actor.id,
        assessed_at=now, reason=text,
        previous_scale=current["severity_scale"], previous_scope=current["severity_scope"],
        previous_irremediability=current["severity_irremediability"],
        scale=scores["severity_scale"], scope=scores["severity_scope"],
        irremediability=scores["severity_irremediability"])
    db.session.add(assessment)
    for key, value in scores.items():
        setattr(engagement, key, value)
    db.session.flush()
    return assessment


# --- milestones ----------------------------------------------------------------------------


def cancel_milestone(milestone: Milestone, *, actor: User, organisation_id: int, now: datetime,
                     reason: Any) -> Milestone:
    """A lead cancels a milestone that is neither met nor cancelled; the reason is kept."""
    _check_actor(actor, organisation_id)
    _require_lead(milestone.engagement_id, organisation_id)
    if milestone.cancelled_on is not None:
        raise EngagementError(_("This milestone is cancelled already."))
    if milestone.met_on is not None:
        raise EngagementError(_("This milestone is met: a met milestone stays in the record."))
    errors: dict[str, str] = {}
    text = _reason(reason, errors, _("Say why the milestone is cancelled."))
    if errors:
        raise EngagementError(errors)
    milestone.cancelled_on = local_date(now)
    milestone.cancel_reason = text
    milestone.cancelled_by_id = actor.id
    db.session.flush()
    return milestone


# --- dialogue -------------------------------------------------------------------------------


def parse_dialogue_fields(changes: dict, errors: dict[str, str], *, now: datetime,
                          partial: bool) -> dict[str, Any]:
    """The dialogue fields present in ``changes`` (all of them unless ``partial``)."""
    values: dict[str, Any] = {}

    def given(key: str) -> bool:
        return not partial or key in changes

    if given("kind"):
        values["kind"] = parse_choice(changes.get("kind"), DialogueKind, "kind", errors)
    if given("occurred_on"):
        day = parse_date(changes.get("occurred_on"), "occurred_on", errors)
        if day and day > local_date(now):
            errors["occurred_on"] = _("Log dialogue that has taken place: the date is in the "
                                      "future.")
        values["occurred_on"] = day
    if given("summary"):
        values["summary"] = parse_text(changes.get("summary"), "summary", errors, required=True)
    for key in ("participants", "outcome", "follow_up"):
        if given(key):
            values[key] = parse_text(changes.get(key), key, errors)
    if given("company_level"):
        values["company_level"] = parse_choice(changes.get("company_level") or None,
                                               CompanyLevel, "company_level", errors,
                                               default=_NONE)
    if given("mode"):
        values["mode"] = parse_choice(changes.get("mode") or None, DialogueMode, "mode", errors,
                                      default=_NONE)
    for key in ("company_level", "mode"):
        if values.get(key) is _NONE:
            values[key] = None
    return values


_NONE: Any = type("NotGiven", (), {})()  # an optional choice left empty


def correct_dialogue(entry: DialogueEntry, *, actor: User, organisation_id: int,
                     now: datetime, reason: Any, **changes: Any) -> DialogueEntry:
    """The author's organisation corrects its entry: the earlier version is kept with who
    replaced it, when and why, and the entry is marked edited."""
    _check_actor(actor, organisation_id)
    if entry.organisation_id != organisation_id:
        raise EngagementError(_("Only the organisation that logged this entry can correct it."))
    _unknown(changes, DIALOGUE_FIELDS)
    errors: dict[str, str] = {}
    values = parse_dialogue_fields(changes, errors, now=now, partial=True)
    text = _reason(reason, errors, _("Say what the correction is for."))
    if not errors and all(getattr(entry, k) == v for k, v in values.items()):
        errors[""] = _("Nothing was changed.")
    if errors:
        raise EngagementError(errors)
    db.session.add(DialogueRevision(
        dialogue_entry_id=entry.id, engagement_id=entry.engagement_id,
        organisation_id=entry.organisation_id, visibility=entry.visibility,
        **{k: getattr(entry, k) for k in DIALOGUE_FIELDS},
        replaced_at=now, replaced_by_id=actor.id, reason=text))
    for key, value in values.items():
        setattr(entry, key, value)
    entry.edited_at = now
    db.session.flush()
    return entry
