"""Organisations and a small company register for the import tests."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from engage.audit.models import AuditEvent
from engage.companies.models import Company, EsgRating, Holding
from engage.extensions import db
from engage.organisations.models import OrgRole
from engage.tenancy import system_scope

from tests import factories as f

INDITEX = "ES0148396007"
APPLE = "US0378331005"
APPLE_LEI = "HWUPKR0MPOU8FGXBT394"


@dataclass
class ImportWorld:
    registrar: object  # keeps the company register (ENGAGE_REGISTER_ORGS)
    investor: object
    registrar_admin: object
    investor_admin: object
    investor_member: object
    inditex: int
    apple: int


@pytest.fixture
def iworld(db_session, app, monkeypatch):
    monkeypatch.setitem(app.config, "ENGAGE_REGISTER_ORGS", ("registrar",))
    with system_scope("test world"):
        registrar = f.organisation("registrar")
        investor = f.organisation("investor", aum="2000000000")
        users = (f.user(registrar, OrgRole.ADMIN), f.user(investor, OrgRole.ADMIN),
                 f.user(investor, OrgRole.MEMBER))
        inditex = f.company("Industria de Diseño Textil, S.A.", isin=INDITEX, country="ES").id
        apple = f.company("Apple Inc.", isin=APPLE, lei=APPLE_LEI, country="US",
                          esg_rating=EsgRating.A, rated_on=f.TODAY).id
        plain = [SimpleNamespace(id=o.id, slug=getattr(o, "slug", None)) for o in (registrar, investor, *users)]
        db_session.commit()  # the import tests roll back to here
        return ImportWorld(*plain, inditex, apple)


def counts() -> tuple[int, int, int]:
    """Companies, holdings and import audit events: what an import may write."""
    with system_scope("test counts"):
        return (
            db.session.scalar(sa.select(sa.func.count()).select_from(Company)),
            db.session.scalar(sa.select(sa.func.count()).select_from(Holding)),
            db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action.like("import.%"))),
        )
