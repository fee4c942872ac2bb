"""Organisations and their people. Memberships are looked up by organisation here, never
ad hoc in a view."""

from __future__ import annotations

import re
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from engage.common.forms import FormError
from engage.organisations.models import (
    Organisation,
    OrganisationKind,
    OrgMembership,
    OrgRole,
    User,
)

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class OrganisationError(FormError):
    """A request about an organisation that cannot be carried out; the message says why."""


def create_organisation(
    session: Session, *, slug: str, name: str, kind: OrganisationKind, aum_eur=None
) -> Organisation:
    slug = slug.strip().lower()
    if not SLUG.match(slug):
        raise OrganisationError(
            _("“%(slug)s” is not a valid slug: lowercase letters, digits and hyphens, 1–63 "
              "characters, not starting or ending with a hyphen", slug=slug)
        )
    if not name.strip():
        raise OrganisationError(_("the organisation needs a name"))
    if session.scalar(sa.select(Organisation.id).where(Organisation.slug == slug)):
        raise OrganisationError(_("an organisation with slug “%(slug)s” already exists", slug=slug))
    org = Organisation(slug=slug, name=name.strip(), kind=kind, aum_eur=aum_eur)
    session.add(org)
    session.flush()
    return org


def members(session: Session, organisation_id: int, *, page: int, per_page: int):
    """One page of (user, role), by name, and the total."""
    base = (
        sa.select(User, OrgMembership.role)
        .join(OrgMembership, OrgMembership.user_id == User.id)
        .where(OrgMembership.organisation_id == organisation_id)
    )
    total = session.scalar(sa.select(sa.func.count()).select_from(base.subquery()))
    rows = session.execute(
        base.order_by(User.name, User.id).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return rows, total


def membership_query(organisation_id: int, user_id: int) -> sa.Select:
    """The user's membership, only if it is in this organisation."""
    return sa.select(OrgMembership).where(
        OrgMembership.organisation_id == organisation_id, OrgMembership.user_id == user_id
    )


def _active_admins(session: Session, organisation_id: int) -> int:
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(OrgMembership)
        .join(User, User.id == OrgMembership.user_id)
        .where(OrgMembership.organisation_id == organisation_id,
               OrgMembership.role == OrgRole.ADMIN, User.is_active.is_(True))
    )


def _keeps_an_admin(session: Session, member: OrgMembership) -> None:
    """The member is about to stop being an active admin: refuse if they are the last."""
    if (member.role is OrgRole.ADMIN and member.user.is_active
            and _active_admins(session, member.organisation_id) <= 1):
        raise OrganisationError(
            _("this is the organisation's last administrator; make someone else "
              "administrator first")
        )


def change_role(session: Session, member: OrgMembership, role: OrgRole, *, now: datetime) -> None:
    """Change a member's role; an organisation always keeps at least one admin. The
    member's sessions end: they sign in again under the new role."""
    from engage.auth import sessions

    if member.role is role:
        return
    if role is not OrgRole.ADMIN:
        _keeps_an_admin(session, member)
    member.role = role
    session.flush()
    sessions.end_all(session, member.user_id, now=now, reason="role_changed",
                     organisation_id=member.organisation_id)


def set_active(session: Session, member: OrgMembership, active: bool, *, actor_id: int,
               now: datetime) -> None:
    """Deactivate (every session ends, sign-in is refused) or reactivate a member. Nobody
    deactivates themselves, and the last active admin stays."""
    from engage.auth import sessions

    user = member.user
    if user.is_active == active:
        return
    if not active:
        if user.id == actor_id:
            raise OrganisationError(_("you cannot deactivate yourself; ask another "
                                      "administrator"))
        _keeps_an_admin(session, member)
    user.is_active = active
    session.flush()
    if not active:
        sessions.end_all(session, user.id, now=now, reason="deactivated",
                         organisation_id=member.organisation_id)


def sign_out(session: Session, member: OrgMembership, *, now: datetime) -> int:
    """An admin ends every session of a member of their organisation."""
    from engage.auth import sessions

    return sessions.end_all(session, member.user_id, now=now, reason="signed_out_by_admin",
                            organisation_id=member.organisation_id)


def reset_sign_in(session: Session, member: OrgMembership) -> int:
    """Forget which identity at the provider signs a member in (e.g. after the organisation
    moved to another provider, or the person got a new account there). Their next sign-in
    with a verified address of theirs links the new identity; until then nobody signs in as
    them. Returns how many identities were forgotten; the deletions are audited."""
    from engage.auth.models import Identity

    identities = session.scalars(sa.select(Identity).where(Identity.user_id == member.user_id)).all()
    for identity in identities:
        session.delete(identity)
    session.flush()
    return len(identities)


def set_locale(session: Session, user_id: int, locale: str, languages: tuple[str, ...]) -> None:
    """The user's language: one of ``languages``, or "" for what the browser asks for."""
    locale = (locale or "").strip()
    if locale and locale not in languages:
        raise OrganisationError(_("Choose English, Nederlands or your browser’s language."))
    user = session.get(User, user_id)
    user.locale = locale or None
    session.flush()


def name_admin(session: Session, organisation: Organisation, email: str, *, now: datetime,
               name: str | None = None) -> tuple[User, bool]:
    """Make the person with this e-mail address an administrator of the organisation: how
    an operator gives a new organisation its first admin when its identity provider sends
    no role claim. A member becomes admin; an unknown address gets an account with no
    sign-in yet, which that person's first sign-in through the organisation's provider
    takes over (engage.auth.service: an account created by e-mail links to the first
    identity that carries its address). Returns (user, created)."""
    from engage.audit import service as audit
    from engage.auth.models import SsoConfig

    email = email.strip().lower()
    local, _at, domain = email.partition("@")
    if not local or not domain or any(c.isspace() for c in email):
        raise OrganisationError(_("“%(email)s” is not an e-mail address", email=email))
    config = session.scalar(sa.select(SsoConfig).where(SsoConfig.organisation_id == organisation.id))
    if config is not None and config.domain_names and domain not in config.domain_names:
        raise OrganisationError(
            _("%(name)s allows sign-in with %(allowed)s addresses only; %(email)s could "
              "never sign in", name=organisation.name, allowed=", ".join(config.domain_names),
              email=email))
    user = session.scalar(sa.select(User).where(sa.func.lower(User.email) == email))
    if user is not None:
        membership = user.membership
        if membership is None or membership.organisation_id != organisation.id:
            raise OrganisationError(
                _("%(email)s belongs to another organisation", email=email))
        if not user.is_active:
            raise OrganisationError(
                _("%(email)s is deactivated; an administrator reactivates it first",
                  email=email))
        before = membership.role
        if before is not OrgRole.ADMIN:
            change_role(session, membership, OrgRole.ADMIN, now=now)
            audit.record("organisation.admin_named", object_type="user_account",
                         object_id=user.id, before={"role": before},
                         after={"role": OrgRole.ADMIN, "by": "operator"},
                         organisation_id=organisation.id, session=session)
        session.flush()
        return user, False
    user = User(email=email, name=(name or "").strip() or email)
    session.add_all([user, OrgMembership(user=user, organisation_id=organisation.id,
                                         role=OrgRole.ADMIN)])
    session.flush()
    audit.record("organisation.admin_named", object_type="user_account", object_id=user.id,
                 after={"role": OrgRole.ADMIN, "email": email, "by": "operator"},
                 organisation_id=organisation.id, session=session)
    return user, True
