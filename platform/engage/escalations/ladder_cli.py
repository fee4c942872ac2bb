"""``engage ladder export|import``: move an escalation ladder between installs as YAML or JSON
(the format: :mod:`engage.escalations.ladder_files`)."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from engage import clock, tenancy
from engage.audit import service as audit
from engage.common.forms import FormError
from engage.escalations import ladder_files, ladder_writes
from engage.escalations.ladders import LadderError
from engage.escalations.models import EscalationLadder
from engage.extensions import db

ladder_cli = AppGroup("ladder", help="Escalation ladders: export one to a file, import one.")


@ladder_cli.command("export")
@click.argument("ladder_id", type=int)
@click.option("--format", "fmt", type=click.Choice(ladder_files.FORMATS), default=None,
              help="Default: what the -o file name says (.json), else YAML.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="The file to write (default: standard output).")
def export_command(ladder_id: int, fmt: str | None, output: str | None) -> None:
    """Write ladder LADDER_ID (its steps in force, both languages) as a versioned document."""
    with tenancy.system_scope("cli: ladder export"):
        ladder = db.session.get(EscalationLadder, ladder_id)
        if ladder is None:
            raise click.UsageError(f"no ladder with id {ladder_id}")
        text = ladder_files.dumps(ladder, ladder_files.format_of(output or "", fmt))
        steps = len(ladder.steps)
        db.session.rollback()
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"Wrote ladder {ladder_id} ({steps} steps) to {output}.", err=True)
    else:
        click.echo(text, nl=False)


@ladder_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--org", "slug", required=True, help="The organisation the ladder is for.")
@click.option("--initiative", "initiative_id", type=int, default=None,
              help="Write the ladder of this initiative (which the organisation coordinates); "
                   "its steps in use are retired, never changed.")
@click.option("--template", "as_template", is_flag=True,
              help="Keep it as a template of the organisation (the default).")
@click.option("--format", "fmt", type=click.Choice(ladder_files.FORMATS), default=None,
              help="Default: what the file name says (.json), else YAML.")
def import_command(file: str, slug: str, initiative_id: int | None, as_template: bool,
                   fmt: str | None) -> None:
    """Read a ladder exported by Engage. The whole file is checked first; nothing is
    written unless all of it is right."""
    from engage.organisations.models import Organisation

    if initiative_id is not None and as_template:
        raise click.UsageError("give either --initiative or --template, not both")
    try:
        text = Path(file).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise click.ClickException(f"{file}: not UTF-8 text") from None
    try:
        parsed = ladder_files.loads(text, ladder_files.format_of(file, fmt))
    except ladder_files.LadderFileError as exc:
        raise click.ClickException(
            f"{file} was not imported:\n" + "\n".join(f"  {p}" for p in exc.problems)) from None
    org = db.session.scalar(sa.select(Organisation).where(Organisation.slug == slug))
    if org is None:
        raise click.UsageError(f"no organisation with slug “{slug}” (see `engage org list`)")
    with tenancy.as_organisation(org.id):
        audit.set_via("cli: ladder import")
        try:
            if initiative_id is not None:
                ladder = _into_initiative(initiative_id, org.id, parsed["steps"])
            else:
                ladder = ladder_writes.create_template(
                    actor=None, organisation_id=org.id, data=parsed["fields"],
                    steps=parsed["steps"], now=clock.now())
        except FormError as exc:
            db.session.rollback()
            raise click.ClickException(f"{file} was not imported: {exc}") from None
        ladder_id, steps = ladder.id, len(ladder.steps)
        db.session.commit()
    where = f"initiative {initiative_id}" if initiative_id is not None else "a template"
    click.echo(f"Imported {steps} steps into ladder {ladder_id} ({where} of {slug}).")


def _into_initiative(initiative_id: int, organisation_id: int, steps) -> EscalationLadder:
    from engage.initiatives.models import Initiative
    from engage.initiatives.service import write_ladder

    # Tenancy: an initiative the organisation does not see is not found.
    initiative = db.session.get(Initiative, initiative_id)
    if initiative is None:
        raise LadderError(f"no initiative with id {initiative_id} that this organisation sees")
    return write_ladder(initiative, actor=None, organisation_id=organisation_id, steps=steps,
                        now=clock.now())
