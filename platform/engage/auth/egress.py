"""Which addresses the server may contact on an organisation's behalf, and a ``requests``
session that contacts no other.

An organisation admin chooses the issuer URL, and the provider's discovery document names
the token, key and userinfo endpoints; an anonymous ``GET /login/<slug>`` makes the server
fetch them. Without a rule that is a request forgery into the server's own network (cloud
metadata, databases, admin consoles). The rule: an identity provider must be on the public
internet, unless the operator lists it in ``ENGAGE_SSO_ALLOWED_HOSTS`` (host names or
CIDRs, for on-premises providers). Development also allows loopback, for the demo's and the
tests' local providers.

The check runs twice: when settings are saved (a clear form error) and inside every
connection, right before it is made. The connection goes to exactly the address that was
checked — there is no second DNS look-up for a rebinding resolver to answer differently —
while TLS still verifies the certificate against the host name. Every redirect hop is a new
connection and is checked the same way.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from socket import timeout as SocketTimeout
from urllib.parse import urlsplit

import requests
from flask import current_app
from flask_babel import gettext as _
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util import connection as urllib3_connection

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Not private by the IANA registries, yet a cloud's instance metadata or host agent.
METADATA = frozenset({ipaddress.ip_address("168.63.129.16")})  # Azure's wireserver
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Tests replace this to answer names without the network.
_getaddrinfo = socket.getaddrinfo


class EgressRefused(Exception):
    """The server will not contact this address. Deliberately not an ``OSError``: urllib3
    must not retry it or turn it into a "connection failed"."""

    def __init__(self, host: str, reason: str) -> None:
        self.host = host
        self.reason = reason
        super().__init__(f"{host}: {reason}")


@dataclass(frozen=True)
class Policy:
    allow_loopback: bool
    hosts: frozenset[str]
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    https_only: bool


def parse_allowed(entries: Iterable[str]) -> tuple[frozenset[str], tuple]:
    """``ENGAGE_SSO_ALLOWED_HOSTS`` entries → (host names, networks); ValueError if bad."""
    hosts, networks = set(), []
    for entry in (e.strip().lower() for e in entries):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            if "/" in entry or ":" in entry or not entry.replace("-", "").replace(".", "").isalnum():
                raise ValueError(f"“{entry}” is neither a host name nor a CIDR") from None
            hosts.add(entry.rstrip("."))
    return frozenset(hosts), tuple(networks)


def policy() -> Policy:
    config = current_app.config
    hosts, networks = parse_allowed(config.get("ENGAGE_SSO_ALLOWED_HOSTS", ()))
    production = config.get("ENGAGE_ENV") == "production"
    return Policy(allow_loopback=not production, hosts=hosts, networks=networks,
                  https_only=production)


def _unwrap(ip: Address) -> Address:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo, NAT64), if any."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return ip.ipv4_mapped
        if ip.sixtofour:
            return ip.sixtofour
        if ip.teredo:
            return ip.teredo[1]
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def address_problem(ip: Address, rules: Policy) -> str | None:
    """Why the server must not connect to ``ip``, or None."""
    if any(ip in net for net in rules.networks):
        return None
    inner = _unwrap(ip)
    if inner != ip and any(inner in net for net in rules.networks):
        return None
    for candidate in dict.fromkeys((inner, ip)):  # the IPv4 inside first: the clearer reason
        if candidate.is_loopback:
            if not rules.allow_loopback:
                return _("it is a loopback address")
        elif candidate.is_multicast:
            return _("it is a multicast address")
        elif candidate in METADATA or candidate.is_link_local:
            return _("it is a link-local or cloud metadata address")
        elif candidate.is_unspecified or candidate.is_reserved:
            return _("it is not a routable address")
        elif not candidate.is_global:
            return _("it is a private or internal address")
    return None


def literal(host: str) -> Address | None:
    """``host`` as an IP address, in any form a resolver accepts: dotted, decimal, octal or
    hex IPv4 (``2130706433``, ``0x7f.1``, ``0177.0.0.1``), IPv6 with or without brackets."""
    host = host.strip("[]").rstrip(".")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefx." for c in host.lower()) and host[0].isdigit():
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def resolve(host: str, port: int) -> list[Address]:
    found = literal(host)
    if found is not None:
        return [found]
    try:
        infos = _getaddrinfo(host.rstrip("."), port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise OSError(f"cannot resolve {host}: {exc}") from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def checked_address(host: str, port: int, rules: Policy | None = None) -> str:
    """Resolve ``host`` once and return the address to connect to; raise
    :class:`EgressRefused` when any address it resolves to is refused (a name that answers
    with one public and one internal address is refused whole). ``OSError`` when it does
    not resolve."""
    rules = rules or policy()
    addresses = resolve(host, port)
    if not addresses:
        raise OSError(f"cannot resolve {host}")
    allowed_by_name = host.strip("[]").rstrip(".").lower() in rules.hosts
    if not allowed_by_name:
        for ip in addresses:
            problem = address_problem(ip, rules)
            if problem:
                raise EgressRefused(host, problem)
    return str(addresses[0])


def url_problem(url: str, rules: Policy | None = None) -> str | None:
    """Why the server must not fetch ``url`` (scheme, host), or None. A host that does not
    resolve is not refused here: it cannot be reached either, and the fetch will say so."""
    rules = rules or policy()
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return _("it is not a valid URL")
    if parts.scheme not in ("http", "https") or not host:
        return _("it is not an http(s) URL")
    if rules.https_only and parts.scheme != "https":
        return _("it does not use https")
    try:
        checked_address(host, port or (443 if parts.scheme == "https" else 80), rules)
    except EgressRefused as exc:
        return exc.reason
    except OSError:
        return None
    return None


# --- the guarded connection -------------------------------------------------------------------

class _CheckedConnect:
    """Connect only to the address :func:`checked_address` approved, and to no other."""

    host: str
    port: int

    def _new_conn(self) -> socket.socket:
        try:
            address = checked_address(self.host, self.port)  # EgressRefused passes through
        except OSError as exc:
            raise NewConnectionError(self, f"Failed to resolve {self.host}: {exc}") from exc
        try:
            return urllib3_connection.create_connection(
                (address, self.port), self.timeout,  # type: ignore[attr-defined]
                source_address=self.source_address,  # type: ignore[attr-defined]
                socket_options=self.socket_options,  # type: ignore[attr-defined]
            )
        except SocketTimeout as exc:
            raise ConnectTimeoutError(self, f"Connection to {self.host} timed out.") from exc
        except OSError as exc:
            raise NewConnectionError(self, f"Failed to establish a new connection: {exc}") from exc


class _HTTPConnection(_CheckedConnect, HTTPConnection):
    pass


class _HTTPSConnection(_CheckedConnect, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """An adapter whose every connection goes through :class:`_CheckedConnect`; in
    production it also refuses plain http."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def send(self, request, *args, **kwargs):
        if policy().https_only and not request.url.lower().startswith("https://"):
            raise EgressRefused(urlsplit(request.url).hostname or "?", _("it does not use https"))
        # No proxy, not even one from the environment: it would connect on our behalf to
        # an address this check never sees. (The environment's CA bundle still counts, for
        # on-premises providers with a private CA.)
        kwargs["proxies"] = {}
        return super().send(request, *args, **kwargs)


def guard(session: requests.Session) -> requests.Session:
    """Make ``session`` contact only allowed addresses, through no proxy."""
    session.max_redirects = 5
    adapter = GuardedAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def session() -> requests.Session:
    return guard(requests.Session())
