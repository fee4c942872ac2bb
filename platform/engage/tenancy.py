"""Tenancy that a query cannot forget.

Every ORM statement run through a session is given a ``with_loader_criteria`` option for
:class:`engage.db.TenantScoped`, so selects, joins, relationship loads, ``Session.get``,
counts and ORM bulk UPDATE/DELETE see only the rows of the session's scope:

- ``as_organisation(org_id)`` / ``enter_organisation(org_id)``: what one organisation may see;
- ``system_scope(reason)``: the named escape hatch for cross-organisation jobs (the
  escalation sweep, demo loading, platform totals). Its reason is written into every
  audit event recorded inside it;
- no scope at all: a statement that names a scoped model raises ``TenancyError``; one that
  reaches a scoped model indirectly (a join, a lazy load) gets no rows of it.

On PostgreSQL the same scope is handed to the database per transaction with
``set_config(..., true)`` (it cannot leak to the next user of a pooled connection), where
row-level security on the private tables is the second lock.

``create_app`` puts these listeners on Flask-SQLAlchemy's session class (:func:`listen`),
not on SQLAlchemy's ``Session``: other sessions in the process (Prefect's server) are not
Engage's to filter.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import ORMExecuteState, Session, scoped_session, with_loader_criteria

from engage.db import TenantScoped, listen_once

log = logging.getLogger(__name__)

SCOPE_KEY = "engage.scope"


class TenancyError(RuntimeError):
    """A tenant-scoped table was used with no scope, or written for another organisation."""


@dataclass(frozen=True)
class Scope:
    org_id: int | None = None
    system_reason: str | None = None

    @property
    def is_system(self) -> bool:
        return self.system_reason is not None

    def label(self) -> str:
        return f"system:{self.system_reason}" if self.is_system else f"org:{self.org_id}"


def session_of(session: Session | scoped_session | None) -> Session:
    if session is None:
        from engage.extensions import db

        session = db.session
    return session() if isinstance(session, scoped_session) else session


def current_scope(session: Session | None = None) -> Scope | None:
    return session_of(session).info.get(SCOPE_KEY)


def current_org_id(session: Session | None = None) -> int | None:
    scope = current_scope(session)
    return scope.org_id if scope else None


def _switch(session: Session, scope: Scope | None, flush: bool = True) -> None:
    previous = session.info.get(SCOPE_KEY)
    if previous == scope:
        return
    # Objects in the identity map were loaded under the previous scope; Session.get()
    # would hand them out without asking the database, so they go. Pending changes are
    # written first, under the scope that made them.
    if session.identity_map or session.new:
        if flush:
            session.flush()
        session.expunge_all()
    if scope is None:
        session.info.pop(SCOPE_KEY, None)
    else:
        session.info[SCOPE_KEY] = scope
    if session.in_transaction() and session.is_active:
        _push_to_database(session.connection(), scope)


def enter_organisation(org_id: int, session: Session | None = None) -> None:
    """Put the session under one organisation's scope until it ends (one web request)."""
    if org_id is None:
        raise TenancyError("an organisation scope needs an organisation id")
    _switch(session_of(session), Scope(org_id=int(org_id)))


def leave_organisation(session: Session | None = None) -> None:
    """End the scope :func:`enter_organisation` began (a request whose principal did not
    hold after all)."""
    _switch(session_of(session), None)


@contextmanager
def _scoped(scope: Scope, session: Session | None) -> Iterator[Session]:
    sess = session_of(session)
    previous = sess.info.get(SCOPE_KEY)
    _switch(sess, scope)
    try:
        yield sess
    except BaseException:
        # The unit of work is failing: restore the scope without flushing, so the
        # original error surfaces rather than a second one from the flush.
        _switch(sess, previous, flush=False)
        raise
    _switch(sess, previous)


def as_organisation(org_id: int, session: Session | None = None):
    """Run the block as one organisation would see the data."""
    if org_id is None:
        raise TenancyError("an organisation scope needs an organisation id")
    return _scoped(Scope(org_id=int(org_id)), session)


def system_scope(reason: str, session: Session | None = None):
    """The named escape hatch: see every organisation's rows, for ``reason``."""
    if not reason or not reason.strip():
        raise TenancyError("a system scope must say why it is needed")
    log.debug("entering system scope: %s", reason)
    return _scoped(Scope(system_reason=reason.strip()), session)


# --- the filter ---------------------------------------------------------------------------


