"""Who is asking, and may they? The one module that answers.

- Every request is signed in unless its view is marked :func:`public`; the signed-in
  user's organisation becomes the session's tenancy scope and the audit actor.
- Permissions are named (:class:`Permission`) and declared on views with
  :func:`requires`, which loads the object through the tenant-scoped session first:
  an object the organisation cannot see is 404, never 403, so nobody learns that
  another organisation's object exists. A refusal is 403 with the reason.
- Viewers read; nothing a viewer sends can change data (checked here, for every view).
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import sqlalchemy as sa
from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden, Unauthorized
from werkzeug.local import LocalProxy

from engage import clock, render_cache, tenancy
from engage.audit import service as audit
from engage.auth import sessions
from engage.auth.models import UserSession
from engage.db import StrEnum
from engage.extensions import db, htmx
from engage.notifications.models import Notification
from engage.organisations.models import Organisation, OrgMembership, OrgRole, User

F = TypeVar("F", bound=Callable[..., Any])

API_PREFIX = "/api/"  # bearer tokens are accepted here only
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Endpoints anyone may reach; views add themselves with @public.
_PUBLIC_ENDPOINTS = {"static"}
# What a viewer may send: leaving, marking their own notifications read, their language,
# their own calendar address.
_VIEWER_MAY_POST = {"auth.logout", "auth.sign_out_everywhere", "notifications.open_",
                    "notifications.read_all", "core.profile", "calendars.regenerate"}


@dataclass(frozen=True)
class Principal:
    user: User
    organisation: Organisation
    role: OrgRole
    # Set when an API token (engage.api.auth.TokenIdentity) speaks for the user.
    token: Any = None
    # The user's own role in the organisation: ``role`` is capped for a token, this is not.
    own_role: OrgRole | None = None
    # The render generation (engage.render_cache), read in the same statement as the
    # principal, before anything the request shows.
    render_generation: int | None = None
    # The user's unread notifications (the layout's count), read in the same statement.
    unread_notifications: int | None = None

    @property
    def can_write(self) -> bool:
        return self.role in (OrgRole.ADMIN, OrgRole.MEMBER)


def _principal() -> Principal | None:
    return g.get("principal")


current_principal: Principal | None = LocalProxy(_principal)  # type: ignore[assignment]
current_user: User | None = LocalProxy(lambda: p.user if (p := _principal()) else None)  # type: ignore[assignment]
current_org: Organisation | None = LocalProxy(  # type: ignore[assignment]
    lambda: p.organisation if (p := _principal()) else None
)


def acting() -> dict[str, Any]:
    """Who acts, as the features' services take it: ``actor`` and ``organisation_id``."""
    return {"actor": current_user._get_current_object(), "organisation_id": current_org.id}


class Permission(StrEnum):
    READ = "read"  # any signed-in user, within what tenancy lets them see
    WRITE = "write"  # change data as the organisation: admins and members
    ADMIN = "admin"  # the organisation's settings: users, roles, SSO, API tokens
    COORDINATE_INITIATIVE = "initiative.coordinate"  # the initiative's coordinator org
    LEAD_ENGAGEMENT = "engagement.lead"  # lead / co-lead organisations of the engagement
    PARTICIPATE_ENGAGEMENT = "engagement.participate"  # any participating organisation
    # Imports: an organisation admin (its holdings), an admin of an organisation in
    # ENGAGE_REGISTER_ORGS (the shared company register). Through the API: a write token
    # created by such an admin, while they are one (a token never holds more than its creator).
    IMPORT_HOLDINGS = "holdings.import"
    KEEP_REGISTER = "register.keep"


class NotPermitted(Forbidden):
    """403 whose description says why, shown on the error page."""


def public(view: F) -> F:
    """Mark a view as reachable without signing in (login, health check)."""
    view.engage_public = True  # type: ignore[attr-defined]
    return view


# --- participation roles --------------------------------------------------------------------

def engagement_role(org_id: int, engagement_id: int) -> str | None:
    from engage.engagements.service import participant_role

    return participant_role(engagement_id, org_id)


