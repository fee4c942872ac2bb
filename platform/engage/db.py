"""Declarative base, column helpers and the mixins that put a model under tenancy.

A model joins the tenancy filter by inheriting from :class:`TenantScoped` (through one of
the mixins below) and saying, in ``tenant_criteria``, which of its rows an organisation may
see. :mod:`engage.tenancy` applies that criterion to every ORM statement.
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from engage import clock

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_READING = contextvars.ContextVar("engage.db.reading", default=False)


@contextlib.contextmanager
def reading() -> Iterator[None]:
    """Outside a request, the transactions begun in this block only read: on SQLite they
    begin deferred (:func:`begins_immediate`), beside a writer rather than queued behind it.
    A block that writes after all may fail with "database is locked"; do not write in it."""
    token = _READING.set(True)
    try:
        yield
    finally:
        _READING.reset(token)


def configure_engine(engine: sa.Engine) -> None:
    """SQLite settings for Engage's own engines (never global: Prefect's server keeps a
    SQLite database of its own in the same process, with its own transaction handling)."""
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, connection_record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # Foreign keys are enforced only when asked, per connection.
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 10000")
        # Write-ahead log: readers neither wait for a writer nor hold up its commit (with
        # the default rollback journal, an open read blocks every commit). Kept in the
        # file once set; an in-memory database stays "memory".
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()
        # pysqlite opens transactions on its own schedule, which breaks SAVEPOINT and
        # transactional DDL; hand transaction control to SQLAlchemy (its documented recipe).
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if begins_immediate() else "BEGIN")


def begins_immediate() -> bool:
    """Whether an SQLite transaction starting now takes the write lock at once.

    A deferred transaction (``BEGIN``) reads from a snapshot; when it then writes after
    another connection has committed, SQLite cannot wait for the lock (the snapshot is
    stale) and fails at once with "database is locked", whatever ``busy_timeout`` says.
    ``BEGIN IMMEDIATE`` takes the write lock first, waiting ``busy_timeout`` for it, so the
    transaction reads what it then writes over. Readers go on beside it (write-ahead log),
    but writers take turns: so a request with a safe method (GET, HEAD, OPTIONS) reads in a
    deferred transaction, unless its view is marked :func:`writes`; every other request,
    command, flow task and script begins immediate, unless it says it only reads
    (:func:`reading`).
    """
    from flask import current_app, has_request_context, request

    if not has_request_context():
        return not _READING.get()
    if request.method not in SAFE_METHODS:
        return True
    return is_marked_writes(current_app.view_functions.get(request.endpoint or ""))


def is_marked_writes(view: Any) -> bool:
    """Whether ``view`` is marked :func:`writes`."""
    return bool(getattr(view, "engage_writes", False))


def writes(view: Any) -> Any:
    """Mark a view that writes although its method is safe (a download that is audited,
    say): on SQLite its transactions begin immediate (:func:`begins_immediate`). Put it just
    under the route decorator (``@bp.get``), on what that decorator registers; with
    ``api.routing.operation``, just above the function (its wrapper keeps the mark)."""
    view.engage_writes = True
    return view


def listen_once(session_class: type, name: str, listener: Any) -> None:
    """Register a session listener on Engage's session class (never on SQLAlchemy's
    ``Session``, which Prefect's server shares in the same process). ``create_app`` runs
    once per app, and tests build several: the second registration is skipped."""
    if not sa.event.contains(session_class, name, listener):
        sa.event.listen(session_class, name, listener)


def utcnow() -> datetime:
    """The clock's ``now`` (``engage.clock``), for column defaults and the code that names
    it so; asked at each call, so a test that freezes the clock freezes these too."""
    return clock.now()


class UTCDateTime(sa.TypeDecorator):
    """Aware UTC datetimes on every backend.

    SQLite has no time zones; storing naive UTC and handing back aware UTC keeps
    comparisons identical on SQLite and PostgreSQL.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Engage stores aware UTC datetimes")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

    def __repr__(self) -> str:
        ident = sa.inspect(self).identity
        return f"<{type(self).__name__} {ident[0] if ident else 'new'}>"


def enum_type(enum_cls: type[enum.Enum], name: str) -> sa.Enum:
    """A portable enum: VARCHAR plus a CHECK constraint, the same on SQLite and PostgreSQL."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class StrEnum(str, enum.Enum):
    def __str__(self) -> str:
        return self.value


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TenantScoped:
    """Marker: rows of this model are filtered by organisation on every ORM statement."""

    @classmethod
    def tenant_criteria(cls, org_id: Any) -> sa.ColumnElement[bool]:
        # Fail closed. Mapped subclasses override this (a test checks that each does);
        # SQLAlchemy also calls it once on this class while analysing the criteria lambda.
        return sa.false()


class OrgPrivate(TenantScoped):
    """Rows that belong to one organisation and are visible to it alone."""

    @declared_attr
    def organisation_id(cls) -> Mapped[int]:
        return mapped_column(
            sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
        )

    @classmethod
    def tenant_criteria(cls, org_id: Any) -> sa.ColumnElement[bool]:
        return cls.organisation_id == org_id


class EngagementShared(TenantScoped):
    """Rows of an engagement, visible to the organisations that take part in it."""

    @declared_attr
    def engagement_id(cls) -> Mapped[int]:
        return mapped_column(sa.ForeignKey("engagement.id", ondelete="CASCADE"), index=True)

    @classmethod
    def tenant_criteria(cls, org_id: Any) -> sa.ColumnElement[bool]:
        from engage.common.visibility import engagement_visible

        return engagement_visible(cls.engagement_id, org_id)


class LeadRoles:
    """A membership with a ``role`` (an engagement's participant, an initiative's member):
    the roles in ``LEAD_ROLES`` lead. Every "lead or co-lead" check asks ``leads``, in
    Python (``member.leads``) or in SQL (``.where(Member.leads)``)."""

    LEAD_ROLES: ClassVar[tuple[Any, ...]] = ()

    @hybrid_property
    def leads(self) -> bool:
        return self.role in self.LEAD_ROLES

    @leads.inplace.expression
    @classmethod
    def _leads_expression(cls) -> sa.ColumnElement[bool]:
        return cls.role.in_(cls.LEAD_ROLES)


class date_plus_days(sa.sql.functions.GenericFunction):  # noqa: N801 (an SQL function)
    """``date_plus_days(a_datetime, n)``: the (UTC) calendar date ``n`` days after a stored
    datetime, computed in SQL so a query can filter and sort on it; date arithmetic is
    spelled differently on each database."""

    type = sa.Date()
    inherit_cache = True


@compiles(date_plus_days, "sqlite")
def _date_plus_days_sqlite(element: date_plus_days, compiler: Any, **kw: Any) -> str:
    when, days = (compiler.process(c, **kw) for c in element.clauses)
    return f"date({when}, ({days}) || ' days')"


@compiles(date_plus_days, "postgresql")
def _date_plus_days_postgresql(element: date_plus_days, compiler: Any, **kw: Any) -> str:
    when, days = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST({when} + ({days}) * INTERVAL '1 day' AS DATE)"
