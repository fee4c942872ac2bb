"""Sign-in through each organisation's identity provider, and sign-out."""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from engage import clock, security, tenancy
from engage.audit import service as audit
from engage.auth import failures, oidc, service, sessions
from engage.auth.hosts import external_url
from engage.auth.models import SsoConfig
from engage.auth.service import LoginRefused
from engage.db import writes
from engage.extensions import db, limiter
from engage.ratelimits import client_address, message, setting
from engage.organisations.models import Organisation

bp = Blueprint("auth", __name__)

PICKER_LIMIT = 200
# Per client address. Starting a sign-in (the picker's POST, /login/<slug>) makes the
# server fetch the provider's discovery document: one shared budget for both.
_sign_in_limit = limiter.shared_limit(setting("ENGAGE_RATE_LIMIT_SIGN_IN"), scope="sign-in",
                                      error_message=message)
_callback_limit = limiter.limit(setting("ENGAGE_RATE_LIMIT_CALLBACK"), error_message=message)


def _no_sign_in() -> None:
    """One answer for an unknown slug and for an organisation without sign-in, so the
    sign-in addresses tell no more about who uses Engage than the picker lists."""
    abort(404, description=_("There is no sign-in at this address. Choose your organisation "
                             "on the sign-in page, or enter your work e-mail address there."))


def _organisation(slug: str) -> Organisation:
    from engage.organisations.service import SLUG

    # Not a slug (a NUL byte, 2 KB of text…) is not a database question: same 404.
    if not SLUG.match(slug):
        _no_sign_in()
    org = db.session.scalar(sa.select(Organisation).where(Organisation.slug == slug))
    if org is None:
        _no_sign_in()
    # Detached and fully loaded: the scope switches, commits and rollbacks of the sign-in
    # neither expire it nor need it in the session.
    db.session.expunge(org)
    return org


def _sso(org: Organisation) -> SsoConfig:
    """The organisation's configuration; call inside its scope."""
    config = db.session.scalar(sa.select(SsoConfig).where(SsoConfig.organisation_id == org.id))
    if config is None or not config.enabled:
        _no_sign_in()
    return config


def _refused(org: Organisation, exc: LoginRefused, email: str | None = None):
    db.session.rollback()  # ``org`` is detached (see _organisation): it stays readable
    with tenancy.system_scope("sign-in"):
        # Counted, and audited at the first of the hour and every power of ten: anonymous
        # refusals cannot grow the append-only trail without bound (engage.auth.failures).
        failures.record(db.session, organisation_id=org.id, client=client_address(),
                        reason=exc.code, email=email, now=clock.now())
        db.session.commit()
    current_app.logger.warning("sign-in refused for %s: %s", org.slug, exc.code)
    return render_template("auth/refused.html", organisation=org, message=exc.message), exc.status


def _continue_to_sign_in(name: str, slug: str):
    """From the sign-in form on to the organisation's provider, by way of a page of ours
    (``auth/continue.html`` says why a redirect cannot)."""
    return render_template(
        "auth/continue.html", target=url_for("auth.start", slug=slug),
        heading=_("Sign in"),
        message=_("Continuing to the sign-in of %(name)s…", name=name))


@bp.route("/login", methods=["GET", "POST"])
@security.public
@limiter.shared_limit(setting("ENGAGE_RATE_LIMIT_SIGN_IN"), scope="sign-in", methods=["POST"],
                      error_message=message)
def login():
    if security.current_user:
        return redirect(url_for("core.home"))
    target = security.safe_next(request.values.get("next"))
    if target:
        session["login_next"] = target
    error = None
    if request.method == "POST":
        slug = request.form.get("organisation", "").strip()
        email = request.form.get("email", "").strip()
        if email:
            with tenancy.system_scope("sign-in"):
                org = service.organisation_for_email(db.session, email)
            if org is not None:
                return _continue_to_sign_in(org.name, org.slug)
            error = _("No organisation on Engage signs in with the address %(email)s. Choose "
                      "your organisation from the list, or ask your administrator.", email=email)
        elif slug:
            return _continue_to_sign_in(slug, slug)
        else:
            error = _("Enter your work e-mail address or choose your organisation.")
    with tenancy.system_scope("sign-in"):
        choices = service.sign_in_choices(db.session, PICKER_LIMIT + 1)
    return render_template(
        "auth/login.html",
        choices=choices[:PICKER_LIMIT],
        more=len(choices) > PICKER_LIMIT,
        error=error,
    ), (400 if error else 200)


