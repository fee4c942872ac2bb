"""Sessions that end (engage.auth.sessions): a copy of the session cookie stops working
after logout, deactivation, a role change, "sign out everywhere", the idle timeout and the
absolute one."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from engage import clock, tenancy
from engage.audit.models import AuditEvent
from engage.db import utcnow
from engage.organisations.models import OrgMembership, OrgRole, User
from tests import factories as f
from tests.conftest import login_ids
from tests.oidc_support import continued_to, csrf_token as _page_token
from tests.oidc_support import sign_in


def csrf_token(client) -> str:
    """The client's own CSRF token. The tests' requests share one app context, where
    Flask-WTF keeps the last token it made (another browser's): forget it first."""
    from flask import g

    g.pop("csrf_token", None)
    return _page_token(client)


def _copy(app, client):
    """A second browser holding a copy of ``client``'s session cookie (a stolen cookie)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _signed_in(client) -> bool:
    response = client.get("/profile")
    assert response.status_code in (200, 302), response.status_code
    return response.status_code == 200


def _ended(db_session, user_id):
    with tenancy.system_scope("test", db_session):
        return [e.after for e in db_session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "auth.sessions_ended",
                                        AuditEvent.object_id == str(user_id))
            .order_by(AuditEvent.id))]


@pytest.fixture
def team(db_session):
    with tenancy.system_scope("test", db_session):
        org, other = f.organisation(), f.organisation()
        users = {"admin": f.user(org, OrgRole.ADMIN), "member": f.user(org, OrgRole.MEMBER),
                 "viewer": f.user(org, OrgRole.VIEWER), "outsider": f.user(other, OrgRole.ADMIN)}
        ids = {name: (u.id, u.membership.organisation_id if u.membership else None)
               for name, u in users.items()}
        slugs = {org.id: org.slug, other.id: other.slug}
        db_session.commit()
    return {name: (uid, oid, slugs[oid]) for name, (uid, oid) in ids.items()}


def _browser(app, team, who):
    client = app.test_client()
    login_ids(client, *team[who])
    return client


def test_a_cookie_copied_before_logout_is_refused_after_it(app, client, db_session, orgs,
                                                          provider_a):
    provider_a.add_user("sess-1", email="sess1@alpha.example")
    assert sign_in(client, "alpha", "sess-1").status_code == 302
    thief = _copy(app, client)
    assert _signed_in(thief)
    # Signed out here, the page goes on to end the provider's session too.
    out = client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert continued_to(out).startswith(provider_a.issuer)
    assert not _signed_in(client)
    assert not _signed_in(thief)
    # Signing in again starts a new session; the old copy stays dead.
    assert sign_in(client, "alpha", "sess-1").status_code == 302
    assert _signed_in(client) and not _signed_in(thief)


def test_deactivation_ends_every_session_at_once(app, db_session, team):
    admin, member = _browser(app, team, "admin"), _browser(app, team, "member")
    thief = _copy(app, member)
    response = admin.post(f"/organisation/users/{team['member'][0]}/active",
                          data={"active": "0", "csrf_token": csrf_token(admin)})
    assert response.status_code == 303
    assert not _signed_in(member) and not _signed_in(thief)
    assert _ended(db_session, team["member"][0])[-1] == {"reason": "deactivated", "sessions": 1}
    # Reactivated: still signed out, until they sign in again.
    admin.post(f"/organisation/users/{team['member'][0]}/active",
               data={"active": "1", "csrf_token": csrf_token(admin)})
    assert not _signed_in(thief)
    with tenancy.system_scope("test", db_session):
        assert db_session.get(User, team["member"][0]).is_active


def test_a_role_change_ends_the_sessions_under_the_old_role(app, db_session, team):
    admin, member = _browser(app, team, "admin"), _browser(app, team, "member")
    thief = _copy(app, member)
    response = admin.post(f"/organisation/users/{team['member'][0]}/role",
                          data={"role": "viewer", "csrf_token": csrf_token(admin)})
    assert response.status_code == 303
    assert not _signed_in(member) and not _signed_in(thief)
    assert _ended(db_session, team["member"][0])[-1] == {"reason": "role_changed", "sessions": 1}
    again = _browser(app, team, "member")
    assert ">viewer<" in again.get("/profile").get_data(as_text=True).lower()


def test_sign_out_everywhere_from_ones_own_profile(app, db_session, team):
    laptop, phone = _browser(app, team, "viewer"), _browser(app, team, "viewer")
    html = laptop.get("/profile").get_data(as_text=True)
    assert 'action="/sessions/end-all"' in html
    response = laptop.post("/sessions/end-all", data={"csrf_token": csrf_token(laptop)})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert not _signed_in(laptop) and not _signed_in(phone)
    assert _ended(db_session, team["viewer"][0])[-1] == {"reason": "sign_out_everywhere",
                                                         "sessions": 2}


def test_an_admin_signs_a_member_out_everywhere(app, db_session, team):
    admin, member = _browser(app, team, "admin"), _browser(app, team, "member")
    assert 'action="/organisation/users/%d/sign-out"' % team["member"][0] in \
        admin.get("/organisation/users").get_data(as_text=True)
    response = admin.post(f"/organisation/users/{team['member'][0]}/sign-out",
                          data={"csrf_token": csrf_token(admin)})
    assert response.status_code == 303
    assert not _signed_in(member) and _signed_in(admin)
    assert _ended(db_session, team["member"][0])[-1] == {"reason": "signed_out_by_admin",
                                                         "sessions": 1}
    # Another organisation's person is not there to sign out; a member may not do it.
    assert admin.post(f"/organisation/users/{team['outsider'][0]}/sign-out",
                      data={"csrf_token": csrf_token(admin)}).status_code == 404
    other = _browser(app, team, "member")
    assert other.post(f"/organisation/users/{team['admin'][0]}/sign-out",
                      data={"csrf_token": csrf_token(other)}).status_code == 403
    assert _signed_in(admin)


def test_nobody_deactivates_themselves_or_the_last_admin(app, db_session, team):
    admin = _browser(app, team, "admin")
    admin.post(f"/organisation/users/{team['admin'][0]}/active",
               data={"active": "0", "csrf_token": csrf_token(admin)})
    assert _signed_in(admin)
    with tenancy.system_scope("test", db_session):
        assert db_session.get(User, team["admin"][0]).is_active


@pytest.mark.parametrize("path,data", [
    ("/sessions/end-all", {}),
    ("/organisation/users/{member}/sign-out", {}),
    ("/organisation/users/{member}/active", {"active": "0"}),
])
def test_the_new_forms_need_the_csrf_token(app, db_session, team, path, data):
    admin, member = _browser(app, team, "admin"), _browser(app, team, "member")
    response = admin.post(path.format(member=team["member"][0]), data=data)
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert _signed_in(admin) and _signed_in(member)
    assert _ended(db_session, team["member"][0]) == []


def test_the_idle_timeout_with_a_given_clock(app, db_session, team, monkeypatch):
    idle = app.config["ENGAGE_SESSION_IDLE"]
    start = utcnow()
    browser = _browser(app, team, "member")
    monkeypatch.setattr(clock, "now", lambda: start + idle - timedelta(minutes=1))
    assert _signed_in(browser)  # used just in time: the idle clock starts again
    monkeypatch.setattr(clock, "now", lambda: start + 2 * idle - timedelta(minutes=2))
    assert _signed_in(browser)
    thief = _copy(app, browser)
    monkeypatch.setattr(clock, "now", lambda: start + 3 * idle)
    assert not _signed_in(browser) and not _signed_in(thief)


def test_the_absolute_timeout_however_busy(app, db_session, team, monkeypatch):
    lifetime, idle = app.config["PERMANENT_SESSION_LIFETIME"], app.config["ENGAGE_SESSION_IDLE"]
    start = utcnow()
    browser = _browser(app, team, "member")
    at = start
    while at + idle / 2 < start + lifetime:
        at += idle / 2
        monkeypatch.setattr(clock, "now", lambda at=at: at)
        assert _signed_in(browser), at - start
    monkeypatch.setattr(clock, "now", lambda: start + lifetime + timedelta(seconds=1))
    assert not _signed_in(browser)


def test_a_cookie_without_a_server_side_session_is_refused(app, db_session, team):
    """A cookie signed with the right key but naming no session (as every cookie did before
    sessions were kept on the server) no longer signs anyone in."""
    browser = app.test_client()
    user_id, org_id, slug = team["admin"]
    with browser.session_transaction() as session:
        session.update(user_id=user_id, org_id=org_id, sso=slug, seen=int(utcnow().timestamp()))
    assert not _signed_in(browser)
    with browser.session_transaction() as session:
        session.update(user_id=user_id, org_id=org_id, sso=slug, sid="guessed",
                       seen=int(utcnow().timestamp()))
    assert not _signed_in(browser)


def test_the_role_is_read_from_the_database_not_the_cookie(app, db_session, team):
    """Even without the session ending, a role change never rides on an old cookie."""
    member = _browser(app, team, "member")
    with tenancy.system_scope("test", db_session):
        db_session.execute(sa.update(OrgMembership).where(OrgMembership.user_id == team["member"][0])
                           .values(role=OrgRole.VIEWER))
        db_session.commit()
    response = member.post("/sessions/end-all", data={"csrf_token": csrf_token(member)})
    assert response.status_code == 303  # a viewer may still sign out everywhere
