"""Single sign-on rules: which organisation signs a user in, and who that user is.

The OpenID Connect protocol itself (state, nonce, PKCE, token checks) is Authlib's, in
:mod:`engage.auth.oidc`; this module decides what a validated ID token means for Engage.
Callers run it under ``system_scope("sign-in")``: nobody is signed in yet.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from engage.audit import service as audit
from engage.auth import crypto, egress
from engage.auth.models import DEFAULT_SCOPES, Identity, SsoConfig, SsoDomain
from engage.config import ConfigError
from engage.organisations.models import Organisation, OrgMembership, OrgRole, User

ROLE_PRIORITY = (OrgRole.ADMIN, OrgRole.MEMBER, OrgRole.VIEWER)
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}
SECRET_ENV_PREFIX = "ENGAGE_SSO_SECRET_"


def secret_env_name(slug: str) -> str:
    """The one environment variable that may hold an organisation's client secret.

    A reference to a server variable is an operator's tool (``engage org sso
    --client-secret-env``), never the web form's, and only this name: were any name allowed,
    whoever controls the provider would receive that variable — the server's session key,
    the database password, another organisation's secret — as the client secret.
    Slugs have no underscore, so no two organisations share a name.
    """
    return SECRET_ENV_PREFIX + slug.upper().replace("-", "_")


class SsoConfigError(ValueError):
    """A configuration that cannot work; ``errors`` maps each field to its reason."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


class LoginRefused(Exception):
    """A sign-in that must not succeed. ``code`` goes to the audit trail, ``message`` to
    the person signing in; neither carries a token or a secret."""

    def __init__(self, code: str, message: str, status: int = 403) -> None:
        self.code = code
        self.message = message
        self.status = status
        super().__init__(f"{code}: {message}")


@dataclass
class SsoSettings:
    """What an admin (web form) or operator (CLI) asks for; validated by ``configure``."""

    issuer: str
    client_id: str
    client_secret: str | None = None  # typed in: stored encrypted
    # Or (operator only): the variable that holds it, which must be secret_env_name(slug).
    client_secret_env: str | None = None
    keep_secret: bool = False  # web form left the secret blank: keep the stored one
    public_client: bool = False  # web form: the provider registers Engage without a secret
    domains: list[str] = field(default_factory=list)
    default_role: OrgRole = OrgRole.MEMBER
    role_claim: str | None = None
    role_map: dict[str, list[str]] = field(default_factory=dict)
    scopes: str = DEFAULT_SCOPES
    enabled: bool = True


def normalise_issuer(issuer: str) -> str:
    return issuer.strip().rstrip("/")


def parse_domains(text: str | Iterable[str]) -> list[str]:
    items = re.split(r"[\s,;]+", text) if isinstance(text, str) else list(text)
    return sorted({d.strip().lower().lstrip("@") for d in items if d and d.strip()})


def parse_role_map(items: Iterable[str]) -> dict[str, list[str]]:
    """``["admin=engage-admins", "viewer=auditors"]`` → ``{"admin": [...], ...}``."""
    result: dict[str, list[str]] = {}
    for item in items:
        for part in re.split(r"[\n;]+", item):
            if not part.strip():
                continue
            role, sep, value = part.partition("=")
            if not sep or not value.strip():
                raise SsoConfigError({"role_map": _("“%(part)s” is not ROLE=CLAIM-VALUE",
                                                       part=part.strip())})
            result.setdefault(role.strip().lower(), []).append(value.strip())
    return result


