"""The security tests: the real OpenID Connect providers of tests/auth, and Redis."""

from __future__ import annotations

import os
import uuid

import pytest

from tests.auth.conftest import orgs, provider_a, provider_b  # noqa: F401  (fixtures)

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
