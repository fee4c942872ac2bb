"""Numbers and dates a visitor chose, held to what Python and both databases can take.

Ids in URLs, ``?page=``, and numbers and dates in forms arrive as text. ``int()`` reads
"٣" (an Arabic-Indic three), "1_000" and " 7 "; SQLite refuses integers past 2**63 and no
id column holds one past 2**31; a period ending on 9999-12-31 overflows as soon as a day is
added; PostgreSQL text cannot hold a NUL character. Each of those was a 500. Here they
become a 404 (a URL that names nothing) or a 400 that names the field — the same rule the
API applies (``api/fields.py``).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import Flask, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

INT64_MAX = 2**63 - 1
ID_MAX = 2**31 - 1  # the id columns (PostgreSQL integer)
# The dates Engage keeps: wide enough for any engagement, narrow enough that adding a year
# or a day never leaves the calendar Python and the databases share.
DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(2999, 12, 31)
# ASCII digits only: \d and str.isdigit() take digits of every script.
_WHOLE = re.compile(r"[+-]?[0-9]{1,19}")


def whole_number(value: Any) -> int | None:
    """``value`` as an int if it is one written plainly — ASCII digits and an optional
    sign, no spaces, underscores, decimals or exponent — within signed 64 bits; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _WHOLE.fullmatch(value):
        number = int(value)
    else:
        return None
    return number if -INT64_MAX - 1 <= number <= INT64_MAX else None


def in_range(day: date) -> bool:
    return DATE_MIN <= day <= DATE_MAX


def date_range_message() -> str:
    return _("Choose a date from %(first)s to %(last)s.", first=DATE_MIN.isoformat(),
             last=DATE_MAX.isoformat())


class IdConverter(IntegerConverter):
    """The app's ``<int:…>``: ASCII digits up to :data:`ID_MAX`. Anything else (a sign,
    another script's digits, 2**63) matches no route: a 404, as for an id that names
    nothing."""

    regex = r"[0-9]{1,19}"
    signed_regex = r"-?[0-9]{1,19}"

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = ID_MAX, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def query_int(name: str, *, default: int, low: int, high: int) -> int:
    """``?name=`` as a whole number from ``low`` to ``high``; ``default`` when absent or
    empty; anything else is a 400 that says what the argument must be."""
    raw = request.args.get(name, "")
    if raw == "":
        return default
    number = whole_number(raw)
    if number is None or not low <= number <= high:
        raise BadRequest(description=_("“%(name)s” must be a whole number from %(low)d to "
                                       "%(high)d.", name=name, low=low, high=high))
    return number


def refuse_nul() -> None:
    """PostgreSQL text cannot hold NUL, so a NUL in a query or form value failed in the
    database (a 500). Pages refuse it here; the API refuses it per field (api/fields.py)."""
    if request.path.startswith("/api/"):
        return
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            if "\x00" in key or "\x00" in value:
                raise BadRequest(description=_("The request contains a NUL character, which "
                                               "Engage does not accept."))


def init_app(app: Flask) -> None:
    """Before any blueprint: rules pick their converter when they are added."""
    app.url_map.converters["int"] = IdConverter
