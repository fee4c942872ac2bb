"""Who is told of what: the receivers of :mod:`engage.signals` that write notifications.

Each receiver runs inside the unit of work that sent the signal, so its notifications
commit or roll back with the change. Subjects and bodies are functions, called once per
language among the recipients (:func:`engage.notifications.service.notify`); every event
has a dedupe key, so an event handled twice notifies once. :func:`connect` is called by
``create_app``; connecting again (a second app in the same process) changes nothing.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engage import signals
from engage.common.labels import label
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


def review_opened(review_id: int, *, engagement_id: int, what, now: datetime, **_kw) -> None:
    title = db.session.scalar(sa.select(Engagement.title).where(Engagement.id == engagement_id))
    # Those who may decide it: the leads' admins and members (a viewer decides nothing).
    notify(
        recipients(engagement_id, org_roles=ACTORS),
        kind=NotificationKind.REVIEW_OPENED, key=f"review:{review_id}",
        subject=lambda: _("Escalation review: %(title)s", title=title),
        body=lambda: _("%(what)s Decide: escalate to the next step, extend the "
                       "deadline (with a reason), or close the engagement.",
                       what=what()),
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
        subject=lambda: ngettext("%(company)s: due in %(num)d day: %(title)s",
                                 "%(company)s: due in %(num)d days: %(title)s",
                                 days_left, title=title, company=company),
        body=lambda: _("Milestone “%(title)s” is due on %(date)s. If it is not met by "
                       "then, an escalation review opens.", title=title, date=format_date(due_on)),
        link=links.engagement_link(engagement_id), engagement_id=engagement_id, now=now,
    )


def decision_failed(decision_id: int, *, engagement_id: int, attempts: int, error: str,
                    now: datetime, **_kw) -> None:
    notify(
        recipients(engagement_id),
        kind=NotificationKind.DECISION_FAILED, key=f"decision-failed:{decision_id}",
        subject=lambda: ngettext(
            "A decision could not be carried out (after %(num)d attempt)",
            "A decision could not be carried out (after %(num)d attempts)", attempts),
        body=lambda: _("Decision %(id)s stays failed: %(error)s", id=decision_id, error=error),
        link=links.engagement_link(engagement_id), engagement_id=engagement_id, now=now,
    )


def letter_opened(letter_id: int, *, engagement, title: str, now: datetime, **_kw) -> None:
    # Those who may co-sign: observers and the outsourcing client follow without signing.
    notify(
        recipients(engagement.id, EngagementParticipant.ACTING_ROLES),
        kind=NotificationKind.LETTER_TO_SIGN, key=f"letter:{letter_id}",
        subject=lambda: _("To co-sign: %(title)s", title=title),
        body=lambda: _("The leads have opened “%(title)s” on %(company)s for signing. Read "
                       "it, then sign or decline for your organisation.", title=title,
                       company=engagement.company.name),
        link=links.letter_link(letter_id), engagement_id=engagement.id, now=now,
    )


def vote_requested(vote_id: int, *, engagement, organisation_id: int, item: str, agm_on,
                   now: datetime, **_kw) -> None:
    # The organisation's own people only: each organisation decides its vote (no block voting).
    notify(
        recipients(engagement.id, EVERYONE, organisation_ids=[organisation_id]),
        kind=NotificationKind.VOTE_REQUESTED, key=f"vote:{vote_id}",
        subject=lambda: _("Vote requested: against “%(item)s” at %(company)s, AGM %(date)s",
                          item=item, company=engagement.company.name, date=format_date(agm_on)),
        body=lambda: _("The engagement's leads ask participants to vote against this "
                       "item. The vote is your organisation's own decision."),
        link=links.vote_request_link(engagement.id, vote_id), engagement_id=engagement.id,
        now=now,
    )


def divestment_review_opened(review_id: int, *, engagement, now: datetime, **_kw) -> None:
    notify(
        recipients(engagement.id, org_roles=ACTORS),
        kind=NotificationKind.DIVESTMENT_REVIEW, key=f"divestment:{review_id}",
        subject=lambda: _("Divestment review opened: %(company)s", company=engagement.company.name),
        body=lambda: _("Answer the OECD questions before any decision: when is divestment "
                       "responsible and when can it be harmful?"),
        link=links.divestment_link(engagement.id, review_id), engagement_id=engagement.id,
        now=now,
    )


def task_assigned(task_id: int, *, engagement, organisation_id: int, title: str, due_on,
                  reason: str, now: datetime, **_kw) -> None:
    # The owner's people, whatever its role: a reduce-exposure task goes to every holder.
    notify(
        recipients(engagement.id, EVERYONE, organisation_ids=[organisation_id]),
        kind=NotificationKind.TASK_ASSIGNED, key=f"task:{task_id}",
        subject=lambda: _("Task: %(title)s", title=title),
        body=lambda: _("Due %(date)s. Decided: %(reason)s", date=format_date(due_on),
                       reason=reason),
        link=links.task_link(engagement.id, task_id), engagement_id=engagement.id, now=now,
    )


# --- initiatives: notifications to another organisation --------------------------------------


def _notify_organisation(organisation_id: int, **values) -> int:
    """Notify all of an organisation's people. It is another organisation than the one
    acting, so the database's second lock is opened for these writes alone."""
    people = organisation_people(organisation_id)
    with database_system_scope("notify another organisation of an initiative decision"):
        return notify(people, engagement_id=None, **values)


