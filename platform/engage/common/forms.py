"""What every feature's write path shares: an error that names the fields at fault, one unit
of work that commits or rolls back as a whole, and the one vocabulary that reads form values.

The ``parse_*`` functions read one submitted value, record a message under the field's name
in ``errors`` when it is wrong (so a form shows every mistake at once) and return the value,
or None. Every feature uses them, so the same mistake reads the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date
from typing import Any, TypeVar

import sqlalchemy as sa
from flask_babel import gettext as _

from engage.common.bounds import ID_MAX, date_range_message, in_range, whole_number
from engage.extensions import db

T = TypeVar("T")

TEXT_MAX = 20_000


class FormError(ValueError):
    """The request cannot be carried out as given; nothing was written.

    ``errors`` maps a form field to its message ("" for a message about the whole request).
    Each feature raises its own subclass (EngagementError, VoteError, ...).
    """

    def __init__(self, errors: dict[str, str] | str) -> None:
        self.errors = {"": errors} if isinstance(errors, str) else dict(errors)
        super().__init__("; ".join(f"{k}: {v}" if k else str(v) for k, v in self.errors.items()))


def run_unit(write: Callable[[], T]) -> tuple[T | None, dict[str, str]]:
    """Run one unit of work: commit on success; on a FormError (or a unique key lost to a
    concurrent request) roll back and return the messages instead."""
    try:
        result = write()
        db.session.commit()
        return result, {}
    except FormError as exc:
        db.session.rollback()
        return None, exc.errors
    except sa.exc.IntegrityError:
        # A unique key won a race (a second co-signature at the same moment, say).
        db.session.rollback()
        return None, {"": _("This was done already, perhaps by someone else just now.")}


# --- the vocabulary: one message for one mistake -------------------------------------------


def parse_date(value: Any, field: str, errors: dict[str, str], *, required: bool = True) -> date | None:
    """A date given as YYYY-MM-DD (or a ``date``); None when absent."""
    if isinstance(value, date):
        return value
    value = (value or "").strip() if isinstance(value, str) else value
    if not value:
        if required:
            errors[field] = _("Give a date.")
        return None
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        errors[field] = _("“%(value)s” is not a date (use YYYY-MM-DD).", value=str(value)[:40])
        return None
    if not in_range(day):  # 9999-12-31 would overflow at the first day added
        errors[field] = date_range_message()
        return None
    return day


def parse_int(value: Any, field: str, errors: dict[str, str], *, low: int = 1, high: int = ID_MAX,
              required: bool = True) -> int | None:
    """A whole number from ``low`` to ``high`` (by default: an id); None when absent."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[field] = _("Choose a number from %(low)d to %(high)d.", low=low, high=high)
        return None
    # ASCII digits within 64 bits only: int() also reads "٣", "1_000" and " 7 ".
    number = whole_number(value.strip() if isinstance(value, str) else value)
    if number is None:
        errors[field] = _("“%(value)s” is not a whole number.", value=str(value)[:40])
        return None
    if not low <= number <= high:
        errors[field] = _("Choose a number from %(low)d to %(high)d.", low=low, high=high)
        return None
    return number


def parse_text(value: Any, field: str, errors: dict[str, str], *, max_length: int = TEXT_MAX,
               required: bool = False) -> str:
    """The text without surrounding white space ("" when absent)."""
    text = (value or "").strip() if isinstance(value, str) else ("" if value is None else str(value))
    if required and not text:
        errors[field] = _("This cannot be empty.")
    elif len(text) > max_length:
        errors[field] = _("At most %(num)d characters (%(given)d given).", num=max_length,
                          given=len(text))
    return text


def parse_choice(value: Any, enum_cls: type, field: str, errors: dict[str, str], *,
                 default: Any = None, allowed: Collection[Any] | None = None) -> Any:
    """One of ``enum_cls``'s values (of ``allowed`` when given); ``default`` when absent
    (no default: the choice is required)."""
    if value is None or value == "":
        if default is None:
            errors[field] = _("Choose one of the options.")
        return default
    try:
        choice = enum_cls(value)
    except ValueError:
        choice = None
    if choice is None or (allowed is not None and choice not in allowed):
        errors[field] = _("“%(value)s” is not one of the options.", value=value)
        return default
    return choice
