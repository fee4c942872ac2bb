"""``engage org …``: create organisations and point them at their identity provider."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from engage import tenancy
from engage.audit import service as audit
from engage.auth import service as sso
from engage.auth.models import SsoConfig
from engage.db import utcnow
from engage.extensions import db
from engage.organisations import service
from engage.organisations.models import (
    Organisation,
    OrganisationKind,
    OrgMembership,
    OrgRole,
)

org_cli = AppGroup("org", help="Organisations (tenants) and their single sign-on.")


def _organisation(slug: str) -> Organisation:
    org = db.session.scalar(sa.select(Organisation).where(Organisation.slug == slug))
    if org is None:
        raise click.UsageError(f"no organisation with slug “{slug}” (see `engage org list`)")
    return org


@org_cli.command("create")
@click.option("--slug", required=True, help="Short lowercase name used in URLs, e.g. groenbank.")
@click.option("--name", required=True, help="Full name, e.g. 'Groenbank N.V.'.")
@click.option(
    "--kind",
    type=click.Choice([k.value for k in OrganisationKind]),
    default=OrganisationKind.ASSET_OWNER.value,
    show_default=True,
)
def create_command(slug: str, name: str, kind: str) -> None:
    """Create an organisation."""
    with tenancy.system_scope("cli:org-create"):
        try:
            org = service.create_organisation(
                db.session, slug=slug, name=name, kind=OrganisationKind(kind)
            )
        except service.OrganisationError as exc:
            db.session.rollback()
            raise click.UsageError(str(exc)) from exc
        db.session.commit()
        click.echo(f"Created organisation {org.slug} ({org.name}).")
        click.echo(f"Next: export {sso.secret_env_name(org.slug)}=… on every server, then "
                   f"engage org sso {org.slug} --issuer URL --client-id ID "
                   f"--client-secret-env {sso.secret_env_name(org.slug)} --domain example.org")


@org_cli.command("sso")
@click.argument("slug")
@click.option("--issuer", required=True, help="The provider's issuer URL (its discovery "
              "document is ISSUER/.well-known/openid-configuration).")
@click.option("--client-id", required=True)
@click.option("--client-secret-env", default=None, metavar="VAR",
              help="The environment variable that holds the client secret: ENGAGE_SSO_SECRET_<SLUG> "
              "(the slug upper-cased, - as _), the only one an organisation may use. The secret "
              "itself is never stored in plain text or passed on the command line.")
@click.option("--domain", "domains", multiple=True, metavar="DOMAIN",
              help="Allowed e-mail domain; repeat for several.")
@click.option("--default-role", type=click.Choice([r.value for r in OrgRole]),
              default=OrgRole.MEMBER.value, show_default=True,
              help="Role of people who sign in for the first time.")
@click.option("--role-claim", default=None, help="Claim whose values decide the role, e.g. groups.")
@click.option("--role-map", multiple=True, metavar="ROLE=VALUE",
              help="e.g. admin=engage-admins; repeat for several.")
@click.option("--scopes", default="openid email profile", show_default=True)
@click.option("--disable", is_flag=True, help="Keep the settings but refuse sign-in.")
def sso_command(slug, issuer, client_id, client_secret_env, domains, default_role, role_claim,
                role_map, scopes, disable) -> None:
    """Configure an organisation's OpenID Connect provider."""
    org = _organisation(slug)
    try:
        settings = sso.SsoSettings(
            issuer=issuer,
            client_id=client_id,
            client_secret_env=client_secret_env,
            domains=sso.parse_domains(domains),
            default_role=OrgRole(default_role),
            role_claim=role_claim,
            role_map=sso.parse_role_map(role_map),
            scopes=scopes,
            enabled=not disable,
        )
        with tenancy.as_organisation(org.id):
            config = sso.configure(db.session, org, settings, actor_id=None, now=utcnow())
            db.session.commit()
            click.echo(f"Single sign-on for {org.slug}: issuer {config.issuer}, "
                       f"client {config.client_id}.")
    except sso.SsoConfigError as exc:
        db.session.rollback()
        raise click.UsageError(
            "the configuration was not saved:\n" + "\n".join(f"  --{k.replace('_', '-')}: {v}"
                                                           for k, v in exc.errors.items())
        ) from exc
    if client_secret_env:
        click.echo(f"The secret is read from ${client_secret_env} on every server that runs Engage.")
    click.echo(f"Register this redirect URI at the provider: <ENGAGE_URL>/auth/{org.slug}/callback")
    from engage.organisations.tokens import default_owner

    claims_admin = default_role == OrgRole.ADMIN.value or any(
        r.partition("=")[0].strip().lower() == "admin" for r in role_map)
    with tenancy.as_organisation(org.id):
        without_admin = default_owner(db.session, org.id) is None
    if not claims_admin and without_admin:
        click.echo(f"{org.slug} has no administrator yet, and signing in makes nobody one (no "
                   f"--role-map admin=…): name the first with engage org admin {org.slug} EMAIL")


@org_cli.command("admin")
@click.argument("slug")
@click.argument("email")
@click.option("--name", default=None, help="Shown until the first sign-in brings the name "
              "the identity provider knows.")
