"""Rate limits (Flask-Limiter): who may knock how often.

- Sign-in starts, OIDC callbacks and failed API tokens are counted per client address;
  imports and report downloads per signed-in user (colleagues share an office address).
- Each limit is a setting (``ENGAGE_RATE_LIMIT_*``, Flask-Limiter's notation, read on every
  request so a test can lower it). The counts live in Redis when ``ENGAGE_REDIS_URL`` is
  set, shared by every gunicorn worker and host; otherwise in the process's memory.
- Over the limit: 429 with ``Retry-After``, a page in words, or problem+json under /api/.
- Only *failed* bearer tokens count (:func:`check_token_failures` before the lookup,
  :func:`count_token_failure` after a refusal), so a busy integration is never throttled
  by its own successes, while guessing tokens stops after a few tries.
"""

from __future__ import annotations

import functools
import ipaddress
import math
import time

from flask import current_app, g, request
from flask_babel import gettext as _
from limits import parse_many
from werkzeug.exceptions import TooManyRequests

_V6_NETWORK = 64  # one IPv6 subscriber gets a /64: count it as one address


def client_address() -> str:
    """The client's address: the peer, or, when the peer is a trusted reverse proxy
    (``ENGAGE_FORWARDED_ALLOW_IPS``), the last address it appended to X-Forwarded-For.
    Earlier entries are the client's own say and are ignored."""
    peer = request.remote_addr or "unknown"
    forwarded = request.headers.get("X-Forwarded-For")
    if forwarded and _trusted(peer):
        candidate = forwarded.split(",")[-1].strip()
        if _parse(candidate) is not None:
            peer = candidate
    address = _parse(peer)
    if address is None:
        return peer[:64]
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/{_V6_NETWORK}", strict=False))
    return str(address)


def _parse(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(peer: str) -> bool:
    trust_all, networks = _proxies(current_app.config.get("ENGAGE_FORWARDED_ALLOW_IPS", ""))
    if trust_all:
        return True
    address = _parse(peer)
    return address is not None and any(address in network for network in networks)


@functools.lru_cache(maxsize=8)
def _proxies(setting: str) -> tuple[bool, tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]]:
    """The trusted proxies' networks, parsed once per setting (not on every request behind a
    proxy); entries that are not addresses or networks are skipped."""
    entries = [part.strip() for part in setting.split(",") if part.strip()]
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            continue
    return "*" in entries, tuple(networks)


def user_or_address() -> str:
    """Signed-in work is counted per user; anything else per address."""
    principal = g.get("principal")
    return f"user:{principal.user.id}" if principal is not None else client_address()


def setting(name: str):
    """The limit ``name`` as Flask-Limiter asks for it: at each request, from the config."""
    return lambda: current_app.config[name]


def message() -> str:
    return _("Too many requests from your address in a short time. Please wait a little and "
             "try again.")


# --- failed API tokens ----------------------------------------------------------------------

_TOKEN_SCOPE = "api-token-failures"


def _token_limits():
    return parse_many(current_app.config["ENGAGE_RATE_LIMIT_TOKEN_FAILURES"])


def check_token_failures() -> None:
    """Before a bearer token is looked up: refuse (429) an address that failed too often."""
    from engage.extensions import limiter

    key = client_address()
    for item in _token_limits():
        try:
            if limiter.limiter.test(item, _TOKEN_SCOPE, key):
                continue
            reset_at = limiter.limiter.get_window_stats(item, _TOKEN_SCOPE, key).reset_time
        except Exception:  # the store is down: a token lookup is cheap, let it through
            current_app.logger.exception("rate limit store unreachable")
            return
        raise TooManyRequests(
            description=_("Too many requests with an unknown or revoked API token from your "
                          "address. Wait before trying again."),
            retry_after=max(1, math.ceil(reset_at - time.time())),
        )


def count_token_failure() -> None:
    """A bearer token was refused: count it against the client's address."""
    from engage.extensions import limiter

    key = client_address()
    try:
        for item in _token_limits():
            limiter.limiter.hit(item, _TOKEN_SCOPE, key)
    except Exception:
        current_app.logger.exception("rate limit store unreachable")