@bp.get("/login/<slug>")
@writes  # a refused sign-in is counted
@security.public
@_sign_in_limit
def start(slug: str):
    org = _organisation(slug)
    redirect_uri = external_url("auth.callback", slug=org.slug)
    try:
        with tenancy.as_organisation(org.id):
            return oidc.authorize_redirect(org, _sso(org), redirect_uri)
    except LoginRefused as exc:
        return _refused(org, exc)


@bp.get("/auth/<slug>/callback")
@writes  # signs the person in: their user, identity and session
@security.public
@_callback_limit
def callback(slug: str):
    org = _organisation(slug)
    email = None
    try:
        with tenancy.as_organisation(org.id):
            config = _sso(org)
            result = oidc.finish(org, config)
            email = result["claims"].get("email")
            now = clock.now()
            user = service.complete_login(db.session, org, config, result["claims"], now=now)
            user_id = user.id
            audit.set_actor(user_id)
            audit.record("auth.login", object_type="user_account", object_id=user_id,
                         after={"issuer": config.issuer}, organisation_id=org.id)
            key = sessions.start(db.session, user_id, now=now,
                                 lifetime=current_app.config["PERMANENT_SESSION_LIFETIME"])
            db.session.commit()
    except LoginRefused as exc:
        return _refused(org, exc, email)
    target = security.sign_in(user_id, org.id, sso_slug=org.slug, id_token=result["id_token"],
                              key=key, now=now)
    return redirect(target or url_for("core.home"))


@bp.post("/logout")
def logout():
    principal = security.current_principal
    id_token, slug = session.get("id_token"), session.get("sso")
    if principal is not None:
        # Ended on the server: a copy of this cookie is refused from now on.
        sessions.end(db.session, session.get("sid"), now=clock.now(), reason="logout")
        audit.record("auth.logout", object_type="user_account", object_id=principal.user.id,
                     organisation_id=principal.organisation.id)
        db.session.commit()
    session.clear()
    provider_logout = None
    if slug:
        org = db.session.scalar(sa.select(Organisation).where(Organisation.slug == slug))
        if org is not None:
            with tenancy.as_organisation(org.id):
                config = db.session.scalar(
                    sa.select(SsoConfig).where(SsoConfig.organisation_id == org.id)
                )
                if config is not None:
                    provider_logout = oidc.logout_url(
                        org, config, id_token, external_url("auth.logged_out")
                    )
    if provider_logout and urlsplit(provider_logout).scheme in ("http", "https"):
        return render_template(
            "auth/continue.html", target=provider_logout, heading=_("Signed out"),
            message=_("You are signed out of Engage. Now signing you out at your "
                      "organisation's identity provider…"))
    return redirect(url_for("auth.logged_out"))


@bp.post("/sessions/end-all")
def sign_out_everywhere():
    """The signed-in person ends every session of theirs, this one included (a lost
    laptop, a shared computer)."""
    principal = security.current_principal
    sessions.end_all(db.session, principal.user.id, now=clock.now(),
                     reason="sign_out_everywhere", organisation_id=principal.organisation.id)
    db.session.commit()
    session.clear()
    flash(_("You are signed out of Engage on every device."), "info")
    return redirect(url_for("auth.login")), 303


@bp.get("/logged-out")
@security.public
def logged_out():
    if security.current_user:
        return redirect(url_for("core.home"))
    flash(_("You are signed out of Engage."), "info")
    return redirect(url_for("auth.login"))
