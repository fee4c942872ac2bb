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
from engage.auth import crypto
from engage.auth.models import DEFAULT_SCOPES, Identity, SsoConfig, SsoDomain
from engage.config import ConfigError
from engage.organisations.models import Organisation, OrgMembership, OrgRole, User

ROLE_PRIORITY = (OrgRole.ADMIN, OrgRole.MEMBER, OrgRole.VIEWER)
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


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
    client_secret_env: str | None = None  # or: the name of a variable that holds it
    keep_secret: bool = False  # web form left the secret blank: keep the stored one
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


def _validate(settings: SsoSettings, production: bool) -> dict[str, str]:
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
    if not settings.client_id.strip():
        errors["client_id"] = _("is required")
    elif len(settings.client_id) > 255:
        errors["client_id"] = _("is longer than %(num)d characters", num=255)
    if settings.client_secret and settings.client_secret_env:
        errors["client_secret"] = _("give the secret or the variable that holds it, not both")
    if settings.client_secret_env and not _ENV_NAME.match(settings.client_secret_env):
        errors["client_secret_env"] = _("is not a valid environment variable name")
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
    errors = _validate(settings, production)
    config = session.scalar(
        sa.select(SsoConfig).where(SsoConfig.organisation_id == organisation.id)
    )
    # "Keep the stored secret" only means something when there is one to keep.
    keep_secret = settings.keep_secret and bool(config and config.client_secret_encrypted)
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
    config.client_secret_env = (settings.client_secret_env or None) if not encrypted else None
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
        },
        organisation_id=organisation.id,
        session=session,
    )
    return config


def client_secret(config: SsoConfig) -> str | None:
    """The secret to authenticate at the token endpoint, or None for a public client."""
    if config.client_secret_encrypted:
        return crypto.decrypt(config.client_secret_encrypted)
    if config.client_secret_env:
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
        response = requests.get(
            f"{issuer}/.well-known/openid-configuration",
            timeout=current_app.config["ENGAGE_OIDC_TIMEOUT"],
        )
        response.raise_for_status()
        found = str(response.json().get("issuer", "")).rstrip("/")
    except (requests.RequestException, ValueError) as exc:
        return _("its discovery document could not be read (%(error)s)", error=type(exc).__name__)
    if found != issuer:
        return _("its discovery document names the issuer “%(found)s”", found=found)
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

    granted = role_from_claims(config, claims)
    if user is None:
        user = User(email=email, name=str(claims.get("name") or email), locale=_locale(claims))
        membership = OrgMembership(
            user=user, organisation_id=organisation.id, role=granted or config.default_role
        )
        session.add_all([user, membership])
    elif granted is not None and membership.role != granted:
        membership.role = granted
    if identity is None:
        identity = Identity(user=user, issuer=issuer, subject=subject)
        session.add(identity)
    if claims.get("name") and user.name != claims["name"]:
        user.name = str(claims["name"])
    user.last_login_at = now
    identity.last_login_at = now
    session.flush()
    return user


def _locale(claims: Mapping[str, Any]) -> str | None:
    locale = str(claims.get("locale") or "")[:2].lower()
    return locale if locale in current_app.config["ENGAGE_LANGUAGES"] else None
