"""Security headers on every response (pages, fragments, errors, static files, the API),
in development as in production, set in this one place.

The Content-Security-Policy allows scripts, styles, images and connections from Engage
itself and nothing inline: no ``<script>`` blocks, no ``on…=`` or ``hx-on`` attributes, no
``style=""``, no ``eval`` (htmx runs with ``allowEval`` off and without its injected
indicator style; see ``templates/base.html``). ``form-action 'self'`` holds for the
redirects after a form too, which is why signing in and out continue to the identity
provider from a page of ours (``auth/continue.html``) rather than by a redirect. A view
that needs more (the API reference: Swagger UI's inline SVG icons are ``data:`` images)
names the extra sources with :func:`policy`.

Written by hand rather than through Flask-Talisman: the header set is fixed strings, the
one per-view difference is a decorator, and HTTPS redirects and cookie flags already have
their own settings (``ENGAGE_SECURE_COOKIES``, the reverse proxy).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, request

F = TypeVar("F", bound=Callable[..., Any])

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Our URLs name engagements and companies: other sites learn nothing from a link.
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "accelerometer=(), camera=(), geolocation=(), gyroscope=(), "
                          "magnetometer=(), microphone=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=63072000; includeSubDomains"  # two years; production only (HTTPS there)


def policy(**extra: str) -> Callable[[F], F]:
    """Allow a view more sources than :data:`CSP`, e.g. ``@policy(img_src="data:")``."""

    def decorate(view: F) -> F:
        view.engage_csp = {name.replace("_", "-"): value for name, value in extra.items()}  # type: ignore[attr-defined]
        return view

    return decorate


def content_security_policy(extra: dict[str, str] | None = None) -> str:
    if not extra:
        return _DEFAULT_POLICY
    directives = dict(CSP)
    for name, value in extra.items():
        directives[name] = f"{directives.get(name, '')} {value}".strip()
    return "; ".join(f"{name} {value}" for name, value in directives.items())


# Every response but the few with a @policy carries this one string: joined once, not per response.
_DEFAULT_POLICY = "; ".join(f"{name} {value}" for name, value in CSP.items())


def _view_extra() -> dict[str, str] | None:
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    return getattr(view, "engage_csp", None)


def harden(response: Response, config: Any, extra: dict[str, str] | None = None) -> Response:
    """Add the headers to ``response`` (kept where a view set its own). Also for answers
    given before Flask dispatches (the trusted-host check)."""
    response.headers.setdefault("Content-Security-Policy", content_security_policy(extra))
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if config.get("ENGAGE_ENV") == "production":
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def _set_headers(response: Response) -> Response:
    return harden(response, current_app.config, _view_extra())


def init_app(app: Flask) -> None:
    app.after_request(_set_headers)
