from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.db import Base, OrgPrivate, StrEnum, TimestampMixin, UTCDateTime, enum_type


class OrganisationKind(StrEnum):
    ASSET_OWNER = "asset_owner"
    ASSET_MANAGER = "asset_manager"
    BANK = "bank"
    INSURER = "insurer"
    PENSION_FUND = "pension_fund"
    SERVICE_PROVIDER = "service_provider"


class OrgRole(StrEnum):
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"


class Organisation(TimestampMixin, Base):
    """A tenant: one investor or engagement service provider."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(63), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[OrganisationKind] = mapped_column(enum_type(OrganisationKind, "organisation_kind"))
    aum_eur: Mapped[Decimal | None] = mapped_column(sa.Numeric(20, 2))

    memberships: Mapped[list[OrgMembership]] = relationship(back_populates="organisation")

    __table_args__ = (
        sa.CheckConstraint("slug <> '' AND slug = lower(slug)", name="slug_lowercase"),
        sa.CheckConstraint("aum_eur IS NULL OR aum_eur >= 0", name="aum_not_negative"),
    )


class User(TimestampMixin, Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    is_active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    membership: Mapped[OrgMembership | None] = relationship(back_populates="user")


class OrgMembership(TimestampMixin, Base):
    """A user's one organisation and role there (SSO ties a user to one issuer)."""

    __tablename__ = "org_membership"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), unique=True
    )
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[OrgRole] = mapped_column(enum_type(OrgRole, "org_role"))

    user: Mapped[User] = relationship(back_populates="membership")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")


class ApiToken(OrgPrivate, TimestampMixin, Base):
    """An organisation's API credential; only a hash of the token is stored."""

    __tablename__ = "api_token"
    __tenant_owner__ = "organisation_id"
    __audit_redact__ = frozenset({"token_hash"})

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(128), unique=True)
    scope: Mapped[str] = mapped_column(sa.String(10), default="read")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (sa.CheckConstraint("scope IN ('read', 'write')", name="scope_known"),)
