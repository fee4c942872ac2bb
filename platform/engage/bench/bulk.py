"""Bulk writes for the benchmark data: COPY on PostgreSQL, executemany on SQLite.

The rows bypass the ORM on purpose: a million ORM objects would take longer than the
benchmarks themselves. So they bypass the audit log too (its flush listener never sees
them) and the tenancy filter (the caller runs in a system scope and hands us its
connection, whose transaction has the database's row-level security opened for it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from itertools import islice
from typing import Any

import sqlalchemy as sa

from engage.db import Base

SQLITE_CHUNK = 5000


class BulkWriter:
    """Writes whole tables in the caller's transaction and remembers the highest ids, so
    the PostgreSQL sequences can be set once at the end."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection
        self.dialect = connection.dialect.name
        self.raw = connection.connection.driver_connection
        self.counts: dict[str, int] = {}
        self._copy_ok = self.dialect == "postgresql" and self._may_copy_past_rls()

    def _may_copy_past_rls(self) -> bool:
        # COPY FROM refuses tables under row-level security unless the role bypasses it
        # (a superuser or BYPASSRLS); other roles get INSERTs on those tables.
        return bool(self.connection.exec_driver_sql(
            "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"
        ).scalar())

    def write(self, name: str, columns: Sequence[str], rows: Iterable[tuple]) -> int:
        table = Base.metadata.tables[name]
        _check_columns(table, columns)
        if self.dialect == "postgresql":
            count = self._postgres(table, columns, rows)
        else:
            count = self._sqlite(table, columns, rows)
        self.counts[name] = self.counts.get(name, 0) + count
        return count

    def _postgres(self, table: sa.Table, columns: Sequence[str], rows: Iterable[tuple]) -> int:
        cols = ", ".join(f'"{c}"' for c in columns)
        count = 0
        with self.raw.cursor() as cursor:
            if self._copy_ok or not _has_rls(table.name):
                with cursor.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
                return count
            marks = ", ".join(["%s"] * len(columns))
            sql = f'INSERT INTO "{table.name}" ({cols}) VALUES ({marks})'
            iterator = iter(rows)
            while chunk := list(islice(iterator, SQLITE_CHUNK)):
                cursor.executemany(sql, chunk)
                count += len(chunk)
        return count

    def _sqlite(self, table: sa.Table, columns: Sequence[str], rows: Iterable[tuple]) -> int:
        cols = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join(["?"] * len(columns))
        sql = f'INSERT INTO "{table.name}" ({cols}) VALUES ({marks})'
        cursor = self.raw.cursor()
        count = 0
        iterator = iter(rows)
        try:
            while chunk := list(islice(iterator, SQLITE_CHUNK)):
                cursor.executemany(sql, [tuple(map(_sqlite_value, row)) for row in chunk])
                count += len(chunk)
        finally:
            cursor.close()
        return count

    def set_sequences(self) -> None:
        """Explicit ids leave PostgreSQL's sequences at 1: move each past its table's ids."""
        if self.dialect != "postgresql":
            return  # SQLite hands out max(rowid) + 1 by itself
        for name in self.counts:
            self.connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                f"(SELECT max(id) FROM \"{name}\"))"
            )


def _has_rls(name: str) -> bool:
    return name in {"holding", "note", "vote", "dialogue_entry", "notification", "api_token",
                    "company_follow", "calendar_feed", "audit_event", "sso_config",
                    "engagement_invitation"}


def _sqlite_value(value: Any) -> Any:
    # The storage formats SQLAlchemy's SQLite types write and read back.
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _check_columns(table: sa.Table, columns: Sequence[str]) -> None:
    """Every NOT NULL column without a server default must be given (the ORM's Python-side
    defaults do not run here): a schema change then fails loudly, not halfway through COPY."""
    unknown = set(columns) - set(table.c.keys())
    missing = [c.name for c in table.c if not c.nullable and c.server_default is None
               and c.name not in columns]
    if unknown or missing:
        raise RuntimeError(f"{table.name}: unknown columns {sorted(unknown)}, "
                           f"missing NOT NULL columns {missing}")
