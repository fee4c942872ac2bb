"""Organisations cannot be enumerated from the sign-in pages beyond what the picker lists.

The decision: an organisation with sign-in switched on is public by design — the picker
lists it, its sign-in address works, and an e-mail domain it registered routes to it. Every
other slug and domain gets one and the same answer, whether no organisation has it, or one
has it without single sign-on, or with sign-in switched off: nothing tells them apart.
"""

from __future__ import annotations

import pytest

from engage import tenancy
from engage.auth import service as sso
from engage.db import utcnow
from engage.organisations.models import Organisation
from tests import factories as f
from tests.oidc_support import csrf_token


@pytest.fixture
def hidden(db_session, provider):
    """``dormant`` exists without SSO; ``switched-off`` has SSO disabled."""
    with tenancy.system_scope("test", db_session):
        f.organisation("dormant")
        off = f.organisation("switched-off")
        off_id = off.id
        db_session.commit()
    with tenancy.as_organisation(off_id, db_session):
        sso.configure(db_session, db_session.get(Organisation, off_id), sso.SsoSettings(
            issuer=provider.issuer, client_id="c", client_secret="s",
            domains=["switched-off.example"], enabled=False), actor_id=None, now=utcnow())
        db_session.commit()


SLUGS = ["dormant", "switched-off", "no-such-org", "x", "a" * 63, "admin", "DORMANT",
         "dormant%20", "%00", "%00dormant", "d\u00f6rmant", "dormant.json", "-" * 64, "b" * 3000,
         "%F0%9F%92%A5", "dormant%0a"]


@pytest.mark.parametrize("route", ["/login/{}", "/auth/{}/callback?code=c&state=s"])
def test_unknown_and_hidden_organisations_answer_alike(client, hidden, route):
    answers = {}
    for slug in SLUGS:
        response = client.get(route.format(slug))
        answers[slug] = (response.status_code, response.get_data(as_text=True))
    reference = answers["no-such-org"]
    assert reference[0] == 404
    for slug, answer in answers.items():
        assert answer == reference, slug
    assert "dormant" not in reference[1].lower() and "switched-off" not in reference[1]


ADDRESSES = ["someone@switched-off.example", "someone@no-org.example", "someone@dormant.example",
             "someone@example", "someone@", "someone@@switched-off.example",
             "someone@SWITCHED-OFF.example.", "someone@sub.switched-off.example"]


def test_email_discovery_says_the_same_for_every_domain_without_sign_in(client, hidden):
    token = csrf_token(client)
    bodies = set()
    for address in ADDRESSES:
        response = client.post("/login", data={"email": address, "csrf_token": token})
        assert response.status_code == 400, address
        html = response.get_data(as_text=True)
        bodies.add(html.replace(address, "ADDRESS"))
    assert len(bodies) == 1


def test_the_picker_lists_only_organisations_with_sign_in(client, hidden):
    html = client.get("/login").get_data(as_text=True)
    assert 'data-org="dormant"' not in html and 'data-org="switched-off"' not in html
