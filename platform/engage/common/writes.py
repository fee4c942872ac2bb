"""Writes that must happen at most once, whoever runs them and however often.

``insert_if_absent`` is INSERT ... ON CONFLICT DO NOTHING: the row's unique key decides, so
two sweeps at once or a step applied twice write one row. On PostgreSQL a concurrent
insert of the same key waits for the other transaction and then does nothing.
``update_where`` is a conditional UPDATE (the claim of a compare-and-set). Neither goes
through the ORM's flush, so both write their audit event themselves.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from engage.audit import service as audit
from engage.db import Base, OrgPrivate
from engage.tenancy import TenancyError, current_scope, session_of


def _require_scope(session) -> None:
    if current_scope(session) is None:
        raise TenancyError("writing outside any scope; use a tenancy scope")


def insert_if_absent(model: type[Base], values: dict[str, Any], session=None) -> int | None:
    """Insert one row unless a row with the same unique key exists; the new id, or None."""
    sess = session_of(session)
    _require_scope(sess)
    table = model.__table__
    dialect = sess.connection().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).values(**values).on_conflict_do_nothing().returning(table.c.id)
    new_id = sess.execute(stmt).scalar()
    if new_id is not None:
        after = {k: v for k, v in values.items() if not isinstance(v, bytes)}
        audit.record(
            f"{table.name}.create", object_type=table.name, object_id=new_id,
            after={"id": new_id, **after}, session=sess,
            owner_organisation_id=_owner(model, values),
        )
    return new_id


def _owner(model: type[Base], values: dict[str, Any]) -> int | None:
    """The organisation a row of ``model`` is private to, if it is (see audit.on_behalf_of)."""
    return values.get("organisation_id") if issubclass(model, OrgPrivate) else None


def update_where(
    model: type[Base], row_id: int, where: sa.ColumnElement[bool] | None,
    values: dict[str, Any], session=None,
) -> bool:
    """UPDATE one row if it still matches ``where``; True when it did."""
    sess = session_of(session)
    _require_scope(sess)
    table = model.__table__
    stmt = sa.update(table).where(table.c.id == row_id)
    if where is not None:
        stmt = stmt.where(where)
    changed = sess.execute(stmt.values(**values)).rowcount == 1
    if changed:
        audit.record(
            f"{table.name}.update", object_type=table.name, object_id=row_id,
            after={k: v for k, v in values.items() if not isinstance(v, sa.ColumnElement)},
            session=sess,
        )
    return changed
