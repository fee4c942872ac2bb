"""The demo's identity providers: one real OpenID Connect provider per demo organisation,
on loopback (the ``oidc-provider-mock`` package), so a newcomer signs in through the same
SSO path as production and picks any demo user on the provider's page.

There is no password-less way into Engage: the demo, too, goes through the provider.
"""

from __future__ import annotations

import secrets
import threading
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from werkzeug.serving import BaseWSGIServer, make_server

from engage import tenancy
from engage.auth import service as sso
from engage.db import utcnow
from engage.organisations.models import Organisation, OrgMembership, OrgRole, User

HOST = "localhost"  # the provider's issuer is its request host: one name everywhere
ROLE_GROUPS = {OrgRole.ADMIN: "engage-admins", OrgRole.MEMBER: "engage-members",
               OrgRole.VIEWER: "engage-viewers"}


@dataclass
class DemoProviders:
    """Running providers, by organisation slug; ``stop()`` shuts them down."""

    issuers: dict[str, str] = field(default_factory=dict)
    _servers: list[BaseWSGIServer] = field(default_factory=list)
    _threads: list[threading.Thread] = field(default_factory=list)

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=2)


def _claims(user: User, role: OrgRole) -> dict[str, object]:
    return {
        "email": user.email,
        "email_verified": True,
        "name": user.name,
        "locale": user.locale or "en",
        "groups": [ROLE_GROUPS[role]],
    }


def start_providers(session: sa.orm.Session) -> DemoProviders:
    """Start one provider per organisation, each knowing that organisation's users."""
    import warnings

    with warnings.catch_warnings():  # the provider package imports Authlib's old JOSE API
        warnings.simplefilter("ignore", DeprecationWarning)
        from oidc_provider_mock import User as ProviderUser
        from oidc_provider_mock import app as provider_app

    rows = session.execute(
        sa.select(Organisation.slug, User, OrgMembership.role)
        .join(OrgMembership, OrgMembership.organisation_id == Organisation.id)
        .join(User, User.id == OrgMembership.user_id)
        .order_by(Organisation.slug, OrgMembership.role, User.name)
    ).all()
    people: dict[str, list[ProviderUser]] = defaultdict(list)
    for slug, user, role in rows:
        people[slug].append(ProviderUser(sub=user.email, claims=_claims(user, role)))
    providers = DemoProviders()
    for slug, users in people.items():
        server = make_server(HOST, 0, provider_app(user_claims=users, require_nonce=True),
                             threaded=True)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                  name=f"oidc-{slug}", daemon=True)
        thread.start()
        providers._servers.append(server)
        providers._threads.append(thread)
        providers.issuers[slug] = f"http://{HOST}:{server.server_port}"
    return providers


def configure_demo_sso(session: sa.orm.Session, providers: DemoProviders) -> None:
    """Point every demo organisation at its provider: allowed domain from its users,
    roles from the provider's ``groups`` claim. Commits."""
    for slug, issuer in providers.issuers.items():
        org = session.scalar(sa.select(Organisation).where(Organisation.slug == slug))
        domains = session.scalars(
            sa.select(User.email)
            .join(OrgMembership, OrgMembership.user_id == User.id)
            .where(OrgMembership.organisation_id == org.id)
        ).all()
        settings = sso.SsoSettings(
            issuer=issuer,
            client_id=f"engage-demo-{slug}",
            # The local provider accepts any secret; a fresh one per run, stored encrypted.
            client_secret=secrets.token_urlsafe(24),
            domains=sso.parse_domains(e.rpartition("@")[2] for e in domains),
            role_claim="groups",
            role_map={role.value: [group] for role, group in ROLE_GROUPS.items()},
        )
        with tenancy.as_organisation(org.id, session):
            sso.configure(session, org, settings, actor_id=None, now=utcnow())
            session.commit()
