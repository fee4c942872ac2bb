"""Writing escalation ladders: the one place a ladder and its steps are made, whether it is a
template installed with the platform (:mod:`engage.escalations.ladder_templates`), an
initiative's ladder copied from a template or another visible ladder, or the demo's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from engage.escalations import ladder_templates
from engage.escalations.models import EscalationLadder, LadderStep, StepKind


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