def admin_command(slug: str, email: str, name: str | None) -> None:
    """Make EMAIL an administrator of the organisation: its first admin, when its identity
    provider sends no role claim. A member becomes admin; a new address gets an account that
    the person's first sign-in through the organisation's provider takes over."""
    org = _organisation(slug)
    with tenancy.as_organisation(org.id):
        try:
            user, created = service.name_admin(db.session, org, email, name=name,
                                               now=utcnow())
        except service.OrganisationError as exc:
            db.session.rollback()
            raise click.UsageError(str(exc)) from exc
        db.session.commit()
        click.echo(f"{user.email} is an administrator of {org.slug}" + (
            ": the first sign-in through its identity provider with that address opens the "
            "account." if created else "."))


@org_cli.command("list")
def list_command() -> None:
    """List organisations, their members and single sign-on."""
    with tenancy.system_scope("cli:org-list"):
        rows = db.session.execute(
            sa.select(
                Organisation.slug,
                Organisation.name,
                Organisation.kind,
                SsoConfig.issuer,
                SsoConfig.enabled,
                sa.select(sa.func.count(OrgMembership.id))
                .where(OrgMembership.organisation_id == Organisation.id)
                .scalar_subquery()
                .label("members"),
            )
            .outerjoin(SsoConfig, SsoConfig.organisation_id == Organisation.id)
            .order_by(Organisation.slug)
        ).all()
    if not rows:
        click.echo("No organisations yet: engage org create --slug SLUG --name NAME")
        return
    width = max(len(r.slug) for r in rows)
    for r in rows:
        sso_text = (r.issuer + ("" if r.enabled else " (disabled)")) if r.issuer else "no SSO"
        click.echo(f"{r.slug:<{width}}  {r.members:>4} people  {r.kind.value:<16}  "
                   f"{r.name}  —  {sso_text}")


# --- API tokens ---------------------------------------------------------------------------

token_cli = AppGroup("token", help="Organisation API tokens (only a hash is stored).")


def _acting_user(org: Organisation, email: str | None):
    from engage.organisations.models import User
    from engage.organisations.tokens import default_owner

    if email:
        user = db.session.scalar(
            sa.select(User).join(OrgMembership, OrgMembership.user_id == User.id)
            .where(sa.func.lower(User.email) == email.strip().lower(),
                   OrgMembership.organisation_id == org.id))
        if user is None:
            raise click.UsageError(f"{email} is not a member of {org.slug}")
        return user
    user = default_owner(db.session, org.id)
    if user is None:
        raise click.UsageError(f"{org.slug} has no active administrator yet; name the user the "
                               "token acts for with --user EMAIL")
    return user


@token_cli.command("create")
@click.option("--org", "slug", required=True, help="The organisation's slug.")
@click.option("--name", required=True, help="What the token is for, e.g. 'portfolio sync'.")
@click.option("--scope", type=click.Choice(["read", "write"]), default="read", show_default=True)
@click.option("--user", "email", default=None, metavar="EMAIL",
              help="The member the token acts for (default: the organisation's first admin).")
def token_create_command(slug: str, name: str, scope: str, email: str | None) -> None:
    """Create an API token and print it once."""
    from engage.organisations.tokens import TokenError, create_token

    org = _organisation(slug)
    with tenancy.as_organisation(org.id):
        user = _acting_user(org, email)
        audit.set_actor(user.id)
        try:
            new = create_token(db.session, organisation=org, name=name, scope=scope,
                               created_by=user)
        except TokenError as exc:
            db.session.rollback()
            raise click.UsageError(str(exc)) from exc
        token_id, email, slug = new.token.id, user.email, org.slug
        db.session.commit()
    click.echo(f"Created {scope} token {token_id} “{name.strip()}” for {slug}, acting for "
               f"{email}. Copy it now; it is not shown again:")
    click.echo(new.secret)


@token_cli.command("list")
@click.option("--org", "slug", required=True)
def token_list_command(slug: str) -> None:
    """List an organisation's API tokens (never the tokens themselves)."""
    from engage.organisations.tokens import tokens_query

    org = _organisation(slug)
    with tenancy.as_organisation(org.id):
        rows = db.session.execute(tokens_query(org.id)).all()
        if not rows:
            click.echo(f"{org.slug} has no API tokens: engage token create --org {org.slug} "
                       "--name NAME")
            return
        for token, user in rows:
            state = (f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at
                     else "active")
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            click.echo(f"{token.id:>5}  {token.scope:<5}  {state:<24}  last used {used:<16}  "
                       f"{user.email if user else '-':<30}  {token.name}")


@token_cli.command("revoke")
@click.option("--org", "slug", required=True)
@click.argument("token_id", type=int)
def token_revoke_command(slug: str, token_id: int) -> None:
    """Revoke an API token: requests with it are refused from now on."""
    from engage.organisations.models import ApiToken
    from engage.organisations.tokens import TokenError, revoke_token

    org = _organisation(slug)
    with tenancy.as_organisation(org.id):
        token = db.session.get(ApiToken, token_id)
        if token is None:
            raise click.UsageError(f"{org.slug} has no API token {token_id} (see engage token list)")
        try:
            revoke_token(token, now=utcnow())
        except TokenError as exc:
            raise click.UsageError(str(exc)) from exc
        name, slug = token.name, org.slug
        db.session.commit()
    click.echo(f"Revoked token {token_id} “{name}” of {slug}.")
