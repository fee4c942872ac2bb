"""Hole 6: a new subject at the organisation's provider, carrying an existing admin's
e-mail address, signed in as that admin — and its group claim then demoted the
organisation's only admin.

The rules now: an account is its (issuer, subject). An e-mail match may link a new identity
only to an account that has none yet (invited by e-mail, never signed in); any other
subject with that address is refused until an admin resets the account's sign-in. Sign-in
never leaves an organisation without an active admin. Each decision is in the audit trail.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from engage import tenancy
from engage.auth import service as sso
from engage.auth.models import Identity
from engage.db import utcnow
from engage.organisations.models import Organisation, OrgMembership, OrgRole, User
from tests import factories as f
from tests.auth.conftest import audit_events, refusal_reasons
from tests.oidc_support import csrf_token, sign_in


@pytest.fixture
def coalition(db_session, provider):
    """Organisation ``coal`` signs in at the provider; its groups claim maps roles."""
    with tenancy.system_scope("test", db_session):
        org = f.organisation("coal")
        org_id = org.id
        db_session.commit()
    with tenancy.as_organisation(org_id, db_session):
        sso.configure(db_session, db_session.get(Organisation, org_id), sso.SsoSettings(
            issuer=provider.issuer, client_id="engage-coal", client_secret="s",
            domains=["coal.example"], role_claim="groups",
            role_map={"admin": ["admins"], "viewer": ["readers"]}), actor_id=None, now=utcnow())
        db_session.commit()
    return org_id


def _signed_in_once(client, provider, sub, email, groups):
    provider.add_user(sub, email=email, email_verified=True, groups=groups)
    assert sign_in(client, "coal", sub).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client)})


def _account(db_session, email):
    with tenancy.system_scope("test", db_session):
        user = db_session.scalar(sa.select(User).where(User.email == email))
        role = db_session.scalar(sa.select(OrgMembership.role).where(OrgMembership.user_id == user.id))
        subjects = sorted(db_session.scalars(
            sa.select(Identity.subject).where(Identity.user_id == user.id)).all())
        return user.id, role, subjects


# The same address as the provider may hand it out again: case, spaces.
EMAIL_FORMS = ["boss@coal.example", "BOSS@coal.example", "Boss@Coal.Example", " boss@coal.example ",
               "boss@COAL.EXAMPLE"]
# Claims the newcomer brings: none, the admins group, a demoting group.
NEWCOMER_GROUPS = [[], ["admins"], ["readers"]]


@pytest.mark.parametrize("groups", NEWCOMER_GROUPS)
@pytest.mark.parametrize("email", EMAIL_FORMS)
def test_a_new_subject_with_an_admins_address_is_refused(client, db_session, provider, coalition,
                                                         email, groups):
    _signed_in_once(client, provider, "boss-1", "boss@coal.example", ["admins"])
    provider.add_user("impostor-2", email=email, email_verified=True, groups=groups)
    response = sign_in(client, "coal", "impostor-2")
    assert response.status_code == 403
    assert "already exists and signs in with another identity" in response.get_data(as_text=True)
    assert refusal_reasons(db_session)[-1] == "identity_conflict"
    user_id, role, subjects = _account(db_session, "boss@coal.example")
    assert role is OrgRole.ADMIN and subjects == ["boss-1"]
    assert client.get("/").status_code in (302, 401)  # not signed in


def test_an_invited_account_is_bound_by_its_first_sign_in_and_only_that(client, db_session,
                                                                       provider, coalition):
    with tenancy.system_scope("test", db_session):
        invited = f.user(db_session.get(Organisation, coalition), OrgRole.MEMBER,
                         email="new.analyst@coal.example")
        invited_id = invited.id
        db_session.commit()
    _signed_in_once(client, provider, "analyst-1", "new.analyst@coal.example", [])
    assert _account(db_session, "new.analyst@coal.example") == (invited_id, OrgRole.MEMBER, ["analyst-1"])
    linked = audit_events(db_session, "auth.identity_linked")
    assert [(e.object_id, e.after["subject"]) for e in linked] == [(str(invited_id), "analyst-1")]
    # A later, different subject with the same address is refused.
    provider.add_user("analyst-2", email="new.analyst@coal.example", email_verified=True)
    assert sign_in(client, "coal", "analyst-2").status_code == 403
    assert refusal_reasons(db_session)[-1] == "identity_conflict"


def test_an_admin_reset_lets_the_next_identity_link(client, db_session, provider, coalition):
    from tests.conftest import login_as

    _signed_in_once(client, provider, "old-sub", "moved@coal.example", [])
    user_id, _, _ = _account(db_session, "moved@coal.example")
    with tenancy.system_scope("test", db_session):
        admin = f.user(db_session.get(Organisation, coalition), OrgRole.ADMIN)
        admin_id = admin.id
        db_session.commit()
    admin_client = client.application.test_client()
    login_as(admin_client, type("U", (), {"id": admin_id}), type("O", (), {"id": coalition, "slug": "coal"}))
    from flask import g

    g.pop("csrf_token", None)  # the test's app context outlives requests: forget the last token
    response = admin_client.post(f"/organisation/users/{user_id}/reset-sign-in",
                                 data={"csrf_token": csrf_token(admin_client)})
    assert response.status_code == 303
    assert [e.object_id for e in audit_events(db_session, "auth.sign_in_reset")] == [str(user_id)]
    _signed_in_once(client, provider, "new-sub", "moved@coal.example", [])
    assert _account(db_session, "moved@coal.example") == (user_id, OrgRole.MEMBER, ["new-sub"])


def test_only_an_admin_resets_sign_in_and_only_in_their_organisation(client, db_session, provider,
                                                                     coalition):
    from tests.conftest import login_as

    with tenancy.system_scope("test", db_session):
        org = db_session.get(Organisation, coalition)
        member = f.user(org, OrgRole.MEMBER)
        other_org = f.organisation("elsewhere")
        stranger = f.user(other_org, OrgRole.MEMBER)
        other_admin = f.user(other_org, OrgRole.ADMIN)
        ids = member.id, stranger.id, other_admin.id, other_org.id
        db_session.commit()
    login_as(client, type("U", (), {"id": ids[0]}), type("O", (), {"id": coalition, "slug": "coal"}))
    assert client.post(f"/organisation/users/{ids[0]}/reset-sign-in",
                       data={"csrf_token": csrf_token(client)}).status_code == 403
    login_as(client, type("U", (), {"id": ids[2]}), type("O", (), {"id": ids[3], "slug": "elsewhere"}))
    assert client.post(f"/organisation/users/{ids[0]}/reset-sign-in",
                       data={"csrf_token": csrf_token(client)}).status_code == 404


@pytest.mark.parametrize("claimed", [["readers"], [], ["unknown-group"]])
def test_sign_in_never_demotes_the_last_active_admin(client, db_session, provider, coalition,
                                                     claimed):
    _signed_in_once(client, provider, "only-admin", "only@coal.example", ["admins"])
    with tenancy.system_scope("test", db_session):  # another admin, but deactivated
        gone = f.user(db_session.get(Organisation, coalition), OrgRole.ADMIN)
        gone.is_active = False
        db_session.commit()
    _signed_in_once(client, provider, "only-admin", "only@coal.example", claimed)
    assert _account(db_session, "only@coal.example")[1] is OrgRole.ADMIN
    kept = audit_events(db_session, "auth.role_kept")
    assert kept and kept[-1].after["reason"] == "last_admin"


def test_sign_in_demotes_an_admin_when_another_active_admin_remains(client, db_session, provider,
                                                                    coalition):
    _signed_in_once(client, provider, "adm-a", "a@coal.example", ["admins"])
    _signed_in_once(client, provider, "adm-b", "b@coal.example", ["admins"])
    _signed_in_once(client, provider, "adm-a", "a@coal.example", ["readers"])
    assert _account(db_session, "a@coal.example")[1] is OrgRole.VIEWER
    changed = audit_events(db_session, "auth.role_from_claim")[-1]
    assert changed.before == {"role": "admin"} and changed.after == {"role": "viewer"}
    # b is now the only admin: b's own claim cannot demote b.
    _signed_in_once(client, provider, "adm-b", "b@coal.example", [])
    assert _account(db_session, "b@coal.example")[1] is OrgRole.ADMIN
