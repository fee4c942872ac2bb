from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.audit.models import JSONType
from engage.db import Base, OrgPrivate, TimestampMixin, UTCDateTime, enum_type
from engage.organisations.models import Organisation, OrgRole, User

DEFAULT_SCOPES = "openid email profile"


class Identity(TimestampMixin, Base):
    """An account at an identity provider, keyed by issuer and subject as OIDC requires."""

    __tablename__ = "identity"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    issuer: Mapped[str] = mapped_column(sa.String(500))
    subject: Mapped[str] = mapped_column(sa.String(255))
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    __table_args__ = (sa.UniqueConstraint("issuer", "subject"),)


class SsoConfig(OrgPrivate, TimestampMixin, Base):
    """One organisation's OpenID Connect provider.

    The client secret is never stored in plain text: either the configuration names an
    environment variable that holds it, or it is kept encrypted (``engage.auth.crypto``).
    """

    __tablename__ = "sso_config"
    __tenant_owner__ = "organisation_id"
    __audit_redact__ = frozenset({"client_secret_encrypted"})

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(sa.String(500))
    client_id: Mapped[str] = mapped_column(sa.String(255))
    client_secret_env: Mapped[str | None] = mapped_column(sa.String(100))
    client_secret_encrypted: Mapped[str | None] = mapped_column(sa.Text)
    scopes: Mapped[str] = mapped_column(sa.String(200), default=DEFAULT_SCOPES)
    default_role: Mapped[OrgRole] = mapped_column(
        enum_type(OrgRole, "org_role"), default=OrgRole.MEMBER
    )
    # A claim (e.g. ``groups``) whose values decide the role at every login:
    # {"admin": ["engage-admins"], "viewer": ["auditors"]}. Unmatched → default_role.
    role_claim: Mapped[str | None] = mapped_column(sa.String(100))
    role_map: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    organisation: Mapped[Organisation] = relationship()
    domains: Mapped[list[SsoDomain]] = relationship(
        primaryjoin="SsoConfig.organisation_id == foreign(SsoDomain.organisation_id)",
        order_by="SsoDomain.domain",
        viewonly=True,
    )

    __table_args__ = (
        sa.UniqueConstraint("organisation_id"),
        sa.CheckConstraint(
            "client_secret_env IS NULL OR client_secret_encrypted IS NULL",
            name="one_secret_source",
        ),
        sa.CheckConstraint("issuer <> '' AND client_id <> ''", name="issuer_and_client"),
    )

    @property
    def domain_names(self) -> list[str]:
        return [d.domain for d in self.domains]


class SsoDomain(Base):
    """An e-mail domain an organisation's users sign in with. A domain belongs to one
    organisation only, so discovery by e-mail address is never ambiguous.

    Not tenant-private: the sign-in page routes by it before anyone is signed in, and the
    uniqueness check must see every organisation's domains. Only ``auth.service.configure``
    writes it.
    """

    __tablename__ = "sso_domain"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    domain: Mapped[str] = mapped_column(sa.String(253), unique=True)

    __table_args__ = (
        sa.CheckConstraint("domain <> '' AND domain = lower(domain)", name="domain_lowercase"),
    )


class UserSession(Base):
    """A signed-in browser session. The signed cookie carries a random key; only its SHA-256
    is kept here. The session counts while this row is live (not ended, not expired), so
    logout, "sign out everywhere", deactivation and a role change end every copy of the
    cookie at once. Written with Core statements: the audit trail records the events
    (sign-in, logout, sessions ended), not the bookkeeping rows."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Absolute end (ENGAGE_SESSION_MINUTES after sign-in), however busy the session.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_reason: Mapped[str | None] = mapped_column(sa.String(30))


class SignInFailure(Base):
    """How many refused sign-ins of one kind one client address caused at one organisation
    in one window (engage.auth.failures). The audit trail, which cannot be updated, gets the first
    refusal of each window in full and a row at every power of ten; this counter keeps the
    exact number, so an anonymous flood cannot grow the trail without bound."""

    __tablename__ = "sign_in_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE")
    )
    client: Mapped[str] = mapped_column(sa.String(64))
    # The refusal's code up to its first ":" (``provider_error:<what the provider said>``
    # counts as ``provider_error``): a small, fixed set, whatever a forger sends.
    kind: Mapped[str] = mapped_column(sa.String(40))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(sa.Integer)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_reason: Mapped[str] = mapped_column(sa.String(60))

    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "window_start", "client", "kind"),
        sa.CheckConstraint("count > 0", name="count_positive"),
    )
