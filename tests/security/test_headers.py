"""Security headers on every response — pages, fragments, redirects, errors, static files,
the API — in development and production, and templates that keep to the policy (no inline
script, no event-handler attributes, no inline style). The browser suite
(tests/browser/) checks the same policy in Chromium: no violation on any page it visits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engage import create_app
from engage.organisations.models import OrgRole
from engage.tenancy import system_scope
from tests import factories as f
from tests.conftest import login_ids as login_as

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# Rendered only into PDFs by WeasyPrint, never served to a browser: their <style> blocks
# are no page's inline style.
PRINT_ONLY = {"reports/print.html", "escalations/letter.html", "escalations/document.html"}

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def directives(header: str) -> dict[str, str]:
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else ""
            for part in (p.strip() for p in header.split(";")) if part}


def assert_hardened(response, *, img_src: str = "'self'") -> None:
    headers = response.headers
    for name, value in EXPECTED.items():
        assert headers.get(name) == value, (name, headers.get(name))
    assert "camera=()" in headers["Permissions-Policy"]
    assert "geolocation=()" in headers["Permissions-Policy"]
    policy = directives(headers["Content-Security-Policy"])
    assert {k: policy.get(k) for k in DIRECTIVES} == {**DIRECTIVES, "img-src": img_src}
    assert "unsafe" not in headers["Content-Security-Policy"]
    assert "Strict-Transport-Security" not in headers  # development: plain HTTP on loopback


@pytest.fixture
def admin(db_session):
    with system_scope("test", db_session):
        org = f.organisation()
        user = f.user(org, role=OrgRole.ADMIN)
        db_session.commit()
        return user.id, org.id, org.slug


# (what, method, path, signed in, headers, expected status)
REQUESTS = [
    ("home page", "GET", "/", True, {}, 200),
    ("htmx fragment", "GET", "/engagements?page=1", True, {"HX-Request": "true"}, 200),
    ("sign-in page", "GET", "/login", False, {}, 200),
    ("redirect to sign in", "GET", "/engagements", False, {}, 302),
    ("health check", "GET", "/healthz", False, {}, 200),
    ("static file", "GET", "/static/css/engage.css", False, {}, 200),
    ("vendored script", "GET", "/static/vendor/htmx-2.0.11.min.js", False, {}, 200),
    ("not found", "GET", "/no-such-page", True, {}, 404),
    ("bad request", "GET", "/engagements?page=x", True, {}, 400),
    ("CSRF failure", "POST", "/logout", True, {}, 400),
    ("method not allowed", "DELETE", "/", True, {}, 405),
    ("API without token", "GET", "/api/v1/engagements", False, {}, 401),
    ("API document", "GET", "/api/v1/openapi.json", False, {}, 200),
]


@pytest.mark.parametrize(("what", "method", "path", "signed_in", "headers", "status"), REQUESTS,
                         ids=[r[0] for r in REQUESTS])
def test_every_kind_of_response_carries_the_headers(client, admin, what, method, path,
                                                    signed_in, headers, status):
    if signed_in:
        login_as(client, *admin)
    response = client.open(path, method=method, headers=headers)
    assert response.status_code == status, what
    assert_hardened(response)


def test_the_api_reference_may_show_inline_svg_icons_and_nothing_more(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert_hardened(response, img_src="'self' data:")


def test_production_adds_hsts(database_url):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                      "ENGAGE_ENV": "production", "ENGAGE_SECURE_COOKIES": True})
    client = app.test_client()
    served = client.get("/static/css/engage.css", base_url="https://localhost")
    # Refused before Flask dispatches (an untrusted Host): the same headers.
    refused = client.get("/static/css/engage.css", base_url="https://evil.example")
    assert (served.status_code, refused.status_code) == (200, 400)
    for response in (served, refused):
        assert response.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def _served_templates():
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        if name not in PRINT_ONLY:
            # Jinja comments never reach the browser.
            yield name, re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.S)


def test_no_template_has_inline_script_or_style():
    """What the policy would block: inline <script> and <style>, on…= and hx-on attributes
    (htmx evaluates those), style="" and javascript: URLs."""
    rules = {
        "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
        "<style>": re.compile(r"<style\b", re.I),
        "on…= attribute": re.compile(r"\son[a-z]+\s*=", re.I),
        "hx-on": re.compile(r"\b(data-)?hx-on", re.I),
        "style attribute": re.compile(r"\sstyle\s*=", re.I),
        "javascript: URL": re.compile(r"javascript:", re.I),
        "hx-vals js:": re.compile(r"hx-(vals|vars)=['\"]\s*js:", re.I),
    }
    found = [f"{name}: {rule}" for name, text in _served_templates()
             for rule, pattern in rules.items() if pattern.search(text)]
    assert found == []


def test_htmx_runs_without_eval_or_injected_styles():
    base = (TEMPLATES / "base.html").read_text(encoding="utf-8")
    config = re.search(r'name="htmx-config" content=\'([^\']+)\'', base).group(1)
    assert '"allowEval":false' in config
    assert '"includeIndicatorStyles":false' in config
    assert '"allowScriptTags":false' in config
