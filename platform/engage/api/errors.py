"""One error format for the whole API: RFC 9457 ``application/problem+json``.

Every refusal, whatever raised it (a bad header, a viewer's write, a validation error, a
missing object, an unknown URL under ``/api/``), answers with ``status``, ``title``,
``detail`` and, for bad input, ``errors``: field name -> list of messages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, json, request
from werkzeug.exceptions import HTTPException

PROBLEM = "application/problem+json"
API_PREFIX = "/api/"
T = TypeVar("T")

_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    429: "Too many requests",
    500: "Internal server error",
}
_DEFAULT_DETAIL = {
    401: "Send an organisation API token as 'Authorization: Bearer eng_…', or sign in.",
    403: "You are not allowed to do this.",
    404: "There is nothing here, or it is not shared with your organisation.",
    405: "This address does not accept that method.",
    429: "Too many requests from this address in a short time; wait for Retry-After seconds.",
    500: "The error has been logged.",
}


class ApiError(HTTPException):
    """An API refusal with a reason and, for bad input, the messages per field."""

    def __init__(self, status: int, detail: str, errors: dict[str, Any] | None = None):
        super().__init__(description=detail)
        self.code = status
        self.errors = errors


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def flatten(messages: Any) -> dict[str, list[str]]:
    """marshmallow's nested messages as ``{"field.sub": [message, ...]}``."""
    out: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                name = "" if key == "_schema" else str(key)
                walk(f"{prefix}.{name}".strip(".") if name else prefix, sub)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(prefix, item)
        else:
            out.setdefault(prefix or "_", []).append(str(value))

    walk("", messages)
    return out


def problem(status: int, detail: str | None = None, errors: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "status": status,
        "title": _TITLES.get(status, "Error"),
        "detail": detail or _DEFAULT_DETAIL.get(status, _TITLES.get(status, "Error")),
    }
    if errors:
        body["errors"] = flatten(errors)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="engage"'
    return response


def from_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    detail = exc.description if exc.description != type(exc).description else None
    headers = {}
    if status == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)
    headers.update(retry_after(exc))
    return problem(status, detail, getattr(exc, "errors", None), headers)


def retry_after(exc: HTTPException) -> dict[str, str]:
    """The exception's own Retry-After (a 429 or 503 that knows when to come back)."""
    return {name: value for name, value in exc.get_headers() if name == "Retry-After"}


def service_error(exc: Exception, status: int = 400) -> ApiError:
    """A feature's error (``.errors``: field -> message, "" for the whole request) as a
    problem; the service raised it before writing anything."""
    errors = {key or "_": [str(message)] for key, message in
              (getattr(exc, "errors", None) or {}).items()}
    return ApiError(status, str(exc), errors or None)


def commit_unit(write: Callable[[], T], *, conflicts: tuple[type[Exception], ...] = ()) -> T:
    """Run one API write as a unit of work: commit it, or roll it back and answer with a
    problem — 409 for the ``conflicts`` given, 400 with the fields for a feature's
    FormError, 409 when a unique key was lost to a concurrent request."""
    import sqlalchemy as sa

    from engage.common.forms import FormError
    from engage.extensions import db

    try:
        result = write()
        db.session.commit()
        return result
    except conflicts as exc:
        db.session.rollback()
        raise ApiError(409, str(exc)) from None
    except FormError as exc:
        db.session.rollback()
        raise service_error(exc) from None
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise ApiError(409, "This was done already, perhaps by another request just now.") from None
