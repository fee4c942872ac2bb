"""What the security tests share: production mode on the session's app, a network that
cannot be reached (a resolver that answers from a table, and a tripwire on every outgoing
connection), a signed-in organisation admin, and SSO rows written as an older version or
a changed DNS would have left them; the real OpenID Connect providers of tests/auth; and
Redis, for the rate limits."""

from __future__ import annotations

import ipaddress
import os
import socket
import uuid
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa

from engage import tenancy
from engage.auth.models import SsoConfig
from engage.organisations.models import Organisation, OrgRole
from tests import factories as f
from tests.auth.conftest import orgs, provider_a, provider_b  # noqa: F401  (fixtures)
from tests.conftest import login_as
from tests.oidc_support import csrf_token


@pytest.fixture
def production(app, monkeypatch):
    monkeypatch.setitem(app.config, "ENGAGE_ENV", "production")
    return app


@dataclass
class Network:
    """Names answer from ``names`` (anything else does not resolve); every connection the
    process tries is recorded in ``attempts`` and, unless it goes to loopback, stopped
    before the system call — no packet leaves the machine whatever the code under test does."""

    names: dict[str, list[str]] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)
    attempts: list[tuple[str, int]] = field(default_factory=list)

    def outside(self) -> list[tuple[str, int]]:
        return [a for a in self.attempts if not ipaddress.ip_address(a[0]).is_loopback]


@pytest.fixture
def network(monkeypatch) -> Network:
    net = Network()
    real_connect = socket.socket.connect

    def resolver(host, port, *args, **kwargs):
        net.lookups.append(host)
        if host in ("localhost", "127.0.0.1"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port or 0))]
        if host not in net.names:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (ip, port or 0)) for ip in net.names[host]]

    def connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host, port = address[0], address[1]
            net.attempts.append((host, port))
            if not ipaddress.ip_address(host.split("%")[0]).is_loopback:
                raise OSError(f"test network: no connection to {host} may be made")
        return real_connect(sock, address)

    from engage.auth import egress

    monkeypatch.setattr(egress, "_getaddrinfo", resolver)
    monkeypatch.setattr(socket, "getaddrinfo", resolver)  # anything that asks past it, too
    monkeypatch.setattr(socket.socket, "connect", connect)
    return net


@dataclass
class Admin:
    org_id: int
    slug: str
    user_id: int
    token: str


@pytest.fixture
def admin(client, db_session) -> Admin:
    """A signed-in admin of organisation ``tenant`` (and another organisation, ``victim``)."""
    with tenancy.system_scope("test", db_session):
        org = f.organisation("tenant")
        f.organisation("victim")
        user = f.user(org, OrgRole.ADMIN)
        ids = org.id, user.id
        db_session.commit()
        org = db_session.get(Organisation, ids[0])
    login_as(client, type("U", (), {"id": ids[1]}), org)
    return Admin(org_id=ids[0], slug="tenant", user_id=ids[1], token=csrf_token(client))


def write_sso_row(db_session, slug: str, **values) -> int:
    """An SSO configuration written straight to the table, past every check of
    ``auth.service.configure`` (as an older version wrote it, or before DNS changed)."""
    with tenancy.system_scope("test", db_session):
        org = db_session.scalar(sa.select(Organisation).where(Organisation.slug == slug))
        if org is None:
            org = f.organisation(slug)
        org_id = org.id
        existing = db_session.scalar(sa.select(SsoConfig).where(SsoConfig.organisation_id == org_id))
        if existing is not None:
            db_session.delete(existing)
            db_session.flush()
        values.setdefault("client_id", f"engage-{slug}")
        db_session.add(SsoConfig(organisation_id=org_id, enabled=True, **values))
        db_session.commit()
    return org_id


def sso_row(db_session, org_id: int) -> SsoConfig | None:
    with tenancy.system_scope("test", db_session):
        config = db_session.scalar(sa.select(SsoConfig).where(SsoConfig.organisation_id == org_id))
        if config is not None:
            db_session.expunge(config)
        return config


@pytest.fixture(scope="session")
def provider():
    """A real OpenID Connect provider on loopback, recording what the server sends it."""
    from tests.oidc_support import Provider

    started = Provider("security")
    yield started
    started.stop()


@pytest.fixture
def attacker_provider(provider):
    """The same provider, its record cleared: the one a hostile admin points Engage at."""
    provider.received.clear()
    return provider


# --- Redis -----------------------------------------------------------------------------------

REDIS_URL = os.environ.get("ENGAGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_required() -> bool:
    """CI runs Redis beside PostgreSQL: there a missing Redis fails the tests, never skips."""
    return os.environ.get("CI", "").lower() == "true" or bool(os.environ.get("ENGAGE_REQUIRE_REDIS"))


def redis_client():
    """The real Redis, or skip (fail on CI)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if redis_required():
            pytest.fail(f"Redis at {REDIS_URL} does not answer ({exc}); CI must have it")
        pytest.skip(f"no Redis at {REDIS_URL}")
    return client


@pytest.fixture(params=["memory", "redis"])
def rate_limit_store(request, app):
    """The app's rate limits counted in memory, or in the real Redis under a key prefix of
    this run's own (parallel runs share the server)."""
    from engage.extensions import limiter

    if request.param == "memory":
        limiter.reset()
        yield None
        return
    client = redis_client()
    prefix = f"engage-test-{uuid.uuid4().hex}"
    saved = {k: app.config[k] for k in ("ENGAGE_REDIS_URL", "RATELIMIT_STORAGE_URI",
                                        "RATELIMIT_STORAGE_OPTIONS")}
    app.config.update(ENGAGE_REDIS_URL=REDIS_URL, RATELIMIT_STORAGE_URI=REDIS_URL,
                      RATELIMIT_STORAGE_OPTIONS={"key_prefix": prefix})
    limiter.init_app(app)  # Flask-Limiter builds its storage from the config again
    try:
        yield (client, prefix)
    finally:
        limiter.reset()  # deletes this prefix's keys only
        app.config.update(saved)
        limiter.init_app(app)
        client.close()
