"""What every list page shares: its filters and order, read from the query string.

A list's URL says what it shows (``/engagements?initiative=3&overdue=1&sort=-severity``), so
a filtered list can be bookmarked, shared and reached again with the back button, with or
without JavaScript. :func:`read` turns the arguments into clean values; a value that is not
one of the filter's choices (a stale bookmark, a hand-edited URL) is ignored and named in a
message on the page, never passed to the database. The sort is one of the list's named
orders, ``-`` in front for the other direction.

Templates draw the form and the column headers with ``templates/_listing.html``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Response, make_response, redirect, request, url_for
from flask_babel import gettext as _

from engage.common.bounds import ID_MAX, whole_number
from engage.common.search import MAX_QUERY
from engage.extensions import htmx


@dataclass(frozen=True)
class Filter:
    """One argument of a list's query string.

    ``kind``: "text" (free text, cut to MAX_QUERY), "choice" (one of ``choices``), "id" (a
    whole number from 1 to ID_MAX), "number" (from ``low`` to ``high``) or "flag" (``1``).
    """

    name: str
    label: Any
    kind: str = "choice"
    choices: Iterable[str] = ()
    low: int = 1
    high: int = ID_MAX

    def clean(self, raw: str) -> tuple[Any, str | None]:
        """(value, None), or (None, why it was ignored)."""
        if self.kind == "text":
            return raw.strip()[:MAX_QUERY], None
        if self.kind == "flag":
            if raw == "1":
                return True, None
        elif self.kind in ("id", "number"):
            number = whole_number(raw)
            if number is not None and self.low <= number <= self.high:
                return number, None
            return None, _("“%(label)s” must be a whole number from %(low)d to %(high)d; "
                           "the filter was ignored.", label=self.label, low=self.low,
                           high=self.high)
        elif raw in set(self.choices):
            return raw, None
        return None, _("“%(value)s” is not a choice of “%(label)s”; the filter was ignored.",
                       value=raw[:40], label=self.label)


@dataclass(frozen=True)
class Order:
    """A named order: the columns for ascending (``desc`` flips each), the id last. A list's
    usual order, made of its own directions, is not ``reversible``."""

    label: Any
    columns: Callable[[], tuple[sa.ColumnElement, ...]]
    reversible: bool = True


@dataclass
class Listing:
    """The clean filters and order of one request to a list."""

    endpoint: str
    values: dict[str, Any] = field(default_factory=dict)
    args: dict[str, str] = field(default_factory=dict)  # the valid arguments, as given
    sort: str = ""
    descending: bool = False
    default_sort: str = ""
    errors: list[str] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        # Filters read as attributes in views and templates; an absent one is None.
        if name.startswith("_") or name in ("values", "args"):
            raise AttributeError(name)
        return self.values.get(name)

    @property
    def filtered(self) -> bool:
        """A filter narrows the list (the order alone does not)."""
        return any(key not in ("sort",) for key in self.args)

    def link_args(self, **changes: Any) -> dict[str, Any]:
        """The list's arguments with ``changes`` (None drops one): for links and the pager."""
        merged: dict[str, Any] = {**self.args, **changes}
        return {k: v for k, v in merged.items() if v not in (None, "")}

    def sort_args(self, key: str) -> dict[str, Any]:
        """The header link of ``key``: that order, the other direction when it is the one
        shown; back to page 1."""
        if key == self.sort:
            value = key if self.descending else f"-{key}"
        else:
            value = key
        return self.link_args(sort=None if value == self.default_sort else value, page=None)

    def aria_sort(self, key: str) -> str:
        if key != self.sort:
            return "none"
        return "descending" if self.descending else "ascending"

    def order_by(self, orders: Mapping[str, Order], tiebreak: sa.ColumnElement) -> list[Any]:
        columns = orders[self.sort].columns()
        if self.descending:
            columns = tuple(c.desc() for c in columns)
            tiebreak = tiebreak.desc()
        return [*columns, tiebreak]


def read(endpoint: str, args: Mapping[str, str], filters: Iterable[Filter],
         orders: Mapping[str, Order], default_sort: str) -> Listing:
    """The list's filters and order from ``args`` (request.args): clean values, and a
    message for each argument that was ignored."""
    listing = Listing(endpoint=endpoint, sort=default_sort.lstrip("-"),
                      descending=default_sort.startswith("-"), default_sort=default_sort)
    for spec in filters:
        raw = args.get(spec.name, "")
        if raw == "":
            continue
        value, error = spec.clean(raw)
        if error:
            listing.errors.append(error)
        elif value not in ("", None):
            listing.values[spec.name] = value
            listing.args[spec.name] = "1" if value is True else str(value)
    sort = args.get("sort", "")
    if sort:
        key = sort[1:] if sort.startswith("-") else sort
        if key in orders and (orders[key].reversible or not sort.startswith("-")):
            listing.sort, listing.descending = key, sort.startswith("-")
            if sort != default_sort:
                listing.args["sort"] = sort
        else:
            listing.errors.append(_("The list cannot be sorted by “%(value)s”; it is shown "
                                    "in its usual order.", value=sort[:40]))
    return listing


def wants_rows() -> bool:
    """An htmx request for the list's rows (not htmx restoring a whole page from history)."""
    return bool(htmx) and not htmx.history_restore_request


def answer(listing: Listing, page: int, draw: Callable[[str], str], page_template: str,
           rows_template: str) -> Response:
    """The list page, or its rows for htmx, at the list's tidy URL.

    A GET form sends its empty fields too (``?q=&status=&initiative=3``); the URL kept in
    the address bar and in the history is the tidy one (``?initiative=3``): a redirect
    without JavaScript, ``HX-Push-Url`` with htmx. A URL with an ignored value stays as it
    is, so its message shows. The same list asked for again (a box ticked, which applies
    the filter, then "Filter" pressed) replaces the history entry rather than adding a
    second one the Back button would seem to ignore."""
    tidy = url_for(listing.endpoint, **listing.link_args(page=page if page > 1 else None))
    untidy = any(value == "" for value in request.args.values())
    if untidy and not listing.errors and not wants_rows():
        return redirect(tidy)
    response = make_response(draw(rows_template if wants_rows() else page_template))
    response.headers["Vary"] = "HX-Request"
    if wants_rows() and not listing.errors:
        shown = urlsplit(htmx.current_url or "")
        here = shown.path + (f"?{shown.query}" if shown.query else "")
        response.headers["HX-Replace-Url" if here == tidy else "HX-Push-Url"] = tidy
    return response

