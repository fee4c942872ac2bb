"""The OpenID Connect relying party, one Authlib client per organisation.

Authlib keeps state, nonce and the PKCE verifier in the Flask session under the client's
name, so each organisation has its own client (``org_<slug>``) and two sign-ins in one
browser never mix. Clients are cached per configuration version; the provider's discovery
document and keys are cached inside the client, and re-fetched when a key id is unknown.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from typing import Any

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import FlaskIntegration, FlaskOAuth2App
from authlib.integrations.requests_client import OAuth2Session
from flask import current_app
from flask_babel import gettext as _
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
)

from engage.auth import egress, service
from engage.auth.models import SsoConfig
from engage.auth.service import LoginRefused
from engage.config import ConfigError
from engage.organisations.models import Organisation

_lock = threading.Lock()
# The endpoints the server itself contacts; the authorization endpoint is the browser's.
SERVER_ENDPOINTS = ("token_endpoint", "jwks_uri", "userinfo_endpoint")


class _GuardedSession(OAuth2Session):
    """Authlib's session, contacting only the addresses :mod:`engage.auth.egress` allows."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        egress.guard(self)


class _Client(FlaskOAuth2App):
    client_cls = _GuardedSession


def _fingerprint(config: SsoConfig, secret: str | None) -> str:
    parts = [config.issuer, config.client_id, config.scopes, secret or ""]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def client_for(organisation: Organisation, config: SsoConfig) -> FlaskOAuth2App:
    try:
        secret = service.client_secret(config)
    except ConfigError as exc:
        raise LoginRefused("misconfigured", _("Sign-in for %(name)s is not set up correctly: "
                                              "%(problem)s.", name=organisation.name,
                                              problem=exc), status=503) from exc
    cache: dict[str, tuple[str, FlaskOAuth2App]] = current_app.extensions.setdefault(
        "engage.oidc_clients", {}
    )
    name = f"org_{organisation.slug}"
    fingerprint = _fingerprint(config, secret)
    with _lock:
        cached = cache.get(name)
        if cached and cached[0] == fingerprint:
            return cached[1]
        client_kwargs: dict[str, Any] = {
            "scope": config.scopes,
            "code_challenge_method": "S256",
            "default_timeout": current_app.config["ENGAGE_OIDC_TIMEOUT"],
        }
        if secret is None:
            client_kwargs["token_endpoint_auth_method"] = "none"
        client = _Client(
            FlaskIntegration(name),
            name=name,
            client_id=config.client_id,
            client_secret=secret,
            server_metadata_url=f"{config.issuer}/.well-known/openid-configuration",
            client_kwargs=client_kwargs,
        )
        cache[name] = (fingerprint, client)
        return client


def metadata(organisation: Organisation, client: FlaskOAuth2App, config: SsoConfig) -> Mapping[str, Any]:
    """The provider's discovery document, checked to name the configured issuer."""
    try:
        data = client.load_server_metadata()
    except egress.EgressRefused as exc:
        raise refused_address(organisation, exc) from exc
    except (requests.RequestException, ValueError) as exc:
        raise unreachable(organisation, config) from exc
    if str(data.get("issuer", "")).rstrip("/") != config.issuer:
        client.server_metadata.clear()  # do not keep a document we refused
        raise LoginRefused(
            "issuer_mismatch",
            _("The identity provider at %(url)s describes itself as issuer “%(issuer)s”; ask "
              "your administrator to correct the issuer URL.", url=config.issuer,
              issuer=data.get("issuer")),
            status=502,
        )
    for key in SERVER_ENDPOINTS:
        url = data.get(key)
        problem = egress.url_problem(str(url)) if url else None
        if problem:
            client.server_metadata.clear()
            raise refused_address(organisation, egress.EgressRefused(str(url), problem), key)
    return data


def refused_address(organisation: Organisation, exc: egress.EgressRefused,
                    what: str = "issuer") -> LoginRefused:
    current_app.logger.warning("sso %s: refused to contact %s (%s): %s", organisation.slug,
                               what, exc.host, exc.reason)
    return LoginRefused(
        "address_refused",
        _("Engage will not contact the identity provider of %(name)s at %(host)s: %(reason)s. "
          "Ask your administrator to correct the single sign-on settings.",
          name=organisation.name, host=exc.host, reason=exc.reason),
        status=502,
    )


def unreachable(organisation: Organisation, config: SsoConfig) -> LoginRefused:
    return LoginRefused(
        "provider_unreachable",
        _("The identity provider of %(name)s (%(url)s) cannot be reached right now. Try "
          "again in a few minutes; if it persists, tell your administrator.",
          name=organisation.name, url=config.issuer),
        status=503,
    )


