"""``engage ladder export|import``: a ladder moves between installs as YAML or JSON, checked
whole before anything is written."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
import yaml

from engage.escalations import ladder_templates
from engage.escalations.models import EscalationLadder, LadderStep
from engage.extensions import db
from engage.initiatives.models import InitiativeStatus
from engage.tenancy import system_scope
from tests import factories as f


@pytest.fixture
def org(db_session):
    with system_scope("test"):
        organisation = f.organisation("ladder-importer")
        initiative = f.initiative(organisation, status=InitiativeStatus.ACTIVE)
        db_session.commit()
        return {"slug": organisation.slug, "id": organisation.id, "initiative": initiative.id}


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["ladder", *map(str, args)])


def _study_id() -> int:
    with system_scope("test"):
        return db.session.scalar(sa.select(EscalationLadder.id).where(
            EscalationLadder.name == ladder_templates.TEMPLATES[0]["name"]))


def _ladders(org_id: int) -> int:
    with system_scope("test"):
        return db.session.scalar(sa.select(sa.func.count()).select_from(EscalationLadder).where(
            EscalationLadder.organisation_id == org_id))


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_export_then_import_gives_the_same_ladder(app, db_session, org, tmp_path, fmt):
    path = tmp_path / f"study.{fmt}"
    exported = _run(app, "export", _study_id(), "-o", path)
    assert exported.exit_code == 0, exported.output
    doc = (json.loads if fmt == "json" else yaml.safe_load)(path.read_text(encoding="utf-8"))
    assert doc["format"] == "engage-ladder" and doc["version"] == 1
    spec = ladder_templates.TEMPLATES[0]
    assert [(s["kind"], s["wait_days"], s["description"], s["description_nl"])
            for s in doc["steps"]] == [tuple(step) for step in spec["steps"]]

    imported = _run(app, "import", path, "--org", org["slug"], "--template")
    assert imported.exit_code == 0, imported.output
    with system_scope("test"):
        copy = db.session.scalar(sa.select(EscalationLadder).where(
            EscalationLadder.organisation_id == org["id"]))
        assert copy.is_template and (copy.name, copy.name_nl) == (spec["name"], spec["name_nl"])
        assert [(s.kind.value, s.wait_days, s.description, s.description_nl)
                for s in copy.steps] == [tuple(step) for step in spec["steps"]]
        copy_id = copy.id
    # Exporting the copy gives the same document: a round trip loses nothing.
    again = _run(app, "export", copy_id, "--format", fmt)
    assert again.exit_code == 0
    assert (json.loads if fmt == "json" else yaml.safe_load)(again.output) == doc


def test_import_into_an_initiative_the_organisation_coordinates(app, db_session, org, tmp_path):
    path = tmp_path / "ladder.yaml"
    path.write_text(
        "format: engage-ladder\nversion: 1\nname: Short\nsteps:\n"
        "  - kind: letter_to_board\n    wait_days: 30\n    description: Write.\n"
        "    description_nl: Schrijf.\n"
        "  - kind: divestment_review\n    wait_days: 90\n", encoding="utf-8")
    result = _run(app, "import", path, "--org", org["slug"], "--initiative", org["initiative"])
    assert result.exit_code == 0, result.output
    with system_scope("test"):
        ladder = db.session.scalar(sa.select(EscalationLadder).where(
            EscalationLadder.initiative_id == org["initiative"]))
        assert [(s.kind.value, s.description_nl) for s in ladder.steps] == [
            ("letter_to_board", "Schrijf."), ("divestment_review", "")]
    # Another organisation cannot write this initiative's ladder.
    with system_scope("test"):
        f.organisation("other-importer")
        db_session.commit()
    refused = _run(app, "import", path, "--org", "other-importer", "--initiative",
                   org["initiative"])
    assert refused.exit_code != 0 and "was not imported" in refused.output


BAD = {
    "not yaml": ("yaml", "format: [unclosed\n", "not valid YAML"),
    "not json": ("json", "{\"format\": ", "not valid JSON"),
    "a list": ("yaml", "- 1\n- 2\n", "must hold one mapping"),
    "wrong format": ("json", json.dumps({"format": "x", "version": 1, "name": "n",
                                         "steps": [{"kind": "letter_to_board", "wait_days": 1}]}),
                     "format: must be “engage-ladder”"),
    "future version": ("yaml", "format: engage-ladder\nversion: 2\nname: n\nsteps: []\n",
                       "version: 2 is not a version this install reads"),
    "no steps": ("yaml", "format: engage-ladder\nversion: 1\nname: n\nsteps: []\n",
                 "A ladder needs at least one step."),
    "bad kind": ("yaml", "format: engage-ladder\nversion: 1\nname: n\nsteps:\n"
                         "  - kind: bribe\n    wait_days: 3\n", "steps[1].kind:"),
    "bad wait": ("json", json.dumps({"format": "engage-ladder", "version": 1, "name": "n",
                                     "steps": [{"kind": "letter_to_board", "wait_days": "3"}]}),
                 "steps[1].wait_days: must be a whole number"),
    "negative wait": ("yaml", "format: engage-ladder\nversion: 1\nname: n\nsteps:\n"
                              "  - kind: letter_to_board\n    wait_days: -3\n",
                      "steps[1].wait_days:"),
    "unknown field": ("yaml", "format: engage-ladder\nversion: 1\nname: n\nsteps:\n"
                              "  - kind: letter_to_board\n    wait_days: 3\n    owner: x\n",
                      "steps[1].owner: not a field of a step"),
    "no name": ("yaml", "format: engage-ladder\nversion: 1\nsteps:\n"
                        "  - kind: letter_to_board\n    wait_days: 3\n", "name:"),
    "text not text": ("yaml", "format: engage-ladder\nversion: 1\nname: [a]\nsteps:\n"
                              "  - kind: letter_to_board\n    wait_days: 3\n",
                      "name: must be text"),
    "python object": ("yaml", "format: engage-ladder\nversion: 1\nname: !!python/object:os.system"
                              " {}\nsteps: []\n", "not valid YAML"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_file_is_refused_whole_with_the_reason(app, db_session, org, tmp_path, case):
    fmt, text, expected = BAD[case]
    path = tmp_path / f"bad.{fmt}"
    path.write_text(text, encoding="utf-8")
    before = _ladders(org["id"])
    result = _run(app, "import", path, "--org", org["slug"])
    assert result.exit_code != 0
    assert expected in result.output, result.output
    assert _ladders(org["id"]) == before


def test_export_and_import_say_what_is_wrong_with_the_command(app, db_session, org, tmp_path):
    assert "no ladder with id" in _run(app, "export", 999999).output
    path = tmp_path / "x.yaml"
    _run(app, "export", _study_id(), "-o", path)
    assert "no organisation" in _run(app, "import", path, "--org", "nobody").output
    both = _run(app, "import", path, "--org", org["slug"], "--template", "--initiative", "1")
    assert both.exit_code != 0 and "not both" in both.output
    with system_scope("test"):
        steps = db.session.scalar(sa.select(sa.func.count()).select_from(LadderStep))
    assert steps > 0