# ``role=`` not given: the engagement role is looked up when a permission needs it.
_LOOK_UP: Any = object()


def _denial(principal: Principal | None, permission: Permission, obj: Any,
            role: Any = _LOOK_UP) -> str | None:
    """None when allowed, else the reason shown to the user. ``role`` is the organisation's
    role in the engagement ``obj`` when the caller has read it already (a page asking
    several questions), to save the query."""
    if principal is None:
        return _("You need to sign in.")
    if permission is Permission.READ:
        return None
    if not principal.can_write and principal.token is not None:
        return _("This API token is read-only, or acts for a viewer: it cannot change data. "
                 "An organisation admin can create a write token.")
    if not principal.can_write:
        return _("Your role is viewer: you can read everything your organisation sees, but "
                 "not change it.")
    if permission is Permission.WRITE:
        return None
    if permission is Permission.ADMIN:
        if principal.role is not OrgRole.ADMIN:
            return _("Only an administrator of your organisation can change its settings.")
        return None
    if permission in (Permission.IMPORT_HOLDINGS, Permission.KEEP_REGISTER):
        if (principal.own_role or principal.role) is not OrgRole.ADMIN:
            return (_("Only an administrator of your organisation can import; an API token "
                      "imports when an administrator created it.") if principal.token is not None
                    else _("Only an administrator of your organisation can import."))
        if (permission is Permission.KEEP_REGISTER and principal.organisation.slug
                not in current_app.config["ENGAGE_REGISTER_ORGS"]):
            return _("Only administrators of the organisations that keep the company register "
                     "can change it.")
        return None
    if permission is Permission.COORDINATE_INITIATIVE:
        if obj is None or obj.coordinator_organisation_id != principal.organisation.id:
            return _("Only the initiative's coordinating organisation can do this.")
        return None
    if role is _LOOK_UP:
        engagement_id = getattr(obj, "engagement_id", None) or getattr(obj, "id", None)
        role = (engagement_role(principal.organisation.id, engagement_id)
                if obj is not None else None)
    if permission is Permission.LEAD_ENGAGEMENT:
        from engage.engagements.models import EngagementParticipant

        if role not in EngagementParticipant.LEAD_ROLES:
            return _("Only the engagement's lead and co-lead investors can do this.")
        return None
    if permission is Permission.PARTICIPATE_ENGAGEMENT:
        from engage.engagements.models import EngagementParticipant

        if role is None:
            return _("Only organisations that take part in this engagement can do this.")
        if role not in EngagementParticipant.ACTING_ROLES:
            return _("Your organisation follows this engagement as an observer or client: "
                     "it sees the record but does not change it.")
        return None
    raise ValueError(f"unknown permission {permission!r}")


def can(permission: Permission, obj: Any = None, *, role: Any = _LOOK_UP) -> bool:
    return _denial(_principal(), permission, obj, role) is None


def require(permission: Permission, obj: Any = None) -> None:
    reason = _denial(_principal(), permission, obj)
    if reason is not None:
        raise NotPermitted(description=reason)


def load_or_404(model: type, ident: Any) -> Any:
    """Fetch through the tenant-scoped session: invisible and missing look the same."""
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return obj


def one_or_404(statement: sa.Select) -> Any:
    """The one row an org-aware lookup finds; none is 404, as for a missing object."""
    obj = db.session.scalar(statement)
    if obj is None:
        abort(404)
    return obj