def authorize_redirect(organisation: Organisation, config: SsoConfig, redirect_uri: str):
    """The redirect to the provider: authorization code flow with PKCE S256, state, nonce."""
    client = client_for(organisation, config)
    metadata(organisation, client, config)
    try:
        return client.authorize_redirect(redirect_uri)
    except egress.EgressRefused as exc:
        raise refused_address(organisation, exc) from exc
    except requests.RequestException as exc:
        raise unreachable(organisation, config) from exc


def finish(organisation: Organisation, config: SsoConfig) -> dict[str, Any]:
    """Exchange the code and validate the ID token (signature, issuer, audience, expiry,
    nonce). Returns the token response with ``userinfo`` = the validated claims."""
    client = client_for(organisation, config)
    issuer = metadata(organisation, client, config)["issuer"]
    # Authlib checks the audience only through ``azp``; the OIDC rule is that ``aud``
    # must contain our client id, so both claims are pinned here.
    claims_options = {
        "iss": {"essential": True, "values": [issuer]},
        "aud": {"essential": True, "values": [config.client_id]},
    }
    try:
        token = client.authorize_access_token(leeway=60, claims_options=claims_options)
    except MismatchingStateError as exc:
        raise LoginRefused(
            "state_mismatch",
            _("This sign-in response does not match a sign-in started in this browser (it "
              "was already used, has expired or was altered). Please sign in again."),
            status=400,
        ) from exc
    except OAuthError as exc:
        raise LoginRefused(
            f"provider_error:{exc.error}"[:60],
            _("The identity provider refused the sign-in: %(reason)s.",
              reason=exc.description or exc.error),
            status=400,
        ) from exc
    except egress.EgressRefused as exc:
        raise refused_address(organisation, exc) from exc
    except requests.RequestException as exc:
        raise unreachable(organisation, config) from exc
    except ExpiredTokenError as exc:
        raise LoginRefused("token_expired", _("The identity provider's token has expired. "
                                              "Please sign in again (and check the server "
                                              "clocks)."), 400) from exc
    except ClaimError as exc:
        raise _claim_refusal(exc) from exc
    except (BadSignatureError, InvalidKeyIdError) as exc:
        raise LoginRefused("bad_signature", _("The identity provider's token is not signed "
                                              "with the provider's keys."), 400) from exc
    except (JoseError, ValueError) as exc:
        raise LoginRefused("invalid_token", _("The identity provider's token could not be "
                                              "validated (%(error)s).",
                                              error=type(exc).__name__), 400) from exc
    claims = token.get("userinfo")
    if not claims:
        raise LoginRefused("no_id_token", _("The identity provider sent no ID token."), 400)
    claims = dict(claims)
    if not claims.get("email") and token.get("access_token"):
        try:  # some providers release e-mail only at the userinfo endpoint
            extra = client.userinfo(token=token)
            if extra.get("sub") == claims.get("sub"):
                claims.setdefault("email", extra.get("email"))
                claims.setdefault("email_verified", extra.get("email_verified"))
        except (requests.RequestException, OAuthError, egress.EgressRefused):
            pass
    return {"claims": claims, "id_token": token.get("id_token")}


def _claim_refusal(exc: ClaimError) -> LoginRefused:
    claim = exc.claim
    messages = {
        "nonce": ("nonce_mismatch", _("The token does not belong to this sign-in (nonce "
                                      "mismatch); it may be a replay. Please sign in again.")),
        "aud": ("wrong_audience", _("The token was issued for another application, not Engage.")),
        "azp": ("wrong_audience", _("The token was issued for another application, not Engage.")),
        "iss": ("wrong_issuer", _("The token was issued by another identity provider than this "
                                  "organisation's.")),
        "exp": ("token_expired", _("The identity provider's token has expired.")),
    }
    code, message = messages.get(
        claim, ("invalid_claim", _("The token's “%(claim)s” claim is invalid.", claim=claim)))
    return LoginRefused(code, message, status=400)


def logout_url(
    organisation: Organisation, config: SsoConfig, id_token: str | None, return_to: str
) -> str | None:
    """Where to end the provider's session too, if it offers ``end_session_endpoint``."""
    try:
        client = client_for(organisation, config)
        data = metadata(organisation, client, config)
    except LoginRefused:
        return None
    endpoint = data.get("end_session_endpoint")
    if not endpoint:
        return None
    params = {"post_logout_redirect_uri": return_to, "client_id": config.client_id}
    if id_token:
        params["id_token_hint"] = id_token
    return requests.Request("GET", endpoint, params=params).prepare().url
