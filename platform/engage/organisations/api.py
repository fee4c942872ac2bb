"""``/api/v1/organisations/me``."""

from __future__ import annotations

from types import SimpleNamespace

from engage.api.routing import operation
from engage.organisations.schemas import MeSchema
from engage.security import current_principal


@operation("GET", "/organisations/me", tag="organisations", summary="Your organisation",
           response=MeSchema)
def get_me():
    """The organisation the token or session belongs to, the user it acts for, and the
    effective role."""
    p = current_principal
    org = p.organisation
    return SimpleNamespace(id=org.id, slug=org.slug, name=org.name, kind=org.kind,
                           aum_eur=org.aum_eur, role=p.role, user=p.user, token=p.token)