def _names_scoped_model(state: ORMExecuteState) -> bool:
    mappers = list(state.all_mappers)
    if state.bind_mapper is not None:
        mappers.append(state.bind_mapper)
    return any(issubclass(m.class_, TenantScoped) for m in mappers)


def _apply_tenancy(state: ORMExecuteState) -> None:
    if state.is_column_load or not (state.is_select or state.is_update or state.is_delete):
        return
    scope: Scope | None = state.session.info.get(SCOPE_KEY)
    if scope is not None and scope.is_system:
        return
    if scope is None:
        if _names_scoped_model(state):
            raise TenancyError(
                "query on a tenant-scoped model outside any scope; use "
                "tenancy.as_organisation() or a named tenancy.system_scope()"
            )
        # Reached indirectly (a join, a lazy load): fail closed.
        state.statement = state.statement.options(
            with_loader_criteria(TenantScoped, lambda cls: sa.false(), include_aliases=True)
        )
        return
    # A bound parameter, not a Python value, so the lambda's cached SQL is shared by every
    # organisation and only the value changes per execution.
    org = sa.bindparam("engage_tenant_org_id", scope.org_id, type_=sa.Integer)
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantScoped, lambda cls: cls.tenant_criteria(org), include_aliases=True
        )
    )


def _check_writes(session: Session, flush_context: Any, instances: Any) -> None:
    """Every write happens in a scope (the audit trail names who acted), and an
    organisation writes its own private rows only."""
    scope: Scope | None = session.info.get(SCOPE_KEY)
    changed = list(session.new) + list(session.dirty) + list(session.deleted)
    if scope is None and changed:
        raise TenancyError(
            f"writing {type(changed[0]).__name__} outside any scope; use "
            "tenancy.as_organisation() or a named tenancy.system_scope()"
        )
    if scope is None or scope.is_system:
        return
    for obj in changed:
        owner_attr = getattr(type(obj), "__tenant_owner__", None)
        if not isinstance(obj, TenantScoped) or owner_attr is None:
            continue
        owner = getattr(obj, owner_attr)
        if owner is None and obj in session.new:
            setattr(obj, owner_attr, scope.org_id)
        elif owner != scope.org_id:
            raise TenancyError(
                f"organisation {scope.org_id} cannot write a {type(obj).__name__} "
                f"of organisation {owner}"
            )


def _push_to_database(connection: sa.Connection, scope: Scope | None) -> None:
    if connection.dialect.name != "postgresql":
        return
    connection.exec_driver_sql(
        "SELECT set_config('engage.org_id', %(org)s, true), "
        "set_config('engage.bypass', %(bypass)s, true)",
        {
            "org": "" if scope is None or scope.org_id is None else str(scope.org_id),
            "bypass": "on" if scope is not None and scope.is_system else "off",
        },
    )


def _begin(session: Session, transaction: Any, connection: sa.Connection) -> None:
    scope = session.info.get(SCOPE_KEY)
    # A transaction starts with the settings unset (set_config(..., true) ends with the
    # transaction that made it), which row-level security reads as "no organisation": with
    # no scope there is nothing to hand over, and each request saves a statement.
    if scope is not None:
        _push_to_database(connection, scope)


def listen(session_class: type) -> None:
    """Put the filter, the write check and the database hand-over on the app's sessions."""
    listen_once(session_class, "do_orm_execute", _apply_tenancy)
    listen_once(session_class, "before_flush", _check_writes)
    listen_once(session_class, "after_begin", _begin)


@contextmanager
def database_system_scope(reason: str, session: Session | None = None) -> Iterator[Session]:
    """Open the database's second lock (row-level security) for Core statements that write
    another organisation's private rows, e.g. a notification to it, while the ORM session
    keeps its organisation scope: switching that (``system_scope``) would flush and detach
    the caller's objects in the middle of its unit of work. Only for writes whose rows the
    caller builds itself; ORM queries inside stay filtered to the organisation."""
    sess = session_of(session)
    if not reason or not reason.strip():
        raise TenancyError("a system scope must say why it is needed")
    scope: Scope | None = sess.info.get(SCOPE_KEY)
    if scope is None:
        raise TenancyError("database_system_scope is for work inside a scope")
    if scope.is_system:
        yield sess
        return
    connection = sess.connection()
    _push_to_database(connection, Scope(system_reason=reason.strip()))
    yield sess  # on an error the transaction is rolled back, which resets the setting too
    _push_to_database(connection, scope)
