"""``engage doctor``: is this server's configuration runnable, its database migrated, its
Prefect reachable and serving the escalation flows, and each organisation's identity
provider discoverable? One line per check; exit status 1 when any check fails."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import click

from engage import orchestrator

OK, WARN, FAIL = "ok", "warn", "FAIL"


@dataclass(frozen=True)
class Finding:
    status: str
    check: str
    detail: str


def run_checks(create_app: Callable) -> list[Finding]:
    """Every check, in order; later checks are skipped when the app cannot be built."""
    from engage.config import ConfigError

    try:
        app = create_app()
    except (ConfigError, ValueError) as exc:
        return [Finding(FAIL, "configuration", str(exc))]
    findings = list(_configuration(app.config))
    findings += _redis(app.config)
    with app.app_context():
        database = list(_database(app.config["ENGAGE_ENV"] == "production"))
        findings += database
        findings += _prefect()
        if all(f.status != FAIL for f in database):
            findings += _identity_providers()
    return findings


def _configuration(config) -> Iterator[Finding]:
    import sqlalchemy as sa

    production = config["ENGAGE_ENV"] == "production"
    backend = sa.engine.make_url(config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
    yield Finding(OK, "configuration", f"ENGAGE_ENV={config['ENGAGE_ENV']}, database {backend}")
    if production and backend == "sqlite":
        yield Finding(FAIL, "configuration", "production on SQLite: set DATABASE_URL to PostgreSQL "
                      "(SQLite has no row-level security and one writer at a time)")
    if production and not config.get("ENGAGE_ENCRYPTION_KEY"):
        yield Finding(WARN, "configuration", "ENGAGE_ENCRYPTION_KEY is unset: client secrets "
                      "typed into the SSO settings page are refused (secrets by env var still work)")
    if production and (not config.get("ENGAGE_BASE_URL_SET")
                       or config["ENGAGE_BASE_URL"].startswith("http://127.0.0.1")):
        yield Finding(WARN, "configuration", "ENGAGE_BASE_URL is not set (the local default): "
                      "sign-in redirect addresses and links in e-mails point at 127.0.0.1")
    if production and not config.get("ENGAGE_TRUSTED_HOSTS"):
        from engage.auth.hosts import trusted_hosts

        yield Finding(WARN, "configuration", "ENGAGE_TRUSTED_HOSTS is not set: only "
                      f"{', '.join(trusted_hosts(config))} (the base URL's host and loopback) "
                      "are answered; list every host name the server is reached by")
    if not config.get("PREFECT_API_URL"):
        yield Finding(FAIL if production else WARN, "configuration",
                      "PREFECT_API_URL is unset: no sweeps run, deadlines pass without reviews")


def _redis(config) -> Iterator[Finding]:
    """Rate limits are shared by every web process only through Redis."""
    url = config.get("ENGAGE_REDIS_URL")
    if not url:
        if config["ENGAGE_ENV"] == "production":
            yield Finding(WARN, "redis", "ENGAGE_REDIS_URL is unset: each gunicorn worker counts "
                          "rate limits (sign-in, API token failures) on its own, so an attacker "
                          "gets workers × hosts times the limit")
        return
    from urllib.parse import urlsplit

    import redis

    parts = urlsplit(url)
    shown = f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}{parts.path}"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
        client.ping()
    except (redis.RedisError, ValueError) as exc:
        yield Finding(FAIL, "redis", f"cannot reach {shown}: {type(exc).__name__}: {exc}")
        return
    yield Finding(OK, "redis", f"rate limits shared through {shown}")


def _database(production: bool) -> Iterator[Finding]:
    import sqlalchemy as sa
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from engage import MIGRATIONS
    from engage.extensions import db

    shown = db.engine.url.render_as_string(hide_password=True)
    try:
        with db.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            current = set(MigrationContext.configure(conn).get_current_heads())
            bypasses = conn.dialect.name == "postgresql" and conn.execute(sa.text(
                "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"
            )).scalar()
    except sa.exc.SQLAlchemyError as exc:
        yield Finding(FAIL, "database", f"cannot connect to {shown}: {type(exc).__name__}: "
                      f"{str(exc).splitlines()[0]}")
        return
    yield Finding(OK, "database", f"connected to {shown}")
    if bypasses:
        yield Finding(FAIL if production else WARN, "database",
                      "connected as a superuser or a role with BYPASSRLS: row-level security "
                      "does not hold (deploy/postgres-app-role.sql creates the app's role)")
    heads = set(ScriptDirectory(str(MIGRATIONS)).get_heads())
    if current == heads:
        yield Finding(OK, "migrations", f"at {', '.join(sorted(heads))} (the newest)")
    elif not current:
        yield Finding(FAIL, "migrations", "the database is empty: run `engage db upgrade`")
    else:
        yield Finding(FAIL, "migrations", f"at {', '.join(sorted(current)) or 'none'}, the code "
                      f"expects {', '.join(sorted(heads))}: run `engage db upgrade`")


def _prefect() -> Iterator[Finding]:
    """The installed orchestrator's own checks (``workflows/``: Prefect answers, both
    deployments exist, a worker polls their pool)."""
    found = orchestrator.installed()
    if found is not None:
        for status, check, detail in found.checks():
            yield Finding(status, check, detail)


def _identity_providers() -> Iterator[Finding]:
    import sqlalchemy as sa

    from engage.auth import service as sso
    from engage.auth.models import SsoConfig
    from engage.config import ConfigError
    from engage.extensions import db
    from engage.organisations.models import Organisation
    from engage.tenancy import system_scope

    with system_scope("engage doctor: every organisation's SSO settings"):
        rows = db.session.execute(
            sa.select(Organisation.slug, SsoConfig)
            .join(SsoConfig, SsoConfig.organisation_id == Organisation.id)
            .order_by(Organisation.slug)
        ).all()
        if not rows:
            yield Finding(WARN, "sso", "no organisation has single sign-on configured: "
                          "nobody can sign in (`engage org sso`)")
        for slug, config in rows:
            if not config.enabled:
                yield Finding(WARN, "sso", f"{slug}: sign-in is switched off")
                continue
            problem = sso.discovery_problem(config.issuer)
            try:
                sso.client_secret(config)
            except (ConfigError, ValueError) as exc:
                problem = problem or str(exc)
            yield Finding(FAIL if problem else OK, "sso",
                          f"{slug}: {config.issuer} " + (problem or "is discoverable"))
        db.session.rollback()


@click.command("doctor")
def doctor_command() -> None:
    """Check configuration, migrations, Prefect and every organisation's SSO."""
    from engage import create_app

    findings = run_checks(create_app)
    for f in findings:
        colour = {OK: "green", WARN: "yellow", FAIL: "red"}[f.status]
        click.echo(f"{click.style(f'{f.status:<4}', fg=colour)}  {f.check:<13} {f.detail}")
    failed = sum(f.status == FAIL for f in findings)
    click.echo(f"\n{failed} check(s) failed." if failed else "\nAll checks passed.")
    if failed:
        raise SystemExit(1)
