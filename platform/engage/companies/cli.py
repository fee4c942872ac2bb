"""``engage import companies|exclusions|ratings FILE`` and ``engage import holdings --org SLUG FILE``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from engage.companies import imports
from engage.companies.csvfile import ImportFileError
from engage.extensions import db
from engage.organisations.models import Organisation
from engage.tenancy import as_organisation, system_scope


@click.group("import")
def import_cli() -> None:
    """Import CSV files: all lines or none."""


def _run(kind: str, path: Path, importer, scope) -> None:
    with path.open("rb") as stream:  # read as a stream, never whole into memory
        lines = max(1, sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(1 << 20), b"")))
        stream.seek(0)
        with click.progressbar(length=lines, label=f"Importing {kind}", file=sys.stderr) as bar, \
                scope:
            try:
                result = importer(stream, path.name, progress=bar.update)
            except ImportFileError as exc:
                db.session.rollback()
                click.echo("", err=True)
                for message in exc.messages():
                    click.echo(message, err=True)
                raise click.ClickException(
                    f"{path.name}: {exc.total} bad line(s); nothing was imported") from None
    click.echo(f"{path.name}: {result.lines} lines, {result.created} new, {result.updated} "
               f"updated in {result.seconds:.2f} s ({result.encoding}, '{result.separator}')")


def _register_command(kind: str):
    @click.command(kind, help=f"Import {kind} into the shared company register.")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @with_appcontext
    def command(file: Path) -> None:
        _run(kind, file, imports.IMPORTERS[kind], system_scope(f"import {kind} from {file.name}"))

    return command


for _kind in imports.IMPORTERS:
    import_cli.add_command(_register_command(_kind))


@import_cli.command("holdings")
@click.option("--org", "slug", required=True, help="The organisation whose holdings these are.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def holdings_command(slug: str, file: Path) -> None:
    """Import one organisation's holdings (isin | lei | company, value_eur, valued_on)."""
    org_id = db.session.scalar(sa.select(Organisation.id).where(Organisation.slug == slug))
    if org_id is None:
        raise click.BadParameter(f"no organisation {slug!r}", param_hint="--org")

    def importer(raw, name, progress):
        return imports.import_holdings(raw, name, org_id, progress=progress)

    _run("holdings", file, importer, as_organisation(org_id))
