"""Real OpenID Connect providers on loopback for the tests (``oidc-provider-mock``), and a
browser's part of the sign-in: the provider's consent form, then back to Engage.

:class:`Provider` wraps a real provider and re-signs its ID tokens with a key of its own
(served at its ``/jwks``), so a test can alter one claim — audience, expiry, issuer — and
see Engage refuse exactly that. Untampered, it is a faithful provider.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

HOST = "localhost"


class Provider:
    def __init__(self, name: str) -> None:
        from oidc_provider_mock import app as provider_app

        self.name = name
        self.inner = provider_app(require_nonce=True)
        self.key = RSAKey.generate_key(2048, parameters={"kid": f"{name}-key"})
        self.tamper: Callable[[dict], None] | None = None
        self.sign_with: RSAKey | None = None
        # Every request Engage's server sent it: (path, Authorization header, body).
        self.received: list[tuple[str, str, bytes]] = []
        self.server = make_server(HOST, 0, self, threaded=True)
        self.issuer = f"http://{HOST}:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add_user(self, sub: str, **claims) -> None:
        response = requests.put(f"{self.issuer}/users/{sub}", json=claims, timeout=10)
        assert response.status_code == 204, response.text

    @contextmanager
    def tampering(self, tamper: Callable[[dict], None] | None = None, sign_with: RSAKey | None = None):
        self.tamper, self.sign_with = tamper, sign_with
        try:
            yield self
        finally:
            self.tamper, self.sign_with = None, None

    # --- WSGI -----------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        import io

        path = environ.get("PATH_INFO", "")
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        self.received.append((path, environ.get("HTTP_AUTHORIZATION", ""), body))
        if path == "/jwks":
            return _json(start_response, "200 OK", {"keys": [self.key.as_dict(private=False)]})
        if path != "/oauth2/token":
            return self.inner(environ, start_response)
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        body = b"".join(self.inner(environ, capture))
        payload = json.loads(body) if body else {}
        if "id_token" in payload:
            payload["id_token"] = self._resign(payload["id_token"])
        return _json(start_response, captured["status"], payload)

    def _resign(self, token: str) -> str:
        claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
        if self.tamper:
            self.tamper(claims)
        key = self.sign_with or self.key
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


def _json(start_response, status: str, payload: dict):
    body = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(body))), ("Cache-Control", "no-store")])
    return [body]


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def authorize_at_provider(authorize_url: str, sub: str) -> str:
    """The person picks ``sub`` on the provider's page; returns the callback URL (path and
    query) the provider sends the browser back to."""
    response = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text[:500]
    location = urlsplit(response.headers["Location"])
    return f"{location.path}?{location.query}"


def sign_in(client, slug: str, sub: str, *, alter_authorize_url=None):
    """The whole sign-in, as a browser does it. Returns Engage's answer to the callback."""
    start = client.get(f"/login/{slug}")
    assert start.status_code == 302, start.get_data(as_text=True)[:500]
    authorize_url = start.headers["Location"]
    if alter_authorize_url:
        authorize_url = alter_authorize_url(authorize_url)
    return client.get(authorize_at_provider(authorize_url, sub))


def csrf_token(client) -> str:
    """The CSRF token of the client's session, as a page embeds it."""
    import re

    html = client.get("/login").get_data(as_text=True)
    if 'name="csrf-token"' not in html:
        html = client.get("/").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def continued_to(response) -> str:
    """Where a page of ours sends the browser on (``auth/continue.html``: the step between
    a form and the identity provider, which a redirect cannot take under the
    Content-Security-Policy's form-action 'self')."""
    import html
    import re

    assert response.status_code == 200, response.status_code
    page = response.get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)" data-continue>', page)
    refresh = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', page)
    assert link and refresh and link.group(1) == refresh.group(1), page[:500]
    return html.unescape(link.group(1))
