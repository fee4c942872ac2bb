"""Who is told of what: the receivers of :mod:`engage.signals` that write notifications.

Each receiver runs inside the unit of work that sent the signal, so its notifications
commit or roll back with the change. Each names its message and gives its parameters as
data (:mod:`engage.notifications.messages`), so it is read in the reader's language; every
event has a dedupe key, so an event handled twice notifies once. :func:`connect` is called by
``create_app``; connecting again (a second app in the same process) changes nothing.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from engage import signals
from engage.companies.models import Company
from engage.engagements.models import Engagement, EngagementParticipant
from engage.extensions import db
from engage.notifications import followers, links
from engage.notifications.models import NotificationKind
from engage.notifications.service import (
    ACTORS,
    EVERYONE,
    notify,
    organisation_people,
    recipients,
)
from engage.tenancy import database_system_scope

# --- the escalation engine ------------------------------------------------------------------


def review_opened(review_id: int, *, engagement_id: int, cause: dict, now: datetime,
                  **_kw) -> None:
    title = db.session.scalar(sa.select(Engagement.title).where(Engagement.id == engagement_id))
    # Those who may decide it: the leads' admins and members (a viewer decides nothing).
    notify(
        recipients(engagement_id, org_roles=ACTORS),
        kind=NotificationKind.REVIEW_OPENED, key=f"review:{review_id}",
        message="review_opened", params={"title": title, **cause},
        link=links.review_link(engagement_id, review_id),
        engagement_id=engagement_id, now=now,
    )


def milestone_due(milestone_id: int, *, engagement_id: int, title: str, due_on, days_left: int,
                  deadline_version: int, days_before: int, now: datetime, **_kw) -> None:
    company = db.session.scalar(sa.select(Company.name).join(
        Engagement, Engagement.company_id == Company.id).where(Engagement.id == engagement_id))
    notify(
        recipients(engagement_id),
        kind=NotificationKind.REMINDER,
        key=f"reminder:{milestone_id}:v{deadline_version}:d{days_before}",
        message="reminder", params={"company": company, "title": title, "days_left": days_left,
                                    "due_on": due_on.isoformat()},
        link=links.engagement_link(engagement_id), engagement_id=engagement_id, now=now,
    )


def decision_failed(decision_id: int, *, engagement_id: int, attempts: int, error: str,
                    now: datetime, **_kw) -> None:
    notify(
        recipients(engagement_id),
        kind=NotificationKind.DECISION_FAILED, key=f"decision-failed:{decision_id}",
        message="decision_failed",
        params={"decision_id": decision_id, "attempts": attempts, "error": error},
        link=links.engagement_link(engagement_id), engagement_id=engagement_id, now=now,
    )


def letter_opened(letter_id: int, *, engagement, title: str, now: datetime, **_kw) -> None:
    # Those who may co-sign: observers and the outsourcing client follow without signing.
    # Each opening asks again (a document returned to draft and reopened is a new text).
    notify(
        recipients(engagement.id, EngagementParticipant.ACTING_ROLES),
        kind=NotificationKind.LETTER_TO_SIGN, key=f"letter:{letter_id}:{now.isoformat()}",
        message="letter_to_sign", params={"title": title, "company": engagement.company.name},
        link=links.letter_link(letter_id), engagement_id=engagement.id, now=now,
    )


def signatures_withdrawn(letter_id: int, *, engagement, title: str, document: str,
                         signed: list[int], declined: list[int], now: datetime,
                         **_kw) -> None:
    """Each organisation whose signature or decline went with the text is told, with the
    words of its own answer."""
    for organisation_ids, had_signed in ((signed, True), (declined, False)):
        if not organisation_ids:
            continue
        notify(
            recipients(engagement.id, EVERYONE, organisation_ids=organisation_ids),
            kind=NotificationKind.SIGNATURE_WITHDRAWN,
            key=f"letter:{letter_id}:withdrawn:{now.isoformat()}",
            message="signature_withdrawn",
            params={"title": title, "company": engagement.company.name, "document": document,
                    "signed": had_signed},
            link=links.letter_link(letter_id), engagement_id=engagement.id, now=now,
        )


def vote_requested(vote_id: int, *, engagement, organisation_id: int, item: str, agm_on,
                   now: datetime, **_kw) -> None:
    # The organisation's own people only: each organisation decides its vote (no block voting).
    notify(
        recipients(engagement.id, EVERYONE, organisation_ids=[organisation_id]),
        kind=NotificationKind.VOTE_REQUESTED, key=f"vote:{vote_id}",
        message="vote_requested", params={"item": item, "company": engagement.company.name,
                                          "agm_on": agm_on.isoformat()},
        link=links.vote_request_link(engagement.id, vote_id), engagement_id=engagement.id,
        now=now,
    )


def divestment_review_opened(review_id: int, *, engagement, now: datetime, **_kw) -> None:
    notify(
        recipients(engagement.id, org_roles=ACTORS),
        kind=NotificationKind.DIVESTMENT_REVIEW, key=f"divestment:{review_id}",
        message="divestment_review", params={"company": engagement.company.name},
        link=links.divestment_link(engagement.id, review_id), engagement_id=engagement.id,
        now=now,
    )


def task_assigned(task_id: int, *, engagement, organisation_id: int, title: str, due_on,
                  reason: str, now: datetime, **_kw) -> None:
    # The owner's people, whatever its role: a reduce-exposure task goes to every holder.
    notify(
        recipients(engagement.id, EVERYONE, organisation_ids=[organisation_id]),
        kind=NotificationKind.TASK_ASSIGNED, key=f"task:{task_id}",
        message="task_assigned",
        params={"title": title, "due_on": due_on.isoformat(), "reason": reason},
        link=links.task_link(engagement.id, task_id), engagement_id=engagement.id, now=now,
    )


# --- initiatives: notifications to another organisation --------------------------------------


def _notify_organisation(organisation_id: int, **values) -> int:
    """Notify all of an organisation's people. It is another organisation than the one
    acting, so the database's second lock is opened for these writes alone."""
    people = organisation_people(organisation_id)
    with database_system_scope("notify another organisation of an initiative decision"):
        return notify(people, engagement_id=None, **values)


