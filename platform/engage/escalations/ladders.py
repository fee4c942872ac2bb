"""Writing escalation ladders: the one place a ladder and its steps are made, whether it is a
template installed with the platform (:mod:`engage.escalations.ladder_templates`), an
initiative's ladder copied from a template or another visible ladder, or the demo's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from engage.common.forms import FormError, parse_choice, parse_int, parse_text
from engage.common.visibility import aliased_table
from engage.escalations import ladder_templates
from engage.escalations.models import EscalationLadder, LadderStep, StepKind
from engage.extensions import db


def new_ladder(name: str, steps: Iterable[Mapping[str, Any]], *, initiative_id: int | None = None,
               is_template: bool = False, name_nl: str = "", description: str = "",
               description_nl: str = "") -> EscalationLadder:
    """A ladder (not yet added to a session) with its steps numbered 1, 2, … in the order given.

    Each step is a mapping with ``kind`` and optionally ``wait_days``, ``description`` and
    ``description_nl``."""
    ladder = EscalationLadder(name=name[:200], name_nl=name_nl[:200], description=description,
                              description_nl=description_nl, initiative_id=initiative_id,
                              is_template=is_template)
    ladder.steps = [
        LadderStep(position=position, kind=StepKind(step["kind"]),
                   wait_days=int(step.get("wait_days", 90)),
                   description=step.get("description", ""),
                   description_nl=step.get("description_nl", ""))
        for position, step in enumerate(steps, start=1)
    ]
    return ladder


def steps_of(ladder: EscalationLadder) -> list[dict[str, Any]]:
    """A ladder's steps as the mappings :func:`new_ladder` takes (for copying a ladder)."""
    return [dict(kind=s.kind, wait_days=s.wait_days, description=s.description,
                 description_nl=s.description_nl) for s in ladder.steps]


def copy_ladder(source: EscalationLadder, *, name: str,
                initiative_id: int | None = None) -> EscalationLadder:
    """A ladder of its own with the source's steps, to be edited without touching the source."""
    return new_ladder(name, steps_of(source), initiative_id=initiative_id,
                      description=source.description, description_nl=source.description_nl)


