"""The ``engage`` command: Flask's CLI (``engage db upgrade``, ``engage run``,
``engage shell``) plus Engage's own commands, and those of installed plugins
(``engage.plugins``: ``workflows/`` adds ``engage worker`` and ``engage sweep``)."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from werkzeug.serving import run_simple

from engage import clock, config, orchestrator, plugins
from engage.doctor import doctor_command


def _create_app() -> Flask:
    from engage import create_app

    return create_app()


cli = FlaskGroup(
    create_app=_create_app,
    add_version_option=False,
    help="Engage: collaborative investor engagement.",
)


# On the group itself, not registered by the app: it must run when the app cannot be built.
cli.add_command(doctor_command)
plugins.init_cli(cli)


def main() -> None:
    cli.main(prog_name="engage")


def _sqlite_file() -> Path:
    url = sa.engine.make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise click.UsageError(
            "engage demo starts from a fresh embedded SQLite database and will not wipe "
            f"{url.render_as_string(hide_password=True)}; unset DATABASE_URL to run the demo, "
            "or use `engage demo-load` to load the demo data into an empty database."
        )
    return Path(url.database)


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Create and load the database, then stop.")
@click.option("--no-prefect", is_flag=True,
              help="Serve the web app only: no Prefect server, no worker, no sweeps.")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Date the demo data is built around (default: today).",
)
@with_appcontext
def demo_command(host: str, port: int, no_serve: bool, no_prefect: bool, today) -> None:
    """Run Engage on a fresh SQLite database with demo data."""
    from flask_migrate import upgrade

    from engage.demo import load_demo
    from engage.extensions import db

    path = _sqlite_file()
    db.engine.dispose()
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    upgrade()
    summary = load_demo(today.date() if today else clock.today())
    click.echo(f"Demo database: {path}")
    click.echo(summary.describe())
    if not current_app.config.get("ENGAGE_REGISTER_ORGS"):
        from engage.demo.data import REGISTER_ORGS

        current_app.config["ENGAGE_REGISTER_ORGS"] = REGISTER_ORGS
    click.echo(f"Company register kept by: {', '.join(current_app.config['ENGAGE_REGISTER_ORGS'])}")
    if no_serve:
        return
    from engage.demo.sso import configure_demo_sso, start_providers

    url = f"http://{host}:{port}/"
    click.echo(f"\nEngage: {url}")
    providers = start_providers(db.session)
    configure_demo_sso(db.session, providers)
    click.echo("\nSign-in: one local OpenID Connect provider per demo organisation")
    for slug, issuer in providers.issuers.items():
        click.echo(f"  {slug:<14} {issuer}")
    local = None
    # A plain `kill` stops the demo like Ctrl+C does: the finally below stops the children.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        local = None if no_prefect else start_orchestrator(path)
        click.echo(f"\nEngage is running at {url}  (Ctrl+C to stop)")
        click.echo("Open it, choose an organisation (or type a demo user's e-mail address), then "
                   "pick a user on the provider's page.")
        # Flask's app.run() is a no-op inside its own CLI; serve with Werkzeug directly.
        run_simple(host, port, current_app._get_current_object(), threaded=True)
    finally:
        if local is not None:
            local.stop()
        providers.stop()


def start_orchestrator(database: Path) -> orchestrator.LocalRuntime | None:
    """The installed orchestrator's local server and a worker (``workflows/``: Prefect, its
    SQLite database under the instance folder), so the demo's overdue milestones open
    reviews within a minute. None, with a word why, when no orchestrator is installed."""
    found = orchestrator.installed()
    if found is None:
        click.echo("No orchestrator installed: no sweeps run (`engage sweep` runs one).")
        return None
    return found.start_local(config.INSTANCE_PATH / "prefect", f"sqlite:///{database}", click.echo)


@click.command("demo-load")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]))
@with_appcontext
def demo_load_command(today) -> None:
    """Load the demo data into the configured, migrated and empty database."""
    from engage.demo import DemoError, load_demo

    try:
        summary = load_demo(today.date() if today else clock.today())
    except DemoError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(summary.describe())


def register(app: Flask) -> None:
    from engage.bench.cli import bench_data_command
    from engage.companies.cli import import_cli
    from engage.escalations.ladder_cli import ladder_cli
    from engage.organisations.cli import org_cli, token_cli
    from engage.reports.cli import report_command

    app.cli.add_command(demo_command)
    app.cli.add_command(demo_load_command)
    app.cli.add_command(org_cli)
    app.cli.add_command(token_cli)
    app.cli.add_command(import_cli)
    app.cli.add_command(ladder_cli)
    app.cli.add_command(report_command)
    app.cli.add_command(bench_data_command)