def member_applied(member_id: int, *, initiative, applicant: str, role: str, now: datetime,
                   **_kw) -> None:
    _notify_organisation(
        initiative.coordinator_organisation_id,
        kind=NotificationKind.INITIATIVE_APPLICATION,
        key=f"initiative:{initiative.id}:application:{member_id}:{int(now.timestamp())}",
        message="initiative_application",
        params={"title": initiative.title, "applicant": applicant, "role": role},
        link=links.initiative_link(initiative.id, member_id), now=now,
    )


def membership_decided(member_id: int, *, initiative, organisation_id: int, admitted: bool,
                       status: str, reason: str, now: datetime, **_kw) -> None:
    _notify_organisation(
        organisation_id, kind=NotificationKind.MEMBERSHIP_DECIDED,
        key=f"initiative-member:{member_id}:{status}:{int(now.timestamp())}",
        message="membership_decided",
        params={"title": initiative.title, "admitted": admitted, "reason": reason},
        link=links.initiative_link(initiative.id), now=now,
    )


# --- invitations to take part in an engagement --------------------------------------------


def engagement_invited(invitation_id: int, *, organisation_id: int, inviter: str, title: str,
                       company: str, role: str, now: datetime, **_kw) -> None:
    _notify_organisation(
        organisation_id, kind=NotificationKind.ENGAGEMENT_INVITATION,
        key=f"invitation:{invitation_id}", message="engagement_invitation",
        params={"title": title, "inviter": inviter, "role": role, "company": company},
        link=links.invitation_link(invitation_id), now=now)


def invitation_answered(invitation_id: int, *, organisation_id: int, invitee: str,
                        engagement_id: int, title: str, accepted: bool, now: datetime,
                        **_kw) -> None:
    _notify_organisation(
        organisation_id, kind=NotificationKind.ENGAGEMENT_INVITATION,
        key=f"invitation:{invitation_id}:answer", message="invitation_answered",
        params={"invitee": invitee, "title": title, "accepted": accepted},
        link=links.engagement_link(engagement_id, "participants"), now=now)


# --- wiring ---------------------------------------------------------------------------------

RECEIVERS = (
    (signals.engagement_created, followers.engagement_created),
    (signals.vote_recorded, followers.vote_recorded),
    (signals.member_applied, member_applied),
    (signals.membership_decided, membership_decided),
    (signals.review_opened, review_opened),
    (signals.milestone_due, milestone_due),
    (signals.decision_failed, decision_failed),
    (signals.letter_opened, letter_opened),
    (signals.signatures_withdrawn, signatures_withdrawn),
    (signals.vote_requested, vote_requested),
    (signals.divestment_review_opened, divestment_review_opened),
    (signals.task_assigned, task_assigned),
    (signals.engagement_invited, engagement_invited),
    (signals.invitation_answered, invitation_answered),
)


def connect() -> None:
    """Connect every receiver (strongly: they are module functions, kept for the process).
    blinker keeps one connection per receiver, so a second call adds none."""
    for signal, receiver in RECEIVERS:
        signal.connect(receiver, weak=False)

