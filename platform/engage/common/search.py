"""Text search and ordering for the lists.

Names are compared as people read them: "Altria" before "ATLANTIA", "Électricité" among
the E's, "ærø" found by "aero". Databases disagree on that (SQLite's ``lower()`` knows ASCII
only, PostgreSQL's collations depend on the server's locale), so the names a list sorts or
searches by keep a folded copy (:func:`fold`) beside them, written in Python whenever the
name is (:func:`folded_default`, :func:`keep_folded`), indexed, and compared byte for byte
on both databases.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import validates

MAX_QUERY = 100  # characters of a search text that count
KEY_LENGTH = 400  # a folded name may be longer than the name ("æ" is "ae")

# Letters that are not a base letter plus marks, so NFKD leaves them whole.
_LETTERS = str.maketrans({"æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "ð": "d",
                          "þ": "th", "ı": "i", "ŀ": "l", "ħ": "h", "ŧ": "t"})


def fold(text: str | None) -> str:
    """``text`` for comparing: case folded, accents and other marks removed, compatibility
    forms spelled out (Ærø → aero, Électricité → electricite, ATLANTIA → atlantia)."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.translate(_LETTERS)[:KEY_LENGTH]


def folded_default(source: str):
    """A column default that folds ``source`` of the same INSERT, ORM or Core alike."""
    def default(context: Any) -> str:
        return fold(context.get_current_parameters().get(source))
    return default


def keep_folded(source: str, key: str):
    """A model validator: setting ``source`` on an object sets its folded ``key`` too (an
    UPDATE written in Core must set the key itself, as the imports do)."""
    @validates(source)
    def _validate(self: Any, _name: str, value: Any) -> Any:
        setattr(self, key, fold(value))
        return value
    return _validate


def _pattern(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def query_text(text: str | None) -> str:
    return (text or "").strip()[:MAX_QUERY]


def matches(text: str | None, *columns: sa.ColumnElement) -> sa.ColumnElement[bool] | None:
    """Rows where any of ``columns`` contains ``text`` literally (``%`` and ``_`` are not
    wildcards), ignoring case; None when there is nothing to search for."""
    text = query_text(text).lower()
    if not text:
        return None
    pattern = _pattern(text)
    return sa.or_(*(sa.func.lower(column).like(pattern, escape="\\") for column in columns))


def matches_folded(text: str | None, *keys: sa.ColumnElement,
                   plain: tuple[sa.ColumnElement, ...] = ()) -> sa.ColumnElement[bool] | None:
    """Rows where a folded ``keys`` column contains ``text`` folded (case and accents
    ignored), or one of the ``plain`` columns contains it ignoring case (identifiers such as
    an ISIN); None when there is nothing to search for."""
    text = query_text(text)
    if not fold(text):
        return None
    folded = _pattern(fold(text))
    clauses = [key.like(folded, escape="\\") for key in keys]
    clauses += [sa.func.lower(column).like(_pattern(text.lower()), escape="\\")
                for column in plain]
    return sa.or_(*clauses)
