"""Hole 2: the server fetched whatever the SSO settings named — the issuer's discovery
document, then its token, key and userinfo endpoints — and an anonymous ``GET /login/<slug>``
set it off: a request forgery into the server's own network.

Production now refuses every address that is not on the public internet (loopback,
private, link-local, unique-local, multicast, unspecified, reserved, cloud metadata; IPv4
and IPv6, IPv4 inside IPv6, and every way of writing a number), at save time and again
inside each connection, which goes to the address that was checked. No test here sends a
packet off the machine: names resolve from a table, and a tripwire stops (and records)
every connection that is not to loopback.
"""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from engage.auth import egress
from tests.security.conftest import sso_row, write_sso_row

# Names the test resolver answers, as a hostile DNS zone would.
NAMES = {
    "metadata.google.internal": ["169.254.169.254"],
    "idp.intranet.example": ["10.20.30.40"],
    "db.corp.example": ["172.16.5.4"],
    "router.home.example": ["192.168.1.1"],
    "carrier.example": ["100.100.100.200"],  # Alibaba's metadata, shared address space
    "v6-metadata.example": ["fd00:ec2::254"],
    "localtest.me": ["127.0.0.1"],
    "mixed.example": ["93.184.216.34", "10.0.0.7"],  # one public answer hides an internal one
    "mapped.example": ["::ffff:169.254.169.254"],
    "zero.example": ["0.0.0.0"],
}

HOSTILE_ISSUERS = [
    "https://127.0.0.1",
    "https://localhost",
    "https://127.1",
    "https://2130706433",  # 127.0.0.1 in decimal
    "https://0x7f000001",  # in hex
    "https://0177.0.0.1",  # in octal
    "https://0x7f.0.0.1",
    "https://0",
    "https://[::1]",
    "https://[::]",
    "https://[::ffff:127.0.0.1]",
    "https://[::ffff:7f00:1]",
    "https://[::ffff:169.254.169.254]",
    "https://169.254.169.254",
    "https://2852039166",  # 169.254.169.254 in decimal
    "https://[fd00:ec2::254]",
    "https://[fe80::1]",
    "https://[64:ff9b::a9fe:a9fe]",  # NAT64 of the metadata address
    "https://[2002:a9fe:a9fe::]",  # 6to4 of the metadata address
    "https://10.0.0.1",
    "https://172.16.0.1",
    "https://192.168.0.1",
    "https://100.64.0.1",
    "https://224.0.0.1",
    "https://[ff02::1]",
    "https://240.0.0.1",
    "https://168.63.129.16",  # Azure's wireserver: public address, host agent
    "https://user@127.0.0.1:8443/realms/x",
    "https://metadata.google.internal",
    "https://idp.intranet.example/realms/engage",
    "https://db.corp.example",
    "https://router.home.example",
    "https://carrier.example",
    "https://v6-metadata.example",
    "https://localtest.me",
    "https://mixed.example",
    "https://mapped.example",
    "https://zero.example",
    "https://metadata.google.internal.",
]


@pytest.fixture
def hostile_dns(network):
    network.names.update(NAMES)
    return network


@pytest.mark.parametrize("issuer", HOSTILE_ISSUERS)
def test_an_admin_cannot_save_an_internal_issuer(client, db_session, admin, production,
                                                 hostile_dns, issuer):
    response = client.post("/organisation/sso", data={
        "csrf_token": admin.token, "issuer": issuer, "client_id": "evil",
        "client_secret": "x", "enabled": "1"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Engage will not contact this address" in html
    assert sso_row(db_session, admin.org_id) is None
    assert hostile_dns.attempts == []


@pytest.mark.parametrize("issuer", HOSTILE_ISSUERS)
def test_anonymous_sign_in_does_not_reach_an_internal_issuer(client, db_session, production,
                                                             hostile_dns, issuer):
    """Settings saved before the rule, or a name whose DNS changed after saving: refused
    at use, before any connection."""
    write_sso_row(db_session, "ssrf", issuer=issuer.rstrip("."))
    response = client.get("/login/ssrf")
    assert response.status_code == 502, response.get_data(as_text=True)[:300]
    assert "Engage will not contact the identity provider" in response.get_data(as_text=True)
    assert hostile_dns.attempts == []


def test_production_refuses_plain_http_even_to_a_public_name(client, db_session, production,
                                                              network):
    network.names["idp.public.example"] = ["93.184.216.34"]
    write_sso_row(db_session, "plain", issuer="http://idp.public.example")
    assert client.get("/login/plain").status_code == 502
    assert network.attempts == []


class _EvilProvider:
    """A discovery document on loopback (allowed in development) that names internal
    endpoints, or redirects to them."""

    def __init__(self, document=None, redirect=None):
        self.document, self.redirect = document, redirect
        self.server = make_server("127.0.0.1", 0, self, threaded=True)
        self.issuer = f"http://localhost:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    def __call__(self, environ, start_response):
        import json

        if self.redirect:
            start_response("302 Found", [("Location", self.redirect), ("Content-Length", "0")])
            return [b""]
        body = json.dumps({"issuer": self.issuer,
                           "authorization_endpoint": f"{self.issuer}/authorize",
                           **self.document}).encode()
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("Content-Length", str(len(body)))])
        return [body]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


