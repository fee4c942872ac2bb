"""``engage report --org SLUG --year 2026 --format pdf|csv|xlsx [--output FILE]``."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from engage.extensions import db
from engage.organisations.models import Organisation
from engage.reports import render
from engage.reports.service import ReportError, build_report, period_of_year
from engage.tenancy import as_organisation


@click.command("report")
@click.option("--org", "slug", required=True, help="The organisation reported on.")
@click.option("--year", type=int, help="A calendar year (or --from and --to).")
@click.option("--from", "start", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--to", "end", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--format", "fmt", type=click.Choice(sorted(render.FORMATS)), default="pdf",
              show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: stewardship-FROM-TO.FORMAT here).")
@click.option("--notes", "include_notes", is_flag=True,
              help="Include the organisation's own private notes written in the period.")
@click.option("--attestations", "include_attestations", is_flag=True,
              help="Include the antitrust attestations of sign-ons in the period.")
@with_appcontext
def report_command(slug, year, start, end, fmt, output, include_notes,
                   include_attestations) -> None:
    """Write an organisation's stewardship report for a year or a period."""
    org_id = db.session.scalar(sa.select(Organisation.id).where(Organisation.slug == slug))
    if org_id is None:
        raise click.BadParameter(f"no organisation {slug!r}", param_hint="--org")
    try:
        if start or end:
            if not (start and end):
                raise click.UsageError("give both --from and --to")
            period = start.date(), end.date()
        elif year:
            period = period_of_year(year)
        else:
            raise click.UsageError("give --year, or --from and --to")
        with as_organisation(org_id):
            report = build_report(org_id, *period, include_notes=include_notes,
                                  include_attestations=include_attestations)
            body = render.export(report, fmt)
            db.session.commit()
    except ReportError as exc:
        raise click.UsageError(str(exc)) from None
    path = output or Path(render.filename(report, fmt))
    path.write_bytes(body)
    click.echo(f"{path} ({len(body)} bytes): {report.engagements} engagements with "
               f"{report.companies_engaged} companies, {len(report.votes)} votes")