def template_spec_steps(spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A template's steps (from :mod:`ladder_templates`) as the mappings :func:`new_ladder` takes."""
    return [dict(kind=kind, wait_days=wait, description=text, description_nl=text_nl)
            for kind, wait, text, text_nl in spec["steps"]]


def template_ladder(key: str) -> EscalationLadder:
    """A new, unsaved template ladder built from the installed template ``key``."""
    spec = next(t for t in ladder_templates.TEMPLATES if t["key"] == key)
    return new_ladder(spec["name"], template_spec_steps(spec), is_template=True,
                      name_nl=spec["name_nl"], description=spec["description"],
                      description_nl=spec["description_nl"])


# --- writing a ladder's steps ----------------------------------------------------------------

MAX_STEPS = 30
WAIT_DAYS_MAX = 3650
DESCRIPTION_MAX = 2000
# Positions are moved out of the way (above any real position) while a ladder is reordered, so
# that the unique position of the steps in force holds after every statement.
_SHIFT = 1000


FORM_FIELDS = ("id", "kind", "wait_days", "description", "description_nl")


class LadderError(FormError):
    """A ladder's steps cannot be written as given; nothing was written."""


@dataclass(frozen=True)
class StepInput:
    id: int | None
    kind: StepKind
    wait_days: int
    description: str
    # None when not given: a kept step whose English text is unchanged keeps its Dutch.
    description_nl: str | None = None


def check_steps(entries: Any) -> list[StepInput]:
    """The steps as typed, mildest first, each checked; errors name ``steps-<n>-<field>``
    (n counted from 1, as the form shows them)."""
    errors: dict[str, str] = {}
    if not isinstance(entries, list | tuple) or not entries:
        raise LadderError({"steps": _("A ladder needs at least one step.")})
    if len(entries) > MAX_STEPS:
        raise LadderError({"steps": _("A ladder has at most %(num)d steps.", num=MAX_STEPS)})
    steps: list[StepInput] = []
    seen: set[int] = set()
    for n, entry in enumerate(entries, start=1):
        entry = entry if isinstance(entry, Mapping) else {}
        prefix = f"steps-{entry.get('row', n)}-"
        step_id = parse_int(entry.get("id"), prefix + "id", errors, required=False)
        if step_id is not None:
            if step_id in seen:
                errors[prefix + "id"] = _("This step is listed twice.")
            seen.add(step_id)
        kind = parse_choice(entry.get("kind"), StepKind, prefix + "kind", errors)
        wait = parse_int(entry.get("wait_days"), prefix + "wait_days", errors, low=0,
                         high=WAIT_DAYS_MAX)
        description = parse_text(entry.get("description"), prefix + "description", errors,
                                 max_length=DESCRIPTION_MAX)
        description_nl = (None if entry.get("description_nl") is None else
                          parse_text(entry.get("description_nl"), prefix + "description_nl",
                                     errors, max_length=DESCRIPTION_MAX))
        if kind is not None and wait is not None:
            steps.append(StepInput(step_id, kind, wait, description, description_nl))
    if errors:
        raise LadderError(errors)
    return steps


def steps_from_form(form: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The ladder form's rows (``steps-<n>-id|kind|wait_days|description|description_nl|
    order|remove``) as
    the entries :func:`replace_steps` takes: rows marked for removal and the empty new row
    left out, the rest sorted by their order number (then by row)."""
    errors: dict[str, str] = {}
    rows = []
    for n in range(1, MAX_STEPS + 2):
        prefix = f"steps-{n}-"
        if not any(prefix + key in form for key in ("id", "kind", "description")):
            continue
        if form.get(prefix + "remove"):
            continue
        entry = {key: form.get(prefix + key) for key in FORM_FIELDS}
        if not entry["id"] and not entry["kind"] and not (entry["description"] or "").strip() \
                and not (entry["description_nl"] or "").strip():
            continue  # the empty row for a new step, left empty
        order = parse_int(form.get(prefix + "order") or str(n), prefix + "order", errors, low=1,
                          high=MAX_STEPS + 1)
        rows.append((order or n, n, dict(entry, row=n)))
    if errors:
        raise LadderError(errors)
    return [entry for _order, _n, entry in sorted(rows, key=lambda r: (r[0], r[1]))]


def steps_in_use(step_ids: Iterable[int]) -> set[int]:
    """The steps a review, a decision or an engagement's current step points to, in any
    organisation's engagements (read over the tables: what this organisation cannot see
    still keeps a step from being deleted under it)."""
    ids = list(step_ids)
    if not ids:
        return set()
    review = aliased_table("escalation_review", "ladders_r")
    decision = aliased_table("decision", "ladders_d")
    engagement = aliased_table("engagement", "ladders_e")
    return set(db.session.scalars(sa.union(
        sa.select(review.c.ladder_step_id).where(review.c.ladder_step_id.in_(ids)),
        sa.select(decision.c.ladder_step_id).where(decision.c.ladder_step_id.in_(ids)),
        sa.select(engagement.c.current_step_id).where(engagement.c.current_step_id.in_(ids)),
    )))


def replace_steps(ladder: EscalationLadder, entries: Any, *, now: datetime) -> EscalationLadder:
    """Make the ladder's steps in force exactly ``entries``, in that order.

    An entry with the ``id`` of one of the ladder's steps keeps that step; one without is a
    new step. A step no longer listed is deleted, or retired if in use; a step in use whose
    kind, wait or text changes is retired and a new step takes its place, so that every
    review and decision keeps pointing to the step as it was."""
    wanted = check_steps(entries)
    current = {step.id: step for step in ladder.steps}
    unknown = {f"steps-{n}-id": _("This step is not on this ladder.")
               for n, entry in enumerate(wanted, start=1)
               if entry.id is not None and entry.id not in current}
    if unknown:
        raise LadderError(unknown)
    used = steps_in_use(current)
    kept: list[LadderStep | StepInput] = []
    for entry in wanted:
        step = current.get(entry.id) if entry.id is not None else None
        if step is None:
            kept.append(entry)
        elif _same(step, entry):
            kept.append(step)
        elif step.id in used:
            kept.append(StepInput(None, entry.kind, entry.wait_days, entry.description,
                                  _dutch(step, entry)))
        else:
            step.kind, step.wait_days = entry.kind, entry.wait_days
            step.description, step.description_nl = entry.description, _dutch(step, entry)
            kept.append(step)
    staying = {item.id for item in kept if isinstance(item, LadderStep)}
    for step in current.values():
        if step.id in staying:
            step.position += _SHIFT
        elif step.id in used:
            step.retired_at = now
        else:
            db.session.delete(step)
    db.session.flush()
    for position, item in enumerate(kept, start=1):
        if isinstance(item, LadderStep):
            item.position = position
        else:
            db.session.add(LadderStep(ladder_id=ladder.id, position=position, kind=item.kind,
                                      wait_days=item.wait_days, description=item.description,
                                      description_nl=item.description_nl or ""))
    db.session.flush()
    db.session.expire(ladder, ["steps"])
    return ladder


def _dutch(step: LadderStep, entry: StepInput) -> str:
    """The Dutch text a kept step gets: the one given; when none is given, the step's own
    while its English stands (a Dutch text of other English would misstate the step)."""
    if entry.description_nl is not None:
        return entry.description_nl
    return step.description_nl if entry.description == step.description else ""


def _same(step: LadderStep, entry: StepInput) -> bool:
    return (step.kind == entry.kind and step.wait_days == entry.wait_days
            and entry.description == step.description
            and _dutch(step, entry) == step.description_nl)


# --- the editor's rows ---------------------------------------------------------------------

def editor_rows(ladder: EscalationLadder | None, form: Mapping[str, Any] | None) -> list[dict]:
    """The rows a ladder editor shows: the ladder's steps in force (both texts) or, after a
    refused save, the rows as typed; then an empty row to add a step."""
    if form is None:
        rows = [dict(id=step.id, kind=step.kind.value, wait_days=step.wait_days,
                     description=step.description, description_nl=step.description_nl,
                     order=step.position)
                for step in (ladder.steps if ladder else [])]
    else:
        rows = [{key: form.get(f"steps-{n}-{key}", "") for key in (*FORM_FIELDS, "order", "remove")}
                for n in range(1, MAX_STEPS + 2)
                if any(f"steps-{n}-{key}" in form for key in ("id", "kind", "description"))]
        rows = [row for row in rows
                if row["id"] or row["kind"] or row["description"] or row["description_nl"]]
    if len(rows) < MAX_STEPS:
        rows.append(dict(id="", kind="", wait_days=90, description="", description_nl="",
                         order=len(rows) + 1))
    return rows
