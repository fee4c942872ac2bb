"""The first administrator of a new organisation whose identity provider sends no role
claim: the operator names them (``engage org admin SLUG EMAIL``), and their first sign-in
through the organisation's provider opens that account as admin. Without it, everyone who
signs in is a member and nobody can reach the organisation's settings."""

from __future__ import annotations

import pytest

from engage import create_app
from engage.extensions import db
from tests.oidc_support import Provider, sign_in
from tests.test_migrations import _engage, empty_database_url  # noqa: F401  (a fixture)


@pytest.fixture(scope="module")
def provider():
    started = Provider("gamma")
    yield started
    started.stop()


def _install(url: str, monkeypatch, provider: Provider) -> str:
    """The operator's commands, as `engage org create` suggests them: no role claim."""
    assert _engage(url, "db", "upgrade").exit_code == 0
    assert _engage(url, "org", "create", "--slug", "gamma", "--name", "Gamma Pension").exit_code == 0
    assert _engage(url, "org", "create", "--slug", "delta", "--name", "Delta Bank").exit_code == 0
    monkeypatch.setenv("ENGAGE_SSO_SECRET_GAMMA", "gamma-client-secret")
    result = _engage(url, "org", "sso", "gamma", "--issuer", provider.issuer,
                     "--client-id", "engage-gamma", "--client-secret-env",
                     "ENGAGE_SSO_SECRET_GAMMA", "--domain", "gamma.example")
    assert result.exit_code == 0, result.output
    return result.output


def test_the_operator_names_the_first_admin_who_then_signs_in(empty_database_url, monkeypatch,
                                                               provider):  # noqa: F811
    url = empty_database_url
    output = _install(url, monkeypatch, provider)
    # `engage org sso` says that nobody will be an admin, and what to do.
    assert "engage org admin gamma EMAIL" in output

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    try:
        # Without it: the first person to sign in is a member, and the settings are closed.
        provider.add_user("gus", email="gus@gamma.example", name="Gus Member", email_verified=True)
        gus = app.test_client()
        assert sign_in(gus, "gamma", "gus").status_code == 302
        assert gus.get("/organisation/sso").status_code == 403

        # Refused: an address the organisation's provider may not sign in with, and a
        # person of another organisation; nothing is created.
        refused = _engage(url, "org", "admin", "gamma", "gina@elsewhere.example")
        assert refused.exit_code == 2 and "gamma.example" in refused.output
        assert _engage(url, "org", "admin", "gamma", "not-an-address").exit_code == 2

        # Named by the operator before signing in (an address typed in any case).
        named = _engage(url, "org", "admin", "gamma", "Gina@Gamma.example", "--name", "Gina")
        assert named.exit_code == 0, named.output
        assert "first sign-in" in named.output
        provider.add_user("gina-sub", email="gina@gamma.example", name="Gina Admin",
                          email_verified=True)
        gina = app.test_client()
        assert sign_in(gina, "gamma", "gina-sub").status_code == 302
        assert gina.get("/organisation/sso").status_code == 200
        people = gina.get("/organisation/users").get_data(as_text=True)
        assert "Gina Admin" in people  # the provider's name now

        # A member already signed in is promoted; at their next request they are admin.
        promoted = _engage(url, "org", "admin", "gamma", "gus@gamma.example")
        assert promoted.exit_code == 0, promoted.output
        ended = gus.get("/organisation/sso")  # the member's session ended with the role change
        assert ended.status_code == 302 and "/login" in ended.headers["Location"]
        assert sign_in(gus, "gamma", "gus").status_code == 302
        assert gus.get("/organisation/sso").status_code == 200

        # Another organisation's person never becomes this one's admin.
        other = _engage(url, "org", "admin", "delta", "gus@gamma.example")
        assert other.exit_code == 2 and "another organisation" in other.output
    finally:
        with app.app_context():
            db.engine.dispose()
