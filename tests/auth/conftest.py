"""Two real OpenID Connect providers on loopback, one per organisation, for the session."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from engage import tenancy
from engage.audit.models import AuditEvent
from engage.auth import service as sso
from engage.db import utcnow
from engage.organisations.models import Organisation, OrgRole
from tests import factories as f
from tests.oidc_support import Provider


@pytest.fixture(scope="session")
def provider_a():
    provider = Provider("alpha")
    yield provider
    provider.stop()


@pytest.fixture(scope="session")
def provider_b():
    provider = Provider("beta")
    yield provider
    provider.stop()


@dataclass
class Orgs:
    a: Organisation
    b: Organisation


def configure(db_session, org, issuer, *, domains=(), **settings):
    if "client_secret_env" not in settings:
        settings.setdefault("client_secret", "test-client-secret")
    org_id = sa.inspect(org).identity[0]
    with tenancy.as_organisation(org_id, db_session):
        org = db_session.get(Organisation, org_id)
        sso.configure(
            db_session, org,
            sso.SsoSettings(issuer=issuer, client_id=f"engage-{org.slug}",
                            domains=list(domains), **settings),
            actor_id=None, now=utcnow(),
        )
        db_session.commit()


@pytest.fixture
def orgs(db_session, provider_a, provider_b) -> Orgs:
    with tenancy.system_scope("test", db_session):
        a, b = f.organisation("alpha"), f.organisation("beta")
        ids = a.id, b.id
        db_session.commit()
    # Both ways of keeping the client secret: encrypted in the database (A), and in an
    # environment variable that the configuration names (B).
    configure(db_session, a, provider_a.issuer, domains=["alpha.example"],
              client_secret="alpha-secret-typed-by-an-admin",
              role_claim="groups", role_map={"admin": ["engage-admins"], "viewer": ["auditors"]})
    os.environ["ENGAGE_SSO_SECRET_BETA"] = "beta-secret-from-the-environment"
    configure(db_session, b, provider_b.issuer, domains=["beta.example"],
              client_secret_env="ENGAGE_SSO_SECRET_BETA")
    with tenancy.system_scope("test", db_session):
        return Orgs(a=db_session.get(Organisation, ids[0]), b=db_session.get(Organisation, ids[1]))


def audit_events(db_session, action: str) -> list[AuditEvent]:
    with tenancy.system_scope("test", db_session):
        events = db_session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        ).all()
        db_session.expunge_all()
        return events


def refusal_reasons(db_session) -> list[str]:
    return [e.after["reason"] for e in audit_events(db_session, "auth.login_failed")]


__all__ = ["Orgs", "audit_events", "configure", "refusal_reasons", "OrgRole"]
