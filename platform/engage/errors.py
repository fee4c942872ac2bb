"""Error pages: what went wrong, in words, and never a stack trace or another
organisation's secret."""

from __future__ import annotations

from flask import Flask, current_app, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from engage.api.errors import from_http_exception as api_problem
from engage.api.errors import is_api_request, retry_after


def _titles() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Bad request"), _("The request could not be understood.")),
        401: (_("Sign in required"), _("You need to sign in to do this.")),
        403: (_("Not allowed"), _("You are not allowed to do this.")),
        404: (_("Not found"), _("There is nothing here, or it is not shared with your organisation.")),
        405: (_("Not allowed"), _("This address does not accept that kind of request.")),
        413: (_("File too large"), ""),
        429: (_("Too many requests"), _("Too many requests from your address in a short time. "
                                        "Please wait a little and try again.")),
        500: (_("Something went wrong"), _("The error has been logged. Please try again.")),
    }


def upload_limit_mb() -> int:
    return current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)


def refuse_large_bodies() -> None:
    """A body larger than the upload limit is refused before anything reads it. (A body
    without a Content-Length is cut off by Werkzeug at the same limit.)"""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge(description=(
            f"The request is larger than {upload_limit_mb()} MB, the most Engage accepts."))


def _page(status: int, reason: str | None = None, headers: dict[str, str] | None = None):
    title, default = _titles().get(status, (_("Error"), ""))
    return (render_template("errors/error.html", title=title, reason=reason or default),
            status, headers or {})


def init_app(app: Flask) -> None:
    # After the principal is known (an anonymous write is refused with 401 unread), before
    # any view reads the body; the CSRF check's form parsing stops at the same limit.
    app.before_request(refuse_large_bodies)

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
        if exc.code == 413:
            return _page(413, _("The upload is larger than %(size)d MB, the most Engage "
                                "accepts. Split the file and upload the parts one by one.",
                                size=upload_limit_mb()))
        # Werkzeug's default 404 text would say nothing useful; keep ours unless a view
        # gave its own reason.
        reason = exc.description if exc.description != type(exc).description else None
        return _page(exc.code, reason, retry_after(exc))
