"""Error pages: what went wrong, in words, and never a stack trace or another
organisation's secret."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engage.api.errors import from_http_exception as api_problem
from engage.api.errors import is_api_request, retry_after


def _titles() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Bad request"), _("The request could not be understood.")),
        401: (_("Sign in required"), _("You need to sign in to do this.")),
        403: (_("Not allowed"), _("You are not allowed to do this.")),
        404: (_("Not found"), _("There is nothing here, or it is not shared with your organisation.")),
        405: (_("Not allowed"), _("This address does not accept that kind of request.")),
        429: (_("Too many requests"), _("Too many requests from your address in a short time. "
                                        "Please wait a little and try again.")),
        500: (_("Something went wrong"), _("The error has been logged. Please try again.")),
    }


def _page(status: int, reason: str | None = None, headers: dict[str, str] | None = None):
    title, default = _titles().get(status, (_("Error"), ""))
    return (render_template("errors/error.html", title=title, reason=reason or default),
            status, headers or {})


def init_app(app: Flask) -> None:
    @app.after_request
    def _vary(response):
        # One URL answers with a page or an htmx fragment: caches must keep them apart.
        response.vary.add("HX-Request")
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        if is_api_request():
            return api_problem(exc)
        return _page(400, _("The form expired or did not come from Engage (CSRF check "
                            "failed). Reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        if is_api_request():  # the API answers in one format, application/problem+json
            return api_problem(exc)
        # Werkzeug's default 404 text would say nothing useful; keep ours unless a view
        # gave its own reason.
        reason = exc.description if exc.description != type(exc).description else None
        return _page(exc.code, reason, retry_after(exc))
