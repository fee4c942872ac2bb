"""One way to answer a write from an HTML form, with or without htmx.

A view says what to write and how to draw each outcome; :func:`answer_write` runs the write
as one unit of work (:func:`engage.common.forms.run_unit`) and picks the answer:

============  ==========================================  ===================================
outcome       htmx request                                browser without JavaScript
============  ==========================================  ===================================
bad input     ``fragment(errors)``, 400 (the form again,   ``page(errors)``, 400 (the page
              with its messages and the values typed)      again, the values typed kept)
done          ``done(result)``, 200 (the changed part);    ``message`` flashed, 303 to
              without ``done``: ``message`` flashed and    ``redirect_to(result)``
              the page loads ``redirect_to`` (or reloads)
============  ==========================================  ===================================

The renderers get only what they need (the errors, or what was written), so each fragment
builds its own small context instead of the whole page's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import flash, redirect

from engage.common.forms import run_unit
from engage.extensions import htmx

T = TypeVar("T")

Errors = dict[str, str]


def answer_write(
    write: Callable[[], T],
    *,
    page: Callable[[Errors], Any],
    redirect_to: Callable[[T], str],
    fragment: Callable[[Errors], Any] | None = None,
    done: Callable[[T], Any] | None = None,
    message: str | Callable[[T], str] | None = None,
    refresh: bool = False,
) -> Any:
    """Run ``write`` (commit, or roll back on a FormError) and answer as the table above.

    Without ``fragment``, an htmx request with bad input is told to reload the page, with the
    messages flashed (small inline buttons have no form to show them in). ``refresh`` makes a
    successful htmx request reload the page instead of going to ``redirect_to``.
    """
    result, errors = run_unit(write)
    if errors:
        if not htmx:
            return page(errors), 400
        if fragment is not None:
            return fragment(errors), 400
        for text in errors.values():
            flash(text, "error")
        return "", 400, {"HX-Refresh": "true"}
    if htmx and done is not None:
        return done(result)
    if message is not None:
        flash(message(result) if callable(message) else message, "info")
    target = redirect_to(result)
    if htmx:
        return "", 204, ({"HX-Refresh": "true"} if refresh else {"HX-Redirect": target})
    return redirect(target, 303)