def requires(
    permission: Permission,
    *,
    load: Callable[..., Any] | None = None,
    arg: str | None = None,
) -> Callable[[F], F]:
    """Declare a view's permission. ``load`` receives the view's URL arguments and returns
    the object the permission is about (404 when not visible); it is passed to the view
    as ``arg`` (default: the loader's name without ``load_``)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            obj = None
            if load is not None:
                obj = load(**kwargs)
                name = arg or load.__name__.removeprefix("load_")
                kwargs = {name: obj}
            require(permission, obj)
            return view(*args, **kwargs)

        wrapper.engage_permission = permission  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


# --- the signed-in session ------------------------------------------------------------------

def sign_in(user_id: int, org_id: int, *, sso_slug: str, id_token: str | None,
            key: str, now: datetime) -> str | None:
    """Start a fresh session (no fixation: everything before it is dropped) for the
    server-side session ``key`` (engage.auth.sessions.start). Returns the page the user
    asked for before signing in, if it is on this site."""
    next_url = safe_next(session.get("login_next"))
    session.clear()
    session.permanent = True
    session["user_id"] = user_id
    session["org_id"] = org_id
    session["sso"] = sso_slug
    session["sid"] = key
    session["seen"] = sessions.stamp(now)
    if id_token:
        session["id_token"] = id_token
    return next_url


def _load_principal() -> Principal | None:
    token = None
    if request.path.startswith(API_PREFIX) and "Authorization" in request.headers:
        from engage.api.auth import token_identity

        token = token_identity(request.headers["Authorization"])  # 401 unless valid
        user_id, org_id = token.user_id, token.organisation_id
    else:
        user_id, org_id = session.get("user_id"), session.get("org_id")
    if not user_id or not org_id:
        return None
    unread = (sa.select(sa.func.count()).select_from(Notification)
              .where(Notification.user_id == User.id, Notification.read_at.is_(None))
              .scalar_subquery())
    query = (
        sa.select(User, OrgMembership.role, Organisation,
                  render_cache.GENERATION.label("render_generation"),
                  unread.label("unread_notifications"))
        .join(OrgMembership, OrgMembership.user_id == User.id)
        .join(Organisation, Organisation.id == OrgMembership.organisation_id)
        .where(User.id == user_id)
    )
    now = clock.now()
    if token is None:
        # A browser: its server-side session must still count (same statement), and the
        # cookie must have been used recently.
        key = session.get("sid")
        if not isinstance(key, str) or sessions.idle(
                session.get("seen"), now, current_app.config["ENGAGE_SESSION_IDLE"]):
            session.clear()
            return None
        query = query.join(UserSession, sa.and_(UserSession.user_id == User.id,
                                                sessions.live(key, now)))
    # The organisation the cookie or token names is entered before the principal is read:
    # on PostgreSQL the scope is handed over first, so the same statement can count the
    # user's notifications (tenancy and row-level security apply to them) and a page sends
    # no statement of its own for the layout's count. The principal's own rows are not
    # tenant-scoped; if they do not confirm the organisation, the scope is left again.
    tenancy.enter_organisation(org_id)
    row = db.session.execute(query).first()
    if row is None or not row.User.is_active or row.Organisation.id != org_id:
        tenancy.leave_organisation()
        if token is not None:
            from engage.ratelimits import count_token_failure

            count_token_failure()
            raise Unauthorized(description="The API token's creator is no longer an active "
                               "member of its organisation; create a new token.")
        session.clear()  # deactivated, deleted or moved: the session ends here
        return None
    # The principal's objects stay as they were read for the whole request, whatever the
    # request commits (a commit would expire them) or whichever scope it enters next.
    db.session.expunge(row.User)
    db.session.expunge(row.Organisation)
    if token is not None:
        return Principal(user=row.User, organisation=row.Organisation,
                         role=token.cap(row.role), token=token, own_role=row.role,
                         render_generation=row.render_generation,
                         unread_notifications=row.unread_notifications)
    session["seen"] = sessions.stamp(now)
    return Principal(user=row.User, organisation=row.Organisation, role=row.role,
                     render_generation=row.render_generation,
                     unread_notifications=row.unread_notifications)


# What may follow the sign-in: a path of at most this many characters. Longer is no page of
# ours, and a cap keeps a stored link from growing the session cookie.
NEXT_MAX = 1000
# Characters kept as they are when a path is written out again (RFC 3986 path and query
# characters, and "%" for escapes already present); anything else is percent-encoded.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"


def _hostile(text: str, *, spaces: bool = False) -> bool:
    """Control, format and separator characters (tab, newline, NUL, zero-width, line and
    paragraph separators...) and whitespace: browsers drop or fold them, which is how
    ``/%09/evil.example`` became ``//evil.example``. Backslashes: browsers read them as
    slashes. ``spaces``: a plain space is allowed (a decoded search term)."""
    for ch in text:
        if spaces and ch == " ":
            continue
        if ch == "\\" or ch.isspace() or unicodedata.category(ch)[0] in "CZ":
            return True
    return False


def _decodings(text: str) -> list[str]:
    """``text`` and its percent-decodings (double-encoded too), until nothing changes."""
    forms = [text]
    for _round in range(4):
        decoded = unquote(forms[-1])
        if decoded == forms[-1]:
            break
        forms.append(decoded)
    return forms


def safe_next(target: object) -> str | None:
    """The page to go to next, if ``target`` is a plain path on this site; else None (the
    caller falls back to the home page). Never an open redirect:

    - no scheme and no host; the path starts with one ``/``, never ``//`` or ``/\\``;
    - no control, format or separator character, whitespace or backslash anywhere, raw or
      percent-decoded (once or more: ``%252F``), so encoded slashes cannot become ``//``;
      only the decoded query may hold a plain space (a search term);
    - no ``.`` or ``..`` segments;
    - written out again: path and query percent-encoded, any fragment dropped (a
      notification's plain anchor is kept by ``notifications.links.opened``).
    """
    if not isinstance(target, str) or not target or len(target) > NEXT_MAX:
        return None
    if _hostile(target) or any(not form.startswith("/") or form.startswith("//")
                               for form in _decodings(target)):
        return None  # before parsing: urlsplit("///host") drops the empty authority
    try:
        parts = urlsplit(target)
    except ValueError:
        return None
    if parts.scheme or parts.netloc:
        return None
    for path in _decodings(parts.path):
        if _hostile(path) or not path.startswith("/") or path.startswith("//"):
            return None
        if any(segment in (".", "..") for segment in path.split("/")):
            return None
    if any(_hostile(query, spaces=True) for query in _decodings(parts.query)):
        return None
    result = urlunsplit(("", "", quote(parts.path, safe=_PATH_SAFE),
                         quote(parts.query, safe=_QUERY_SAFE), ""))
    # Written out, it must still be a path with no host.
    again = urlsplit(result)
    if again.scheme or again.netloc or result.startswith("//"):
        return None
    return result


def _before_request():
    g.principal = None  # until known: a refused token must not leave an earlier principal
    principal = _load_principal()
    g.principal = principal
    if principal is not None:
        tenancy.enter_organisation(principal.organisation.id)
        audit.set_actor(principal.user.id)
        if principal.token is not None:
            audit.set_via(principal.token.label())
    view = current_view()
    if view is None or getattr(view, "engage_public", False) or request.endpoint in _PUBLIC_ENDPOINTS:
        return None
    if principal is None and request.path.startswith(API_PREFIX):
        raise Unauthorized()
    if principal is None:
        login = url_for("auth.login", next=request.full_path.rstrip("?"))
        if htmx:
            return "", 401, {"HX-Redirect": url_for("auth.login")}
        if request.method not in SAFE_METHODS:
            abort(401)
        return redirect(login)
    if (request.method not in SAFE_METHODS and not principal.can_write
            and request.endpoint not in _VIEWER_MAY_POST):
        raise NotPermitted(description=_denial(principal, Permission.WRITE, None))
    return None


def current_view() -> Callable[..., Any] | None:
    from flask import current_app

    if request.endpoint is None:
        return None
    return current_app.view_functions.get(request.endpoint)


def _teardown(exc: BaseException | None) -> None:
    # The scoped session ends with the request (Flask-SQLAlchemy removes it); drop the
    # tenancy scope and actor with it so nothing carries over.
    sess = db.session()
    sess.info.pop(tenancy.SCOPE_KEY, None)
    sess.info.pop(audit.ACTOR_KEY, None)
    sess.info.pop(audit.VIA_KEY, None)


def init_app(app: Flask) -> None:
    app.before_request(_before_request)
    app.teardown_request(_teardown)

    @app.context_processor
    def _inject() -> dict[str, Any]:
        return {
            "current_user": current_user,
            "current_org": current_org,
            "current_principal": current_principal,
            "can": can,
            "Permission": Permission,
        }
