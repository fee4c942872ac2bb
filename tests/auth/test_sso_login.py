"""Sign-in end to end through real providers, and every way it must fail."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa

from engage import tenancy
from engage.auth.models import Identity
from engage.organisations.models import OrgMembership, OrgRole, User
from tests import factories as f
from tests.auth.conftest import audit_events, configure, refusal_reasons
from tests.oidc_support import authorize_at_provider, continued_to, csrf_token, sign_in, with_query


def _user(db_session, email):
    with tenancy.system_scope("test", db_session):
        user = db_session.scalar(sa.select(User).where(User.email == email))
        role = user and db_session.scalar(
            sa.select(OrgMembership.role).where(OrgMembership.user_id == user.id))
        org_id = user and user.membership.organisation_id
        identities = user and db_session.scalars(
            sa.select(Identity).where(Identity.user_id == user.id)).all()
        return user, role, org_id, identities


def test_first_sign_in_provisions_the_user_into_that_organisation(client, db_session, orgs, provider_a):
    provider_a.add_user("ann-1", email="ann@alpha.example", name="Ann Alpha", email_verified=True)
    response = sign_in(client, "alpha", "ann-1")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "Ann Alpha" in home.get_data(as_text=True)

    user, role, org_id, identities = _user(db_session, "ann@alpha.example")
    assert org_id == orgs.a.id and role is OrgRole.MEMBER
    assert [(i.issuer, i.subject) for i in identities] == [(provider_a.issuer, "ann-1")]
    logins = audit_events(db_session, "auth.login")
    assert [(e.actor_id, e.organisation_id) for e in logins] == [(user.id, orgs.a.id)]

    # Signing in again finds the same user by (issuer, subject): nobody is duplicated.
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert sign_in(client, "alpha", "ann-1").status_code == 302
    with tenancy.system_scope("test", db_session):
        assert db_session.scalar(sa.select(sa.func.count()).select_from(User)
                                 .where(User.email == "ann@alpha.example")) == 1


def test_sign_in_returns_to_the_page_asked_for(client, db_session, orgs, provider_a):
    provider_a.add_user("ann-2", email="ann2@alpha.example")
    assert client.get("/organisation/users").headers["Location"].startswith(
        "/login?next=/organisation/users")
    client.get("/login?next=/organisation/users")
    assert sign_in(client, "alpha", "ann-2").headers["Location"] == "/organisation/users"


def test_login_never_redirects_off_site(client, db_session, orgs, provider_a):
    provider_a.add_user("ann-3", email="ann3@alpha.example")
    client.get("/login?next=//evil.example/phish")
    assert sign_in(client, "alpha", "ann-3").headers["Location"] == "/"


def test_role_comes_from_the_providers_groups_claim(client, db_session, orgs, provider_a):
    provider_a.add_user("boss", email="boss@alpha.example", groups=["staff", "engage-admins"])
    sign_in(client, "alpha", "boss")
    assert _user(db_session, "boss@alpha.example")[1] is OrgRole.ADMIN
    # The provider takes the group away: the next sign-in follows it (another admin stays;
    # the last admin keeps the role, tests/security/test_identity_takeover.py).
    with tenancy.system_scope("test", db_session):
        f.user(orgs.a, OrgRole.ADMIN)
        db_session.commit()
    provider_a.add_user("boss", email="boss@alpha.example", groups=["auditors"])
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    sign_in(client, "alpha", "boss")
    assert _user(db_session, "boss@alpha.example")[1] is OrgRole.VIEWER


def test_discovery_by_email_domain(client, db_session, orgs):
    response = client.post("/login", data={"email": "Someone@Beta.example",
                                           "csrf_token": csrf_token(client)})
    assert continued_to(response) == "/login/beta"
    unknown = client.post("/login", data={"email": "x@nowhere.example",
                                          "csrf_token": csrf_token(client)})
    assert unknown.status_code == 400
    assert "No organisation on Engage signs in with the address" in unknown.get_data(as_text=True)


def test_login_page_lists_the_organisations(client, db_session, orgs):
    html = client.get("/login").get_data(as_text=True)
    assert 'data-org="alpha"' in html and 'data-org="beta"' in html


def test_the_authorization_request_uses_pkce_state_and_nonce(client, db_session, orgs):
    location = client.get("/login/alpha").headers["Location"]
    query = parse_qs(urlsplit(location).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0]
    assert query["response_type"] == ["code"] and "openid" in query["scope"][0].split()


def _refused(response, db_session, reason: str, status: int, text: str):
    html = response.get_data(as_text=True)
    assert response.status_code == status, html[:800]
    assert "Sign-in failed" in html and text in html
    assert refusal_reasons(db_session)[-1] == reason


def test_tampered_state_is_refused(client, db_session, orgs, provider_a):
    provider_a.add_user("eve-1", email="eve1@alpha.example")
    authorize_url = client.get("/login/alpha").headers["Location"]
    callback = authorize_at_provider(authorize_url, "eve-1")
    response = client.get(with_query(callback, state="forged-state"))
    _refused(response, db_session, "state_mismatch", 400, "does not match a sign-in started")
    assert client.get("/").status_code == 302  # still not signed in


def test_replayed_callback_is_refused(client, db_session, orgs, provider_a):
    provider_a.add_user("eve-2", email="eve2@alpha.example")
    authorize_url = client.get("/login/alpha").headers["Location"]
    callback = authorize_at_provider(authorize_url, "eve-2")
    assert client.get(callback).status_code == 302
    replay = client.get(callback)
    _refused(replay, db_session, "state_mismatch", 400, "already used")


def test_wrong_nonce_is_refused(client, db_session, orgs, provider_a):
    provider_a.add_user("eve-3", email="eve3@alpha.example")
    response = sign_in(client, "alpha", "eve-3",
                       alter_authorize_url=lambda url: with_query(url, nonce="attacker-nonce"))
    _refused(response, db_session, "nonce_mismatch", 400, "nonce mismatch")
    assert client.get("/").status_code == 302


def test_token_from_org_bs_issuer_is_refused_at_org_as_callback(client, db_session, orgs, provider_a, provider_b):
    provider_a.add_user("eve-4", email="eve4@alpha.example")

    def from_b(claims):
        claims["iss"] = provider_b.issuer

    # Signed with B's own key, as B would: A's keys do not verify it.
    with provider_a.tampering(from_b, sign_with=provider_b.key):
        response = sign_in(client, "alpha", "eve-4")
    _refused(response, db_session, "bad_signature", 400, "not signed with the provider")
    # Even signed with A's key, B's issuer is not A's.
    with provider_a.tampering(from_b):
        response = sign_in(client, "alpha", "eve-4")
    _refused(response, db_session, "wrong_issuer", 400, "issued by another identity provider")


def test_expired_token_is_refused(client, db_session, orgs, provider_a):
    provider_a.add_user("eve-5", email="eve5@alpha.example")

    def expired(claims):
        claims["iat"] = int(time.time()) - 7200
        claims["exp"] = int(time.time()) - 3600

    with provider_a.tampering(expired):
        response = sign_in(client, "alpha", "eve-5")
    _refused(response, db_session, "token_expired", 400, "expired")


def test_wrong_audience_is_refused(client, db_session, orgs, provider_a):
    provider_a.add_user("eve-6", email="eve6@alpha.example")
    with provider_a.tampering(lambda claims: claims.update(aud="some-other-application")):
        response = sign_in(client, "alpha", "eve-6")
    _refused(response, db_session, "wrong_audience", 400, "issued for another application")
    # An authorized party naming Engage does not make up for an audience that does not.
    with provider_a.tampering(lambda claims: claims.update(aud="some-other-application",
                                                           azp="engage-alpha")):
        response = sign_in(client, "alpha", "eve-6")
    _refused(response, db_session, "wrong_audience", 400, "issued for another application")


def test_email_domain_not_allowed(client, db_session, orgs, provider_a):
    provider_a.add_user("eve-7", email="eve@gmail.example")
    response = sign_in(client, "alpha", "eve-7")
    _refused(response, db_session, "domain_not_allowed", 403, "does not allow sign-in with gmail.example")
    assert _user(db_session, "eve@gmail.example")[0] is None


def test_a_user_belongs_to_the_organisation_whose_issuer_authenticated_them(
    client, db_session, orgs, provider_a, provider_b
):
    provider_b.add_user("bob", email="bob@beta.example")
    assert sign_in(client, "beta", "bob").status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    # Another organisation, no domain restriction, whose provider also vouches for bob:
    with tenancy.system_scope("test", db_session):
        gamma = f.organisation("gamma")
        db_session.commit()
    configure(db_session, gamma, provider_a.issuer)
    provider_a.add_user("bob-at-a", email="bob@beta.example")
    response = sign_in(client, "gamma", "bob-at-a")
    _refused(response, db_session, "other_organisation", 403, "belongs to another organisation")
    assert _user(db_session, "bob@beta.example")[2] == orgs.b.id


def test_provider_down_gives_a_clean_error_page(client, db_session, orgs):
    with tenancy.system_scope("test", db_session):
        down = f.organisation("downco")
        db_session.commit()
    configure(db_session, down, "http://localhost:9")  # discard port: nothing listens
    response = client.get("/login/downco")
    _refused(response, db_session, "provider_unreachable", 503, "cannot be reached")


def test_provider_down_between_redirect_and_callback(client, db_session, orgs):
    from tests.oidc_support import Provider

    flaky = Provider("flaky")
    with tenancy.system_scope("test", db_session):
        org = f.organisation("flaky")
        db_session.commit()
    configure(db_session, org, flaky.issuer)
    flaky.add_user("ann", email="ann@flaky.example")
    callback = authorize_at_provider(client.get("/login/flaky").headers["Location"], "ann")
    flaky.stop()
    response = client.get(callback)
    _refused(response, db_session, "provider_unreachable", 503, "cannot be reached")


def test_provider_error_response_is_shown(client, db_session, orgs):
    location = client.get("/login/alpha").headers["Location"]
    state = parse_qs(urlsplit(location).query)["state"][0]
    response = client.get(f"/auth/alpha/callback?error=access_denied&error_description=User+said+no&state={state}")
    _refused(response, db_session, "provider_error:access_denied", 400, "User said no")


def test_unknown_organisation_and_unconfigured_sso_are_404(client, db_session, orgs):
    assert client.get("/login/nobody").status_code == 404
    with tenancy.system_scope("test", db_session):
        f.organisation("nosso")
        db_session.commit()
    response = client.get("/login/nosso")
    assert response.status_code == 404
    assert "There is no sign-in at this address" in response.get_data(as_text=True)


def test_logout_ends_both_sessions(client, db_session, orgs, provider_a):
    provider_a.add_user("ann-9", email="ann9@alpha.example")
    sign_in(client, "alpha", "ann-9")
    response = client.post("/logout", data={"csrf_token": csrf_token(client)})
    target = urlsplit(continued_to(response))
    assert f"{target.scheme}://{target.netloc}" == provider_a.issuer
    assert target.path == "/oauth2/end_session"
    query = parse_qs(target.query)
    assert query["id_token_hint"][0].count(".") == 2
    assert query["post_logout_redirect_uri"] == ["http://localhost/logged-out"]
    assert client.get("/").status_code == 302
    assert len(audit_events(db_session, "auth.logout")) == 1


def test_logout_needs_the_csrf_token(client, db_session, orgs, provider_a):
    provider_a.add_user("ann-10", email="ann10@alpha.example")
    sign_in(client, "alpha", "ann-10")
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200  # still signed in


def test_deactivated_user_is_signed_out_and_refused(client, db_session, orgs, provider_a):
    provider_a.add_user("gone", email="gone@alpha.example")
    sign_in(client, "alpha", "gone")
    with tenancy.system_scope("test", db_session):
        db_session.scalar(sa.select(User).where(User.email == "gone@alpha.example")).is_active = False
        db_session.commit()
    assert client.get("/").status_code == 302
    _refused(sign_in(client, "alpha", "gone"), db_session, "deactivated", 403, "deactivated")


def test_htmx_request_without_session_gets_401_and_a_redirect_header(client, db_session):
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login"
