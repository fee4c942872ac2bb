"""Text search for the lists: a case-insensitive "contains" over some columns."""

from __future__ import annotations

import sqlalchemy as sa

MAX_QUERY = 100  # characters of a search text that count


def matches(text: str | None, *columns: sa.ColumnElement) -> sa.ColumnElement[bool] | None:
    """Rows where any of ``columns`` contains ``text`` literally (``%`` and ``_`` are not
    wildcards), ignoring case; None when there is nothing to search for."""
    text = (text or "").strip()[:MAX_QUERY].lower()
    if not text:
        return None
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return sa.or_(*(sa.func.lower(column).like(pattern, escape="\\") for column in columns))
