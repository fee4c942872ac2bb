"""Writing notifications, and the e-mail that tells of each (at most once, after commit).

A notification is a message key and its parameters (:mod:`engage.notifications.messages`):
its subject and body are written when it is read, in the reader's language — the page and
the API in the language the reader has chosen, the e-mail in the recipient's language when
it is sent. :func:`notify` also stores the text in each recipient's language of the moment
(``User.locale``; none: the default locale), rendered once per language inside
``flask_babel.force_locale``: what shows should the message ever not be known.
"""

from __future__ import annotations

import json
import logging
import smtplib
from collections.abc import Iterable
from datetime import datetime
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale

from engage.common.writes import insert_if_absent, update_where
from engage.engagements.models import EngagementParticipant, ParticipantRole
from engage.extensions import db
from engage.notifications import messages
from engage.notifications.models import Notification, NotificationKind
from engage.organisations.models import OrgMembership, OrgRole, User

log = logging.getLogger(__name__)

EVERYONE = tuple(ParticipantRole)
#: Who may act for an organisation (a viewer reads, and decides nothing).
ACTORS = (OrgRole.ADMIN, OrgRole.MEMBER)

def recipients(
    engagement_id: int,
    roles: Iterable[ParticipantRole] = EngagementParticipant.LEAD_ROLES,
    organisation_ids: Iterable[int] | None = None,
    org_roles: Iterable[OrgRole] | None = None,
) -> list[tuple[int, int]]:
    """(user id, organisation id) of the active users of the engagement's participants;
    with ``org_roles``, only those with one of these roles in their organisation."""
    stmt = (
        sa.select(User.id, OrgMembership.organisation_id)
        .join(OrgMembership, OrgMembership.user_id == User.id)
        .join(
            EngagementParticipant,
            EngagementParticipant.organisation_id == OrgMembership.organisation_id,
        )
        .where(
            EngagementParticipant.engagement_id == engagement_id,
            EngagementParticipant.role.in_(list(roles)),
            User.is_active.is_(True),
        )
        .order_by(User.id)
    )
    if organisation_ids is not None:
        stmt = stmt.where(OrgMembership.organisation_id.in_(list(organisation_ids)))
    if org_roles is not None:
        stmt = stmt.where(OrgMembership.role.in_(list(org_roles)))
    return [(r[0], r[1]) for r in db.session.execute(stmt)]


def organisation_people(organisation_id: int) -> list[tuple[int, int]]:
    """(user id, organisation id) of the organisation's active users."""
    return [(r[0], r[1]) for r in db.session.execute(
        sa.select(User.id, OrgMembership.organisation_id)
        .join(OrgMembership, OrgMembership.user_id == User.id)
        .where(OrgMembership.organisation_id == organisation_id, User.is_active.is_(True))
        .order_by(User.id)
    )]


def notify(
    people: Iterable[tuple[int, int]],
    *,
    kind: NotificationKind,
    key: str,
    message: str,
    params: dict[str, Any],
    link: str,
    engagement_id: int | None,
    now: datetime,
) -> int:
    """One notification per person for the event ``key``; returns how many were new.

    ``message`` names what it says (a key of :data:`messages.MESSAGES`) and ``params`` are
    the data it is said with — names, titles, ISO dates, numbers, enum values, never
    translated text. The text is stored as well, rendered once per language among the
    recipients, in that language."""
    if message not in messages.MESSAGES:
        raise KeyError(f"no notification message {message!r}")
    params = json.loads(json.dumps(params))  # data only: what the JSON column gives back
    people = list(people)
    if not people:
        return 0
    locales = recipient_locales(user_id for user_id, _org in people)
    texts = {locale: _written(message, params, locale)
             for locale in sorted(set(locales.values()))}
    created = 0
    for user_id, organisation_id in people:
        subject_text, body_text = texts[locales[user_id]]
        new = insert_if_absent(Notification, {
            "user_id": user_id, "organisation_id": organisation_id, "kind": kind,
            "message": message, "params": params,
            "subject": subject_text, "body": body_text, "link": link,
            "engagement_id": engagement_id, "dedupe_key": f"{key}:user:{user_id}",
            "created_at": now,
        })
        created += new is not None
    if created and smtp_configured():
        from engage.escalations.wakeups import want_sweep

        want_sweep(db.session())  # e-mailed by a sweep within the minute
    return created


