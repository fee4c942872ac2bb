"""A ladder as a file, to move it between installs (``engage ladder export|import``).

The document, in YAML or JSON alike::

    format: engage-ladder        # what the file is
    version: 1                   # the format's version; an install reads the versions it knows
    name: Escalation strategy    # English; name_nl, description, description_nl optional
    steps:                       # mildest first
      - kind: letter_to_board    # one of StepKind's values
        wait_days: 60
        description: A letter to the chair, co-signed by the members.
        description_nl: Een brief aan de voorzitter, medeondertekend door de leden.

A file is checked whole before anything is written, with the checks the API and the pages
use (:func:`ladders.check_steps`, :func:`ladder_writes.check_template`); every problem is
named by where it is in the file.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from engage.escalations import ladder_writes, ladders
from engage.escalations.models import EscalationLadder

FORMAT = "engage-ladder"
VERSION = 1
VERSIONS = (1,)
FORMATS = ("yaml", "json")
MAX_BYTES = 1024 * 1024
_TOP = {"format", "version", "name", "name_nl", "description", "description_nl", "steps"}
_STEP = {"kind", "wait_days", "description", "description_nl"}
_TEXTS = ("name", "name_nl", "description", "description_nl")


class LadderFileError(ValueError):
    """The file cannot be read as a ladder; ``problems`` says where and why."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def document(ladder: EscalationLadder) -> dict[str, Any]:
    """The ladder's steps in force, both languages, as the versioned document."""
    return {
        "format": FORMAT, "version": VERSION,
        "name": ladder.name, "name_nl": ladder.name_nl,
        "description": ladder.description, "description_nl": ladder.description_nl,
        "steps": [{"kind": step.kind.value, "wait_days": step.wait_days,
                   "description": step.description, "description_nl": step.description_nl}
                  for step in ladder.steps],
    }


def dumps(ladder: EscalationLadder, fmt: str) -> str:
    doc = document(ladder)
    if fmt == "json":
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)


def format_of(filename: str, given: str | None = None) -> str:
    """The format asked for, else the one the file name says (.json; else YAML)."""
    if given:
        return given
    return "json" if filename.lower().endswith(".json") else "yaml"


def loads(text: str, fmt: str) -> dict[str, Any]:
    """The document in ``text``, checked whole: its fields and its steps, as the ladder
    services take them. Raises :class:`LadderFileError` naming every problem."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise LadderFileError([f"the file is larger than {MAX_BYTES} bytes"])
    try:
        doc = json.loads(text) if fmt == "json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise LadderFileError([f"not valid {fmt.upper()}: {exc}"]) from None
    if not isinstance(doc, dict):
        raise LadderFileError(["the file must hold one mapping (format, version, name, steps)"])
    problems: list[str] = []
    if doc.get("format") != FORMAT:
        problems.append(f"format: must be “{FORMAT}” (is this a ladder exported by Engage?)")
    version = doc.get("version")
    if isinstance(version, bool) or version not in VERSIONS:
        problems.append(f"version: {version!r} is not a version this install reads "
                        f"({', '.join(map(str, VERSIONS))})")
    problems += [f"{key}: not a field of a ladder" for key in sorted(set(doc) - _TOP, key=str)]
    problems += [f"{key}: must be text" for key in _TEXTS
                 if doc.get(key) is not None and not isinstance(doc[key], str)]
    steps = doc.get("steps")
    if not isinstance(steps, list):
        problems.append("steps: must be a list of steps")
        steps = []
    for n, step in enumerate(steps, start=1):
        if not isinstance(step, dict):
            problems.append(f"steps[{n}]: must be a mapping (kind, wait_days, description)")
            continue
        problems += [f"steps[{n}].{key}: not a field of a step"
                     for key in sorted(set(step) - _STEP, key=str)]
        problems += [f"steps[{n}].{key}: must be text" for key in ("description", "description_nl")
                     if step.get(key) is not None and not isinstance(step[key], str)]
        if isinstance(step.get("wait_days"), bool) or not isinstance(step.get("wait_days"), int):
            problems.append(f"steps[{n}].wait_days: must be a whole number of days")
    if problems:
        raise LadderFileError(problems)
    fields = {key: doc.get(key) or "" for key in _TEXTS}
    entries = [{key: step.get(key) for key in _STEP} for step in steps]
    for n, entry in enumerate(entries):
        entry["description_nl"] = entry["description_nl"] or ""
        entry["description"] = entry["description"] or ""
    try:
        ladder_writes.check_template(fields)
        ladders.check_steps(entries)
    except ladders.LadderError as exc:
        raise LadderFileError([f"{_where(key)}: {message}" if key else message
                               for key, message in exc.errors.items()]) from None
    return {"fields": fields, "steps": entries}


def _where(key: str) -> str:
    """``steps-3-kind`` (a form field) as ``steps[3].kind`` (where it is in the file)."""
    if key.startswith("steps-"):
        _steps, n, field = key.split("-", 2)
        return f"steps[{n}].{field}"
    return key
