"""Rendered page fragments kept per process, exactly invalidated by a data generation.

The dashboard's sections and an engagement page's content cost tens of milliseconds of
statements, Python and Jinja each time, and mostly come out the same: people read far more
often than they write. A fragment is kept in this process's memory under a key of
everything it depends on, and served until a write anywhere changes the **generation**:

- ``render_generation`` holds one number. Every transaction that writes to a table a
  fragment may read (all tables but :data:`NEVER_INVALIDATE`) adds one to it **in the same
  transaction**, at commit. A reader reads the number *first* (engage.security reads it
  with the principal, in the request's first statement), then renders: what it renders is
  at least as new as the number it files it under, and a write that commits later moves
  every later reader to a new number. No page is stale after a
  write, whichever process made it, without any message between processes.
- Writes are seen where SQL is sent (the engine's ``before_cursor_execute``), so ORM
  flushes, bulk ``UPDATE``/``DELETE`` statements, ``INSERT … ON CONFLICT``, text SQL and
  Core statements on the session's connection all count. The number is raised in the
  session's ``before_commit`` (after a last flush) or, for a transaction committed on a
  connection directly, in the engine's ``commit`` event through the DBAPI cursor.
- The key always carries the organisation, the user, the principal's role, the locale, the
  time zone and today's date, besides what the page adds (an engagement id, a page number);
  so two organisations, or two people of one organisation, never share an entry.
- Per-session parts never enter a fragment: the layout (navigation, flash messages, the
  notification count) is drawn around it on every request, and a CSRF token inside a
  fragment is a placeholder replaced with the session's own token on the way out.

Writes made outside the application (psql, a restored backup, ``engage bench-data``'s
COPY) do not raise the number: the next write through Engage does, or a restart of the web
processes empties their caches (or ``UPDATE render_generation SET value = value + 1``). ``ENGAGE_RENDER_CACHE=0`` turns the cache off; ``ENGAGE_RENDER_CACHE_MB`` bounds
each process's memory for it (least recently used entries go first).
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import sqlalchemy as sa
from flask import current_app, g
from markupsafe import Markup

from engage.db import Base

render_generation = sa.Table(
    "render_generation", Base.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("value", sa.BigInteger, nullable=False),
)

# Tables whose writes change no cached fragment: no fragment reads them. Each is written on
# requests that only read (a session touched, a failed sign-in counted) or beside every
# write (the audit log); counting them would empty the cache for nothing.
#   user_session      server-side sessions: the layout's, never a fragment's
#   sign_in_failure   failed sign-ins (rate limiting), shown nowhere
#   audit_event       the audit log: its own page, never cached
#   api_token         last_used_at on every API call; the tokens page is not cached
#   render_generation this module's own number
NEVER_INVALIDATE = frozenset({
    "user_session", "sign_in_failure", "audit_event", "api_token", "render_generation",
})

_READS = ("SELECT", "SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT", "SET", "SHOW",
          "PRAGMA", "EXPLAIN", "VALUES", "RESET", "DISCARD")
_WRITE_TARGET = re.compile(
    r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+(?:"?\w+"?\.)?"?(\w+)"?',
    re.IGNORECASE)
_DIRTY = "engage.render_dirty"


def writes_cached_data(statement: str) -> bool:
    """Whether a SQL statement may change what a fragment shows: any statement but a read,
    unless it writes one of the tables in :data:`NEVER_INVALIDATE`. Statements it cannot
    read (a CTE, DDL, COPY) count as writes."""
    head = statement.lstrip()[:12].upper()
    if head.startswith(_READS):
        return False
    target = _WRITE_TARGET.match(statement)
    return not (target and target.group(1).lower() in NEVER_INVALIDATE)


# --- raising the generation ------------------------------------------------------------------

_BUMP = sa.update(render_generation).where(render_generation.c.id == 1).values(
    value=render_generation.c.value + 1)
_BUMP_SQL = "UPDATE render_generation SET value = value + 1 WHERE id = 1"
_READ = sa.select(render_generation.c.value).where(render_generation.c.id == 1)
# The same as a column: engage.security reads it with the principal, in the request's
# first statement (so a cached page costs no statement of its own).
GENERATION = _READ.scalar_subquery()


def _on_statement(conn, cursor, statement, parameters, context, executemany) -> None:
    if not conn.info.get(_DIRTY) and writes_cached_data(statement):
        conn.info[_DIRTY] = True


def _on_begin(conn) -> None:
    conn.info.pop(_DIRTY, None)


def _on_rollback(conn) -> None:
    conn.info.pop(_DIRTY, None)


def _on_engine_commit(conn) -> None:
    """A transaction committed on a connection without the session (the session's commits
    have raised the number already), e.g. a migration's: raise it on the DBAPI connection,
    which sends no event, just before the COMMIT; unless the table is not there yet (the
    migrations before the one that makes it)."""
    if conn.info.pop(_DIRTY, None):
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            cursor.execute(_EXISTS[conn.dialect.name])
            if cursor.fetchone()[0]:
                cursor.execute(_BUMP_SQL)
        finally:
            cursor.close()


_EXISTS = {
    "postgresql": "SELECT to_regclass('render_generation') IS NOT NULL",
    "sqlite": "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
              " AND name = 'render_generation'",
}


_WROTE = "engage.render_wrote"


def _before_session_commit(session) -> None:
    if session.get_transaction() is None:
        return
    session.flush()  # what the commit would flush: seen now, so counted now
    conn = session.connection()
    if conn.info.pop(_DIRTY, None):
        conn.execute(_BUMP)
        session.info[_WROTE] = True


def uncommitted_writes(session) -> bool:
    """Whether the session's transaction has written what a fragment may show: it then
    reads its own writes, which no other transaction sees yet, so it neither uses nor
    fills the cache."""
    return session.get_transaction() is not None and bool(
        session.connection().info.get(_DIRTY))


def has_written(session) -> bool:
    """Whether the session has written what a page may show, committed or not: what was
    read before (the principal's statement) may be out of date for it."""
    return bool(session.info.get(_WROTE)) or uncommitted_writes(session)


def listen_engine(engine: sa.Engine) -> None:
    for name, fn in (("before_cursor_execute", _on_statement), ("begin", _on_begin),
                     ("rollback", _on_rollback), ("commit", _on_engine_commit)):
        if not sa.event.contains(engine, name, fn):
            sa.event.listen(engine, name, fn)


def listen_session(session_class: type) -> None:
    from engage.db import listen_once

    listen_once(session_class, "before_commit", _before_session_commit)


def generation(session) -> int | None:
    return session.scalar(_READ)


# --- the cache -------------------------------------------------------------------------------

class FragmentCache:
    """A bounded LRU of rendered fragments of one generation, shared by a process's threads.
    Entries of another generation are never served: the first reader of a new number empties
    the cache (a number only grows, but a database restored from a backup may go back)."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.generation: int | None = None
        self._entries: OrderedDict[Hashable, str] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, gen: int, key: Hashable) -> str | None:
        with self._lock:
            if gen != self.generation:
                self._clear(gen)
                self.misses += 1
                return None
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found

    def put(self, gen: int, key: Hashable, text: str) -> None:
        size = len(text)
        if size > self.max_bytes:
            return
        with self._lock:
            if gen != self.generation:
                return  # a newer number was seen meanwhile: this text may be older
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old)
            self._entries[key] = text
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._clear(None)

    def _clear(self, gen: int | None) -> None:
        self._entries.clear()
        self._bytes = 0
        self.generation = gen

    def __len__(self) -> int:
        return len(self._entries)


def init_app(app) -> None:
    app.extensions["engage.render_cache"] = FragmentCache(
        int(app.config["ENGAGE_RENDER_CACHE_MB"] * 1024 * 1024))
    app.before_request(_forget_writes)


def _forget_writes() -> None:
    """A request starts having written nothing (see :func:`has_written`), even where its
    session outlives one request (tests share one)."""
    from engage.extensions import db

    db.session().info.pop(_WROTE, None)


def cache_of(app=None) -> FragmentCache:
    return (app or current_app).extensions["engage.render_cache"]


_CSRF_FIELD = "csrf_token"


def _usable_generation() -> int | None:
    """The generation to file entries under, or None when this request neither uses nor
    fills the cache (switched off, a transaction that has written, a database without the
    number)."""
    if not current_app.config["ENGAGE_RENDER_CACHE"]:
        return None
    from engage.extensions import db

    if uncommitted_writes(db.session()):
        return None
    from engage.security import current_principal

    gen = current_principal.render_generation
    if gen is None:
        gen = generation(db.session)
    return gen


def fragment(name: str, key: tuple, render: Callable[[], str]) -> Markup:
    """The fragment ``name`` for ``key`` (what the page adds to the standard key: see the
    module's docstring), from the cache or from ``render()`` (which reads and renders)."""
    gen = _usable_generation()
    if gen is None:
        return Markup(render())
    cache = cache_of()
    full_key = (name, *standard_key(), *key)
    text = cache.get(gen, full_key)
    if text is None:
        text = _render_without_token(render)
        cache.put(gen, full_key, text)
    return Markup(_with_token(text))


def text(name: str, key: tuple, compute: Callable[[], str]) -> str:
    """A computed text that holds no CSRF token (an API answer's JSON body) for ``key``,
    from the cache or from ``compute()``. A principal speaking through an API token adds
    the token's scope to the standard key (its role is already capped by it)."""
    gen = _usable_generation()
    if gen is None:
        return compute()
    from engage.security import current_principal

    token = current_principal.token
    full_key = (name, *standard_key(), getattr(token, "scope", None), *key)
    cache = cache_of()
    found = cache.get(gen, full_key)
    if found is None:
        found = compute()
        cache.put(gen, full_key, found)
    return found


def value(name: str, key: tuple, compute: Callable[[], Any]) -> Any:
    """A value made of JSON's types (lists, strings, numbers), e.g. a list's filter choices
    read on every request, through :func:`text`: a list comes back for a tuple."""
    return json.loads(text(name, key, lambda: json.dumps(compute())))


# --- whole pages: the content block of a page template ----------------------------------------
#
# A page template extends base.html, whose layout (navigation, notification count, flash
# messages, CSRF meta tag) is the session's and drawn on every request. Its ``content``
# block is what the data decides: drawn once between two marks, kept, and on the next
# request put where the block would be (base.html prints ``g.engage_content`` instead of
# drawing the block). A fragment template (its name starts with ``_``: an htmx answer)
# has no layout and is kept whole.

_CONTENT_MARK = "engage-content-" + secrets.token_hex(16)


def page(name: str, key: tuple, template: str, draw: Callable[[], str],
         **layout: Any) -> str:
    """``template`` as ``draw()`` renders it (it reads the data and calls render_template),
    its content block from the cache for ``(name, standard key, template, *key)``. On a
    hit the template is rendered with ``layout`` only (what its title needs): its content
    block is not drawn, so ``draw`` and its statements are skipped."""
    gen = _usable_generation()
    if gen is None:
        return draw()
    cache = cache_of()
    full_key = (name, *standard_key(), template, *key)
    whole = template.rpartition("/")[2].startswith("_")
    text = cache.get(gen, full_key)
    if text is not None:
        if whole:
            return _with_token(text)
        from flask import render_template

        g.engage_content = Markup(_with_token(text))
        try:
            return render_template(template, **layout)
        finally:
            g.pop("engage_content", None)
    if whole:
        text = _render_without_token(draw)
        cache.put(gen, full_key, text)
        return _with_token(text)
    g.engage_content_mark = _CONTENT_MARK
    try:
        drawn = _render_without_token(draw)
    finally:
        g.pop("engage_content_mark", None)
    before, mark, rest = drawn.partition(_CONTENT_MARK)
    content, mark_again, after = rest.partition(_CONTENT_MARK)
    if not (mark and mark_again):  # not a page of base.html after all: nothing kept
        return _with_token(drawn)
    cache.put(gen, full_key, content)
    return _with_token(before + content + after)


def standard_key() -> tuple[Any, ...]:
    from flask_babel import get_locale, get_timezone

    from engage import clock
    from engage.security import current_org, current_principal, current_user

    return (current_org.id, current_user.id, str(current_principal.role), str(get_locale()),
            str(get_timezone()), clock.today().isoformat())


# A CSRF token inside a fragment is the session's own: the fragment is drawn with a
# placeholder (Flask-WTF's generate_csrf returns the token it keeps on ``g``), which is
# replaced with the real token each time the fragment is served.
_PLACEHOLDER = "engage-csrf-" + secrets.token_hex(16)


def _render_without_token(render: Callable[[], str]) -> str:
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", _CSRF_FIELD)
    saved = g.pop(field, None)
    setattr(g, field, _PLACEHOLDER)
    try:
        return str(render())
    finally:
        g.pop(field, None)
        if saved is not None:
            setattr(g, field, saved)


def _with_token(text: str) -> str:
    if _PLACEHOLDER not in text:
        return text
    from flask_wtf.csrf import generate_csrf

    return text.replace(_PLACEHOLDER, generate_csrf())


def listed(listing: Any, number: int, draw: Callable[[str], str]) -> Callable[[str], str]:
    """A list page's ``draw(template)`` (engage.common.listing.answer calls it with the page
    or its rows' template) through the cache. The list's clean arguments, the messages for
    the ones it ignored and the page number are all the request adds to what it shows;
    ``draw`` reads the list and renders, so a hit sends none of its statements."""
    key = (number, tuple(sorted(listing.args.items())), tuple(map(str, listing.errors)))
    return lambda template: page(f"list:{listing.endpoint}", key, template,
                                 lambda: draw(template))
