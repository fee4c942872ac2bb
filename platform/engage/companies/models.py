from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.common.search import KEY_LENGTH, folded_default, keep_folded
from engage.db import Base, OrgPrivate, StrEnum, TimestampMixin, UTCDateTime, enum_type

if TYPE_CHECKING:
    from engage.engagements.models import Engagement


class EsgRating(StrEnum):
    """The insurer's ESG rating scale (Bijlage 5), best first."""

    AAA = "AAA"
    AA = "AA"
    A = "A"
    BBB = "BBB"
    BB = "BB"
    B = "B"
    CCC = "CCC"


class ExclusionCategory(StrEnum):
    """Exclusion categories of the insurer's list (Bijlage 4)."""

    TOBACCO = "tobacco"
    CONTROVERSIAL_WEAPONS = "controversial_weapons"
    NUCLEAR_WEAPONS = "nuclear_weapons"
    THERMAL_COAL = "thermal_coal"
    TAR_SANDS = "tar_sands"
    UNGC_OECD_VIOLATION = "ungc_oecd_violation"
    HUMAN_RIGHTS = "human_rights"
    OTHER = "other"


class Company(TimestampMixin, Base):
    """An investee company. Reference data shared by every organisation."""

    __tablename__ = "company"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    # The name folded for sorting and searching (engage.common.search): Altria before ATLANTIA.
    name_key: Mapped[str] = mapped_column(sa.String(KEY_LENGTH), index=True,
                                          default=folded_default("name"))
    isin: Mapped[str | None] = mapped_column(sa.String(12), unique=True)
    lei: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    country: Mapped[str | None] = mapped_column(sa.String(2), index=True)
    sector: Mapped[str | None] = mapped_column(sa.String(100), index=True)
    esg_rating: Mapped[EsgRating | None] = mapped_column(enum_type(EsgRating, "esg_rating"))
    rated_on: Mapped[date | None]
    controversies: Mapped[str] = mapped_column(sa.Text, default="")
    exclusion_category: Mapped[ExclusionCategory | None] = mapped_column(
        enum_type(ExclusionCategory, "exclusion_category"), index=True
    )
    exclusion_reason: Mapped[str] = mapped_column(sa.Text, default="")
    excluded_on: Mapped[date | None]
    # Announced date of the next annual general meeting, when known (votes are prepared for it).
    next_agm_on: Mapped[date | None]

    engagements: Mapped[list[Engagement]] = relationship(back_populates="company")
    holdings: Mapped[list[Holding]] = relationship(back_populates="company")

    __table_args__ = (
        sa.CheckConstraint("isin IS NULL OR length(isin) = 12", name="isin_length"),
        sa.CheckConstraint("lei IS NULL OR length(lei) = 20", name="lei_length"),
        sa.CheckConstraint("country IS NULL OR length(country) = 2", name="country_iso2"),
        sa.CheckConstraint(
            "esg_rating IS NULL OR rated_on IS NOT NULL", name="rating_has_date"
        ),
    )

    _fold_name = keep_folded("name", "name_key")

    @property
    def is_excluded(self) -> bool:
        return self.exclusion_category is not None


class Holding(OrgPrivate, TimestampMixin, Base):
    """An organisation's position in a company on a date. Private to that organisation."""

    __tablename__ = "holding"
    __tenant_owner__ = "organisation_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        sa.ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    value_eur: Mapped[Decimal] = mapped_column(sa.Numeric(20, 2))
    valued_on: Mapped[date]

    company: Mapped[Company] = relationship(back_populates="holdings")

    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "company_id", "valued_on"),
        sa.CheckConstraint("value_eur >= 0", name="value_not_negative"),
    )


class CompanyFollow(OrgPrivate, TimestampMixin, Base):
    """A person follows a company: they hear of new engagements on it and of their own
    organisation's votes on it. Private to the person's organisation, one row per person."""

    __tablename__ = "company_follow"
    __tenant_owner__ = "organisation_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        sa.ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )

    company: Mapped[Company] = relationship()

    __table_args__ = (sa.UniqueConstraint("organisation_id", "user_id", "company_id"),)


class ImportStatus(StrEnum):
    """Where a background import stands."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ImportJob(OrgPrivate, TimestampMixin, Base):
    """An uploaded file imported in the background (a workflow run), all lines or none.

    Private to the organisation whose admin uploaded it (a register import too: the register
    is shared, the job and its errors are not). The file waits under the instance folder
    (``imports/``) until the job ends.
    """

    __tablename__ = "import_job"
    __tenant_owner__ = "organisation_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    filename: Mapped[str] = mapped_column(sa.String(255))
    stored_as: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    status: Mapped[ImportStatus] = mapped_column(
        enum_type(ImportStatus, "import_status"), default=ImportStatus.QUEUED)
    lines_done: Mapped[int] = mapped_column(default=0)
    lines_total: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    error_total: Mapped[int] = mapped_column(default=0)
    flow_run_id: Mapped[str | None] = mapped_column(sa.String(64))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.Index("ix_import_job_status", "status"),
        sa.CheckConstraint("kind IN ('companies', 'exclusions', 'ratings', 'holdings')",
                           name="import_kind"),
    )

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)