INTERNAL_ENDPOINTS = [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://2852039166/computeMetadata/v1/",
    "http://0xa9fea9fe/",
    "http://10.0.0.5:5432/",
    "http://192.168.1.1/admin",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://idp.intranet.example/token",
    "gopher://localhost:6379/_FLUSHALL",
    "file:///etc/passwd",
]


@pytest.mark.parametrize("key", ["token_endpoint", "jwks_uri", "userinfo_endpoint"])
@pytest.mark.parametrize("endpoint", INTERNAL_ENDPOINTS)
def test_a_discovery_document_cannot_point_the_server_inward(client, db_session, hostile_dns,
                                                             key, endpoint):
    """Development mode, so the document itself may be on loopback; what it names is still
    refused — before the redirect to the provider, so no code is ever exchanged there."""
    document = {"token_endpoint": "http://localhost:1/token", "jwks_uri": "http://localhost:1/jwks",
                key: endpoint}
    evil = _EvilProvider(document)
    try:
        write_sso_row(db_session, "inward", issuer=evil.issuer, client_secret_env=None)
        response = client.get("/login/inward")
    finally:
        evil.stop()
    assert response.status_code == 502
    assert key in str(response.get_data(as_text=True)) or "will not contact" in response.get_data(as_text=True)
    assert hostile_dns.outside() == []


@pytest.mark.parametrize("target", INTERNAL_ENDPOINTS[:9])
def test_a_redirect_to_an_internal_address_is_not_followed(client, db_session, hostile_dns, target):
    evil = _EvilProvider(redirect=target)
    try:
        write_sso_row(db_session, "hop", issuer=evil.issuer)
        response = client.get("/login/hop")
    finally:
        evil.stop()
    assert response.status_code == 502
    assert hostile_dns.outside() == []


def test_the_connection_goes_to_the_address_that_was_checked(app, db_session, network):
    """DNS rebinding: the name is resolved once per connection and the socket connects to
    that answer; a second, different answer is never asked for."""
    evil = _EvilProvider({"token_endpoint": "http://localhost:1/t"})
    answers = iter([["127.0.0.1"], ["169.254.169.254"]])
    real = egress._getaddrinfo

    def rebinding(host, port, *args, **kwargs):
        if host == "rebind.example":
            network.lookups.append(host)
            ip = next(answers)[0]
            return [(2, 1, 6, "", (ip, port))]
        return real(host, port, *args, **kwargs)

    egress._getaddrinfo = rebinding
    try:
        with app.test_request_context():
            with egress.session() as http:
                response = http.get(f"http://rebind.example:{evil.server.server_port}/x", timeout=5)
    finally:
        egress._getaddrinfo = real
        evil.stop()
    assert response.status_code == 200
    assert network.lookups.count("rebind.example") == 1
    assert network.attempts == [("127.0.0.1", evil.server.server_port)]


@pytest.mark.parametrize("allowed, issuer", [
    (("idp.intranet.example",), "https://idp.intranet.example/realms/engage"),
    (("10.0.0.0/8",), "https://idp.intranet.example"),
    (("10.20.30.40/32",), "https://10.20.30.40"),
])
def test_the_operator_allows_an_on_premises_provider(app, production, hostile_dns, monkeypatch,
                                                     allowed, issuer):
    monkeypatch.setitem(app.config, "ENGAGE_SSO_ALLOWED_HOSTS", allowed)
    with app.test_request_context():
        assert egress.url_problem(issuer) is None
        # ... and only that one.
        assert egress.url_problem("https://169.254.169.254") is not None
        assert egress.url_problem("https://router.home.example") is not None


def test_a_bad_allow_list_stops_the_server_at_start(monkeypatch):
    from engage.config import ConfigError, from_environment

    monkeypatch.setenv("ENGAGE_SSO_ALLOWED_HOSTS", "idp.corp.example, 10.0.0.0/33")
    with pytest.raises(ConfigError, match="ENGAGE_SSO_ALLOWED_HOSTS"):
        from_environment()


def test_development_keeps_loopback_for_the_local_providers(app, hostile_dns):
    with app.test_request_context():
        assert egress.url_problem("http://localhost:5001") is None
        assert egress.url_problem("http://127.0.0.1:5001") is None
        assert egress.url_problem("http://169.254.169.254") is not None
        assert egress.url_problem("http://10.0.0.1") is not None
