"""What every feature's write path shares: an error that names the fields at fault, and one
unit of work that commits or rolls back as a whole."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from flask_babel import gettext as _

from engage.extensions import db

T = TypeVar("T")


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
