"""The organisation's own settings: its people and roles, and its single sign-on."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from engage import clock
from engage.auth import service as sso
from engage.auth.hosts import external_url
from engage.auth.models import SsoConfig
from engage.common.answer import answer_write
from engage.common.forms import parse_choice
from engage.common.paging import current_page
from engage.db import utcnow
from engage.extensions import db
from engage.organisations import service
from engage.organisations.models import OrgMembership, OrgRole
from engage.security import (
    Permission,
    current_org,
    current_user,
    load_or_404,
    one_or_404,
    requires,
)

bp = Blueprint("organisations", __name__, url_prefix="/organisation")


def load_member(user_id: int) -> OrgMembership:
    """A member of the signed-in organisation; anyone else is 404."""
    return one_or_404(service.membership_query(current_org.id, user_id))


def _users_page(errors: dict[str, str] | None = None) -> str:
    for text in (errors or {}).values():
        flash(text, "error")
    page = current_page()
    rows, total = service.members(db.session, current_org.id, page=page.number, per_page=page.size)
    return render_template("organisations/users.html", rows=rows, total=total, page=page.number,
                           pages=page.count(total), roles=list(OrgRole))


@bp.get("/users")
@requires(Permission.READ)
def users():
    return _users_page()


@bp.post("/users/<int:user_id>/role")
@requires(Permission.ADMIN, load=load_member)
def change_role(member: OrgMembership):
    def write() -> None:
        errors: dict[str, str] = {}
        role = parse_choice(request.form.get("role", ""), OrgRole, "role", errors)
        if errors:
            raise service.OrganisationError(errors)
        service.change_role(db.session, member, role, now=clock.now())

    return answer_write(write, page=_users_page, redirect_to=lambda _done: url_for(".users"),
                        message=_("Role changed."))


@bp.post("/users/<int:user_id>/active")
@requires(Permission.ADMIN, load=load_member)
def set_active(member: OrgMembership):
    active, name = request.form.get("active") == "1", member.user.name
    return answer_write(
        lambda: service.set_active(db.session, member, active, actor_id=current_user.id,
                                   now=clock.now()),
        page=_users_page, redirect_to=lambda _done: url_for(".users"),
        message=(_("%(name)s can sign in again.", name=name) if active else
                 _("%(name)s is deactivated and signed out everywhere.", name=name)))


@bp.post("/users/<int:user_id>/sign-out")
@requires(Permission.ADMIN, load=load_member)
def sign_out(member: OrgMembership):
    name = member.user.name
    return answer_write(
        lambda: service.sign_out(db.session, member, now=clock.now()),
        page=_users_page, redirect_to=lambda _done: url_for(".users"),
        message=lambda ended: ngettext("%(name)s is signed out of %(num)d session.",
                                       "%(name)s is signed out of %(num)d sessions.", ended,
                                       name=name))


@bp.post("/users/<int:user_id>/reset-sign-in")
@requires(Permission.ADMIN, load=load_member)
def reset_sign_in(member: OrgMembership):
    from engage.audit import service as audit

    forgotten = service.reset_sign_in(db.session, member)
    audit.record("auth.sign_in_reset", object_type="user_account", object_id=member.user_id,
                 after={"identities": forgotten}, organisation_id=current_org.id)
    db.session.commit()
    flash(_("Sign-in reset: the next sign-in with this person's e-mail address links their "
            "identity at your provider."), "info")
    return redirect(url_for(".users")), 303


def _form_settings(form) -> sso.SsoSettings:
    secret = form.get("client_secret", "").strip()
    try:
        default_role = OrgRole(form.get("default_role", "member"))
    except ValueError:
        raise sso.SsoConfigError({"default_role": _("choose admin, member or viewer")})
    # The form never names a server variable for the secret (``client_secret_env`` is the
    # operator's, see sso.secret_env_name): an admin types a secret, or keeps what is stored.
    return sso.SsoSettings(
        issuer=form.get("issuer", ""),
        client_id=form.get("client_id", ""),
        client_secret=secret or None,
        keep_secret=not secret,
        public_client=not secret and bool(form.get("public_client")),
        domains=sso.parse_domains(form.get("domains", "")),
        default_role=default_role,
        role_claim=form.get("role_claim", "").strip() or None,
        role_map=sso.parse_role_map([form.get("role_map", "")]),
        enabled=bool(form.get("enabled")),
    )


@bp.route("/sso", methods=["GET", "POST"])
@requires(Permission.ADMIN)
def sso_settings():
    config = db.session.scalar(
        sa.select(SsoConfig).where(SsoConfig.organisation_id == current_org.id)
    )
    errors: dict[str, str] = {}
    form = request.form
    if request.method == "POST":
        try:
            settings = _form_settings(form)
            config = sso.configure(db.session, current_org, settings,
                                   actor_id=current_user.id, now=utcnow())
        except sso.SsoConfigError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            issuer = config.issuer
            db.session.commit()
            flash(_("Single sign-on settings saved."), "info")
            problem = sso.discovery_problem(issuer)
            if problem:
                flash(_("Saved, but the provider at %(issuer)s is not usable yet: %(problem)s.",
                        issuer=issuer, problem=problem), "error")
            return redirect(url_for(".sso_settings")), 303
    return render_template(
        "organisations/sso.html",
        config=config,
        form=form if errors else None,
        errors=errors,
        roles=list(OrgRole),
        callback_url=external_url("auth.callback", slug=current_org.slug),
    ), (400 if errors else 200)


# --- API tokens -------------------------------------------------------------------------------


def load_token(token_id: int):
    from engage.organisations.models import ApiToken

    return load_or_404(ApiToken, token_id)


def _tokens_page(*, new_token=None, errors=None, form=None, status=200):
    from engage.organisations.tokens import tokens_query

    rows = db.session.execute(tokens_query(current_org.id)).all()
    response = make_response(render_template(
        "organisations/tokens.html", rows=rows, new_token=new_token, errors=errors or {},
        form=form or {}), status)
    # The page may show a new token once: keep it out of every cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/tokens")
@requires(Permission.ADMIN)
def tokens():
    return _tokens_page()


@bp.post("/tokens")
@requires(Permission.ADMIN)
def create_token():
    from engage.organisations.tokens import TokenError
    from engage.organisations.tokens import create_token as create

    try:
        new = create(db.session, organisation=current_org, name=request.form.get("name", ""),
                     scope=request.form.get("scope", ""), created_by=current_user)
    except TokenError as exc:
        db.session.rollback()
        return _tokens_page(errors={"name": str(exc)}, form=request.form, status=400)
    db.session.commit()
    return _tokens_page(new_token=new.secret, status=201)


@bp.post("/tokens/<int:token_id>/revoke")
@requires(Permission.ADMIN, load=load_token)
def revoke_token(token):
    from engage.organisations.tokens import revoke_token as revoke

    def page(errors: dict[str, str]):
        for text in errors.values():
            flash(text, "error")
        return _tokens_page()

    return answer_write(lambda: revoke(token, now=utcnow()), page=page,
                        redirect_to=lambda _done: url_for(".tokens"),
                        message=_("Token revoked: requests with it are refused from now on."))
