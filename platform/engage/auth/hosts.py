"""The host names this server answers to, and the addresses it gives out for itself.

The sign-in's redirect address goes to the identity provider and comes back with a code;
built from the request's ``Host`` header, anyone who can put a page or a proxy in front of
Engage chooses where the provider sends it. So the addresses Engage gives out come from
``ENGAGE_BASE_URL`` (a development server without one uses the request's host, on
loopback), and in production a request for any host but the trusted ones is refused with
400 before it reaches the app (Werkzeug's host check). Loopback names are always answered
(a probe on the machine itself; they point nobody elsewhere), and ``/healthz`` is exempt:
load balancers and container health checks probe it by address.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, request, url_for
from werkzeug.exceptions import BadRequest
from werkzeug.sansio.utils import host_is_trusted

EXEMPT_PATHS = frozenset({"/healthz"})
LOOPBACK_NAMES = ("localhost", "127.0.0.1")


def base_url() -> str:
    config = current_app.config
    if config.get("ENGAGE_BASE_URL_SET") or config.get("ENGAGE_ENV") == "production":
        return config["ENGAGE_BASE_URL"].rstrip("/")
    return request.host_url.rstrip("/")


def external_url(endpoint: str, **values) -> str:
    """The absolute address of ``endpoint`` on this server, never taken from ``Host``."""
    return base_url() + url_for(endpoint, **values)


def trusted_hosts(config) -> list[str]:
    """The configured host names; in production the base URL's host when none are set.
    Empty means every host (development)."""
    production = config.get("ENGAGE_ENV") == "production"
    hosts = [h.strip().lower() for h in config.get("ENGAGE_TRUSTED_HOSTS") or () if h.strip()]
    if not hosts and production:
        base = urlsplit(config.get("ENGAGE_BASE_URL") or "").hostname
        hosts = [base] if base else []
    if hosts or production:  # production never answers every host, even unconfigured
        hosts += [name for name in LOOPBACK_NAMES if name not in hosts]
    return hosts


class TrustedHostMiddleware:
    """400 for a request whose ``Host`` is not trusted, before Flask sees it."""

    def __init__(self, wsgi_app, app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.app = app

    def __call__(self, environ, start_response):
        hosts = trusted_hosts(self.app.config)
        if hosts and environ.get("PATH_INFO") not in EXEMPT_PATHS:
            host = (environ.get("HTTP_HOST") or "").lower()
            if not host_is_trusted(host, hosts):
                self.app.logger.warning("refused a request for the untrusted host %r", host[:100])
                from engage.headers import harden

                refusal = BadRequest("This server does not answer to that host name.")
                response = harden(refusal.get_response(environ), self.app.config)
                return response(environ, start_response)
        return self.wsgi_app(environ, start_response)


def init_app(app: Flask) -> None:
    app.wsgi_app = TrustedHostMiddleware(app.wsgi_app, app)  # type: ignore[method-assign]