def recipient_locales(user_ids: Iterable[int]) -> dict[int, str]:
    """Each user's language (one query): her own if the app offers it, else the default."""
    ids = sorted(set(user_ids))
    cfg = current_app.config
    default = cfg.get("BABEL_DEFAULT_LOCALE") or "en"
    offered = cfg.get("ENGAGE_LANGUAGES") or (default,)
    users = User.__table__
    rows = db.session.execute(
        sa.select(users.c.id, users.c.locale).where(users.c.id.in_(ids))).all()
    chosen = {row.id: row.locale for row in rows if row.locale in offered}
    return {user_id: chosen.get(user_id, default) for user_id in ids}


def _written(message: str, params: dict[str, Any], locale: str) -> tuple[str, str]:
    """The text stored with a new notification: parameters that do not fit the message are
    a mistake in the code, and fail the write."""
    with force_locale(locale):
        subject, body = messages.MESSAGES[message](params)
    return subject[:300], body


def _render(message: str, params: dict[str, Any], locale: str, subject: str = "",
            body: str = "") -> tuple[str, str]:
    with force_locale(locale):
        return messages.render(message, params, subject, body)


def smtp_configured() -> bool:
    return bool(current_app.config.get("ENGAGE_SMTP_HOST"))


def unsent_exist() -> bool:
    """Whether a notification waits to be e-mailed. Call inside a system scope."""
    return bool(db.session.scalar(sa.select(sa.exists().where(Notification.emailed_at.is_(None)))))


def deliver_emails(now: datetime, limit: int = 500) -> int:
    """E-mail the notifications not yet e-mailed. Each is claimed (``emailed_at`` set and
    committed) before it is sent, so none is sent twice; one that fails to send is logged
    and not retried. Call inside a system scope."""
    if not smtp_configured():
        return 0
    rows = db.session.execute(
        sa.select(Notification.id, Notification.user_id, Notification.subject,
                  Notification.body, Notification.message, Notification.params,
                  Notification.link, User.email)
        .join(User, User.id == Notification.user_id)
        .where(Notification.emailed_at.is_(None))
        .order_by(Notification.created_at, Notification.id)
        .limit(limit)
    ).all()
    db.session.commit()
    claimed = []
    for row in rows:
        if update_where(Notification, row.id, Notification.emailed_at.is_(None),
                        {"emailed_at": now}):
            claimed.append(row)
        db.session.commit()
    if not claimed:
        return 0
    # Each e-mail in its recipient's language as it is now, not as it was when written.
    locales = recipient_locales(row.user_id for row in claimed)
    db.session.commit()
    cfg = current_app.config
    base_url = cfg["ENGAGE_BASE_URL"].rstrip("/")
    sent = 0
    try:
        with smtplib.SMTP(cfg["ENGAGE_SMTP_HOST"], cfg["ENGAGE_SMTP_PORT"], timeout=30) as smtp:
            if cfg.get("ENGAGE_SMTP_STARTTLS"):
                smtp.starttls()
            if cfg.get("ENGAGE_SMTP_USER"):
                smtp.login(cfg["ENGAGE_SMTP_USER"], cfg.get("ENGAGE_SMTP_PASSWORD") or "")
            for row in claimed:
                msg = EmailMessage()
                msg["From"] = cfg["ENGAGE_SMTP_FROM"]
                msg["To"] = row.email
                subject, body = _render(row.message, row.params, locales[row.user_id],
                                        row.subject, row.body)
                msg["Subject"] = subject
                link = f"\n\n{base_url}{row.link}" if row.link else ""
                msg.set_content(f"{body}{link}\n")
                try:
                    smtp.send_message(msg)
                    sent += 1
                except smtplib.SMTPException:
                    log.exception("e-mail of notification %s to %s failed", row.id, row.email)
    except (OSError, smtplib.SMTPException):
        log.exception("SMTP server %s unavailable; %d e-mail(s) not sent",
                      cfg["ENGAGE_SMTP_HOST"], len(claimed) - sent)
    return sent