def member_applied(member_id: int, *, initiative, applicant: str, role_label, now: datetime,
                   **_kw) -> None:
    title = initiative.title
    _notify_organisation(
        initiative.coordinator_organisation_id,
        kind=NotificationKind.INITIATIVE_APPLICATION,
        key=f"initiative:{initiative.id}:application:{member_id}:{int(now.timestamp())}",
        subject=lambda: _("New application to “%(title)s”", title=title),
        body=lambda: _("%(org)s asks to join as %(role)s.", org=applicant, role=role_label),
        link=links.initiative_link(initiative.id, member_id), now=now,
    )


def membership_decided(member_id: int, *, initiative, organisation_id: int, admitted: bool,
                       status: str, reason: str, now: datetime, **_kw) -> None:
    title = initiative.title
    subject = ((lambda: _("Your organisation was admitted to “%(title)s”", title=title))
               if admitted else
               (lambda: _("Your application to “%(title)s” was declined", title=title)))
    body = reason or (_l("You can now see the initiative's engagements and join them.")
                      if admitted else "")
    _notify_organisation(
        organisation_id, kind=NotificationKind.MEMBERSHIP_DECIDED,
        key=f"initiative-member:{member_id}:{status}:{int(now.timestamp())}",
        subject=subject, body=body, link=links.initiative_link(initiative.id), now=now,
    )


# --- invitations to take part in an engagement --------------------------------------------


def engagement_invited(invitation_id: int, *, organisation_id: int, inviter: str, title: str,
                       company: str, role_label, now: datetime, **_kw) -> None:
    _notify_organisation(
        organisation_id, kind=NotificationKind.ENGAGEMENT_INVITATION,
        key=f"invitation:{invitation_id}",
        subject=lambda: _("Invitation to the engagement “%(title)s”", title=title),
        body=lambda: _("%(org)s invites your organisation to take part as %(role)s in its "
                       "engagement with %(company)s. Accept or decline it.",
                       org=inviter, role=role_label, company=company),
        link=links.invitation_link(invitation_id), now=now)


def invitation_answered(invitation_id: int, *, organisation_id: int, invitee: str,
                        engagement_id: int, title: str, accepted: bool, now: datetime,
                        **_kw) -> None:
    subject = ((lambda: _("%(org)s accepted your invitation to “%(title)s”", org=invitee,
                          title=title)) if accepted else
               (lambda: _("%(org)s declined your invitation to “%(title)s”", org=invitee,
                          title=title)))
    _notify_organisation(
        organisation_id, kind=NotificationKind.ENGAGEMENT_INVITATION,
        key=f"invitation:{invitation_id}:answer", subject=subject, body="",
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