def _validate(settings: SsoSettings, production: bool, slug: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    issuer = normalise_issuer(settings.issuer)
    parts = urlsplit(issuer)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        errors["issuer"] = _("must be an absolute URL such as https://login.example.org")
    elif parts.query or parts.fragment:
        errors["issuer"] = _("must not have a query or fragment")
    elif parts.scheme == "http" and (production or parts.hostname not in _LOOPBACK):
        errors["issuer"] = _("must use https (plain http is allowed for loopback tests only)")
    elif len(issuer) > 500:
        errors["issuer"] = _("is longer than %(num)d characters", num=500)
    elif problem := egress.url_problem(issuer):
        errors["issuer"] = _("Engage will not contact this address: %(reason)s (an operator "
                             "allows on-premises providers with ENGAGE_SSO_ALLOWED_HOSTS)",
                             reason=problem)
    if not settings.client_id.strip():
        errors["client_id"] = _("is required")
    elif len(settings.client_id) > 255:
        errors["client_id"] = _("is longer than %(num)d characters", num=255)
    if settings.client_secret and settings.client_secret_env:
        errors["client_secret"] = _("give the secret or the variable that holds it, not both")
    if settings.client_secret_env and settings.client_secret_env != secret_env_name(slug):
        errors["client_secret_env"] = _("must be %(name)s: the only environment variable "
                                        "that may hold this organisation's client secret",
                                        name=secret_env_name(slug))
    for domain in settings.domains:
        if not _DOMAIN.match(domain):
            errors["domains"] = _("“%(domain)s” is not a domain name", domain=domain)
            break
    if settings.role_claim and not settings.role_map:
        errors["role_map"] = _("a role claim needs at least one ROLE=VALUE mapping")
    if settings.role_map and not settings.role_claim:
        errors["role_claim"] = _("name the claim that the mapping reads (e.g. groups)")
    for role in settings.role_map:
        if role not in {r.value for r in OrgRole}:
            errors["role_map"] = _("“%(role)s” is not a role (admin, member, viewer)", role=role)
    if "openid" not in settings.scopes.split():
        errors["scopes"] = _("must include openid")
    return errors


def configure(
    session: Session,
    organisation: Organisation,
    settings: SsoSettings,
    *,
    actor_id: int | None,
    now: datetime,
) -> SsoConfig:
    """Create or replace an organisation's SSO configuration and its e-mail domains.

    Validates everything first; on any error raises :class:`SsoConfigError` and changes
    nothing. Flushes; the caller commits.
    """
    production = current_app.config.get("ENGAGE_ENV") == "production"
    errors = _validate(settings, production, organisation.slug)
    config = session.scalar(
        sa.select(SsoConfig).where(SsoConfig.organisation_id == organisation.id)
    )
    keep_secret, dropped_env = _keep_stored_secret(settings, config, organisation.slug, errors)
    taken = session.execute(
        sa.select(SsoDomain.domain, Organisation.name)
        .join(Organisation, Organisation.id == SsoDomain.organisation_id)
        .where(SsoDomain.domain.in_(settings.domains))
        .where(SsoDomain.organisation_id != organisation.id)
    ).first()
    if taken:
        errors["domains"] = _("%(domain)s is already used by %(name)s", domain=taken.domain,
                              name=taken.name)
    if errors:
        raise SsoConfigError(errors)
    encrypted = None
    if settings.client_secret:
        try:
            encrypted = crypto.encrypt(settings.client_secret)
        except ConfigError as exc:
            raise SsoConfigError({"client_secret": str(exc)}) from exc

    if config is None:
        config = SsoConfig(organisation_id=organisation.id)
        session.add(config)
    config.issuer = normalise_issuer(settings.issuer)
    config.client_id = settings.client_id.strip()
    if not keep_secret:
        config.client_secret_encrypted = encrypted
        config.client_secret_env = None if encrypted else settings.client_secret_env
    config.scopes = " ".join(settings.scopes.split())
    config.default_role = settings.default_role
    config.role_claim = settings.role_claim or None
    config.role_map = settings.role_map or None
    config.enabled = settings.enabled
    config.updated_at = now
    config.updated_by_id = actor_id

    existing = {
        d.domain: d
        for d in session.scalars(
            sa.select(SsoDomain).where(SsoDomain.organisation_id == organisation.id)
        )
    }
    for domain, row in existing.items():
        if domain not in settings.domains:
            session.delete(row)
    for domain in settings.domains:
        if domain not in existing:
            session.add(SsoDomain(organisation_id=organisation.id, domain=domain))
    session.flush()
    audit.record(
        "sso.configured",
        object_type="sso_config",
        object_id=config.id,
        after={
            "issuer": config.issuer,
            "client_id": config.client_id,
            "secret_source": "encrypted" if config.client_secret_encrypted
            else ("env:" + config.client_secret_env if config.client_secret_env else "none"),
            "domains": ",".join(settings.domains),
            "default_role": config.default_role,
            "role_claim": config.role_claim,
            "enabled": config.enabled,
            **({"dropped_secret_env": dropped_env} if dropped_env else {}),
        },
        organisation_id=organisation.id,
        session=session,
    )
    return config


def _keep_stored_secret(settings: SsoSettings, config: SsoConfig | None, slug: str,
                        errors: dict[str, str]) -> tuple[bool, str | None]:
    """(keep the stored secret as it is, a stored variable reference that is dropped).

    The web form never names a variable; leaving its secret blank keeps what is stored —
    the secret an admin typed, or the operator's ``ENGAGE_SSO_SECRET_<SLUG>`` — but only for
    the provider and client it was given for: a secret never follows the settings to
    another token endpoint. A reference to any other variable (written before this rule)
    is dropped, and the trail says so.
    """
    if not (settings.keep_secret and not settings.public_client and config is not None):
        return False, None
    if config.client_secret_env and config.client_secret_env != secret_env_name(slug):
        return False, config.client_secret_env
    if not (config.client_secret_encrypted or config.client_secret_env):
        return False, None
    if (normalise_issuer(settings.issuer) != config.issuer
            or settings.client_id.strip() != config.client_id):
        errors.setdefault("client_secret", _(
            "the stored client secret was given for %(issuer)s and client %(client)s; to use "
            "another provider or client ID, type its client secret (or choose no secret)",
            issuer=config.issuer, client=config.client_id))
    return True, None


def client_secret(config: SsoConfig, slug: str | None = None) -> str | None:
    """The secret to authenticate at the token endpoint, or None for a public client.

    Checked at every use: a stored reference to any variable but the organisation's own
    ``ENGAGE_SSO_SECRET_<SLUG>`` is refused, whoever wrote it and whenever."""
    if config.client_secret_encrypted:
        return crypto.decrypt(config.client_secret_encrypted)
    if config.client_secret_env:
        slug = slug or config.organisation.slug
        if config.client_secret_env != secret_env_name(slug):
            raise ConfigError(
                "the client secret is set to come from a server variable this organisation "
                f"may not use; an operator sets {secret_env_name(slug)} and runs "
                "`engage org sso` again, or an admin types the secret"
            )
        value = os.environ.get(config.client_secret_env)
        if not value:
            raise ConfigError(
                f"the environment variable {config.client_secret_env}, which holds the "
                "client secret, is not set on this server"
            )
        return value
    return None


def discovery_problem(issuer: str) -> str | None:
    """What is wrong with the provider's discovery document, or None when it can be read
    and names ``issuer`` (checked before settings are saved, and by ``engage doctor``)."""
    try:
        with egress.session() as http:
            response = http.get(
                f"{issuer}/.well-known/openid-configuration",
                timeout=current_app.config["ENGAGE_OIDC_TIMEOUT"],
            )
        response.raise_for_status()
        document = response.json()
        found = str(document.get("issuer", "")).rstrip("/")
    except egress.EgressRefused as exc:
        return _("Engage will not contact %(host)s: %(reason)s", host=exc.host, reason=exc.reason)
    except (requests.RequestException, ValueError, AttributeError) as exc:
        return _("its discovery document could not be read (%(error)s)", error=type(exc).__name__)
    if found != issuer:
        return _("its discovery document names the issuer “%(found)s”", found=found)
    for key in ("token_endpoint", "jwks_uri", "userinfo_endpoint"):
        url = document.get(key)
        if url and (problem := egress.url_problem(str(url))):
            return _("Engage will not contact its %(endpoint)s %(url)s: %(reason)s",
                     endpoint=key, url=url, reason=problem)
    return None


def organisation_for_email(session: Session, email: str) -> Organisation | None:
    domain = email.strip().lower().rpartition("@")[2]
    if not domain:
        return None
    return session.scalar(
        sa.select(Organisation)
        .join(SsoDomain, SsoDomain.organisation_id == Organisation.id)
        .join(SsoConfig, SsoConfig.organisation_id == Organisation.id)
        .where(SsoDomain.domain == domain, SsoConfig.enabled.is_(True))
    )


def sign_in_choices(session: Session, limit: int) -> list[tuple[str, str]]:
    """(slug, name) of organisations that accept sign-in, by name."""
    return list(
        session.execute(
            sa.select(Organisation.slug, Organisation.name)
            .join(SsoConfig, SsoConfig.organisation_id == Organisation.id)
            .where(SsoConfig.enabled.is_(True))
            .order_by(Organisation.name)
            .limit(limit)
        )
    )


def role_from_claims(config: SsoConfig, claims: Mapping[str, Any]) -> OrgRole | None:
    """The role the identity provider's claim grants, or None when no mapping is set."""
    if not config.role_claim or not config.role_map:
        return None
    raw = claims.get(config.role_claim)
    values = {str(v) for v in raw} if isinstance(raw, (list, tuple, set)) else (
        {str(raw)} if raw is not None else set()
    )
    for role in ROLE_PRIORITY:
        if values & set(config.role_map.get(role.value, [])):
            return role
    return config.default_role


def complete_login(
    session: Session,
    organisation: Organisation,
    config: SsoConfig,
    claims: Mapping[str, Any],
    *,
    now: datetime,
) -> User:
    """Find or provision the user that a validated ID token describes.

    A user belongs to exactly one organisation: the one whose issuer authenticated them.
    Raises :class:`LoginRefused`; flushes on success, the caller commits.
    """
    issuer, subject = str(claims.get("iss", "")), str(claims.get("sub", ""))
    email = str(claims.get("email") or "").strip().lower()
    if not subject:
        raise LoginRefused("no_subject", _("The identity provider sent no subject (sub)."))
    if not email or "@" not in email:
        raise LoginRefused(
            "no_email",
            _("The identity provider did not share an e-mail address; ask your administrator "
              "to release the email claim to Engage."),
        )
    if claims.get("email_verified") is False:
        raise LoginRefused("email_unverified",
                           _("The e-mail address %(email)s is not verified.", email=email))
    allowed = config.domain_names
    domain = email.rpartition("@")[2]
    if allowed and domain not in allowed:
        raise LoginRefused(
            "domain_not_allowed",
            _("%(name)s does not allow sign-in with %(domain)s addresses (allowed: "
              "%(allowed)s).", name=organisation.name, domain=domain,
              allowed=", ".join(allowed)),
        )

    identity = session.scalar(
        sa.select(Identity).where(Identity.issuer == issuer, Identity.subject == subject)
    )
    user = identity.user if identity else session.scalar(sa.select(User).where(User.email == email))
    membership = user.membership if user else None
    if user is not None and (membership is None or membership.organisation_id != organisation.id):
        raise LoginRefused(
            "other_organisation",
            _("The account %(email)s belongs to another organisation; sign in through that "
              "organisation's identity provider.", email=email),
        )
    if user is not None and not user.is_active:
        raise LoginRefused("deactivated",
                           _("The account %(email)s has been deactivated.", email=email))
    if identity is None and user is not None:
        _may_link(session, organisation, user, email)

    granted = role_from_claims(config, claims)
    if user is None:
        user = User(email=email, name=str(claims.get("name") or email), locale=_locale(claims))
        membership = OrgMembership(
            user=user, organisation_id=organisation.id, role=granted or config.default_role
        )
        session.add_all([user, membership])
    elif granted is not None and membership.role != granted:
        _apply_claimed_role(session, organisation, user, membership, granted)
    if identity is None:
        identity = Identity(user=user, issuer=issuer, subject=subject)
        session.add(identity)
        if user.id is not None:  # an account that existed: say which identity now signs in
            audit.record("auth.identity_linked", object_type="user_account", object_id=user.id,
                         after={"issuer": issuer, "subject": subject, "email": email,
                                "rule": "invited by e-mail, first sign-in"},
                         organisation_id=organisation.id, session=session)
    if claims.get("name") and user.name != claims["name"]:
        user.name = str(claims["name"])
    user.last_login_at = now
    identity.last_login_at = now
    session.flush()
    return user


def _may_link(session: Session, organisation: Organisation, user: User, email: str) -> None:
    """May a new (issuer, subject) become the sign-in of the existing account ``user``,
    found by e-mail address alone?

    Only an account that has no identity yet: one an admin or
    operator created by e-mail (an invitation). Its first sign-in binds the identity; after
    that the account is (issuer, subject) and nothing else — another subject carrying the
    same address (a re-used mailbox, a second account at the provider, a provider that lets
    users edit their address) is refused until an admin resets the account's sign-in.
    """
    has_identity = session.scalar(
        sa.select(sa.func.count()).select_from(Identity).where(Identity.user_id == user.id)
    )
    if has_identity:
        raise LoginRefused(
            "identity_conflict",
            _("An Engage account for %(email)s already exists and signs in with another "
              "identity at %(name)s's provider. If this is you, ask an administrator of "
              "%(name)s to reset that account's sign-in; the next sign-in then links to it.",
              email=email, name=organisation.name),
        )


def _apply_claimed_role(session: Session, organisation: Organisation, user: User,
                        membership: OrgMembership, granted: OrgRole) -> None:
    """Follow the provider's role claim, except where it would leave the organisation
    without an active admin: that admin keeps the role (and the trail says why)."""
    before = membership.role
    if before is OrgRole.ADMIN and granted is not OrgRole.ADMIN:
        others = session.scalar(
            sa.select(sa.func.count()).select_from(OrgMembership)
            .join(User, User.id == OrgMembership.user_id)
            .where(OrgMembership.organisation_id == organisation.id,
                   OrgMembership.role == OrgRole.ADMIN, OrgMembership.id != membership.id,
                   User.is_active.is_(True))
        )
        if not others:
            audit.record("auth.role_kept", object_type="user_account", object_id=user.id,
                         after={"role": before, "claimed": granted, "reason": "last_admin"},
                         organisation_id=organisation.id, session=session)
            return
    membership.role = granted
    audit.record("auth.role_from_claim", object_type="user_account", object_id=user.id,
                 before={"role": before}, after={"role": granted},
                 organisation_id=organisation.id, session=session)


def _locale(claims: Mapping[str, Any]) -> str | None:
    locale = str(claims.get("locale") or "")[:2].lower()
    return locale if locale in current_app.config["ENGAGE_LANGUAGES"] else None
