"""``engage bench-data``: the benchmarks' world, written in bulk into an empty database."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.command("bench-data")
@click.option("--orgs", default=5000, show_default=True, type=click.IntRange(3))
@click.option("--users", default=50000, show_default=True, type=click.IntRange(3))
@click.option("--companies", default=20000, show_default=True, type=click.IntRange(1))
@click.option("--engagements", default=100000, show_default=True, type=click.IntRange(1))
@click.option("--dialogue", default=1000000, show_default=True, type=click.IntRange(0))
@click.option("--due", default=50, show_default=True, type=click.IntRange(0),
              help="Milestones overdue without a review at --today (and as many inside the "
                   "reminder window): the escalation sweep's work, the same at every size.")
@click.option("--seed", default=1, show_default=True, type=int,
              help="The same seed and --today give the same rows.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The day the world's dates are built around (default: today).")
@with_appcontext
def bench_data_command(orgs, users, companies, engagements, dialogue, due, seed, today) -> None:
    """Fill the configured, migrated and empty database with a large benchmark world
    (no audit events are written for these rows)."""
    from engage.bench.data import BenchDataError, Sizes, generate, vacuum

    sizes = Sizes(orgs=orgs, users=users, companies=companies, engagements=engagements,
                  dialogue=dialogue, due=due)
    try:
        summary = generate(sizes, seed=seed, today=today.date() if today else None)
    except BenchDataError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(summary.describe())
    click.echo(f"vacuum analyze in {vacuum():.1f} s")
