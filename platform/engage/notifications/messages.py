"""What each notification says, written when it is read, in the reader's language.

A notification stores a message key (``review_opened``) and its parameters as data — names,
titles, dates as ISO strings, numbers, enum values — never translated text. The page, the
API and the e-mail call :func:`render` in the reader's language (a person who switches
language reads every notification in the new one). The subject and body written with the
row, in the language of that moment, are the fallback: for rows written before messages
had keys, and for a key or parameters this version does not know.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from flask_babel import format_date, ngettext
from flask_babel import gettext as _

from engage.common.labels import label
from engage.engagements import labels as engagement_labels
from engage.engagements.invitations import ROLE_LABELS
from engage.engagements.models import ParticipantRole

log = logging.getLogger(__name__)

Params = dict[str, Any]
#: A message: its parameters in, its subject and body out (in the current language).
Message = Callable[[Params], tuple[str, str]]

MESSAGES: dict[str, Message] = {}


def message(key: str) -> Callable[[Message], Message]:
    def register(fn: Message) -> Message:
        MESSAGES[key] = fn
        return fn
    return register


def render(key: str | None, params: Params | None, subject: str = "",
           body: str = "") -> tuple[str, str]:
    """The subject and body of message ``key`` in the current language; the stored
    ``subject`` and ``body`` when the key is unknown (an older row) or its parameters do not
    fit it."""
    build = MESSAGES.get(key or "")
    if build is None or not isinstance(params, dict):
        return subject, body
    try:
        new_subject, new_body = build(params)
    except (KeyError, TypeError, ValueError):
        log.warning("notification message %r does not fit its parameters; stored text shown",
                    key)
        return subject, body
    return new_subject[:300], new_body


def _day(value: str) -> str:
    return format_date(date.fromisoformat(value))


def _role(value: str) -> str:
    return str(ROLE_LABELS[ParticipantRole(value)])


# --- the escalation engine ------------------------------------------------------------------


def _why_review(p: Params) -> str:
    if p["reason"] == "step_wait_elapsed":
        return ngettext("The %(num)d day's wait after the step “%(step)s” ran out on %(date)s.",
                        "The %(num)d days' wait after the step “%(step)s” ran out on %(date)s.",
                        int(p["wait_days"]), step=label("step_kind", p["step_kind"]),
                        date=_day(p["due_on"]))
    if p["reason"] == "milestone_overdue":
        return _("Milestone “%(title)s” was due on %(date)s and is unmet.",
                 title=p["milestone"], date=_day(p["due_on"]))
    raise ValueError(p["reason"])


@message("review_opened")
def review_opened(p: Params) -> tuple[str, str]:
    return (_("Escalation review: %(title)s", title=p["title"]),
            _("%(what)s Decide: escalate to the next step, extend the deadline (with a "
              "reason), or close the engagement.", what=_why_review(p)))


@message("reminder")
def reminder(p: Params) -> tuple[str, str]:
    return (ngettext("%(company)s: due in %(num)d day: %(title)s",
                     "%(company)s: due in %(num)d days: %(title)s", int(p["days_left"]),
                     title=p["title"], company=p["company"]),
            _("Milestone “%(title)s” is due on %(date)s. If it is not met by then, an "
              "escalation review opens.", title=p["title"], date=_day(p["due_on"])))


@message("decision_failed")
def decision_failed(p: Params) -> tuple[str, str]:
    return (ngettext("A decision could not be carried out (after %(num)d attempt)",
                     "A decision could not be carried out (after %(num)d attempts)",
                     int(p["attempts"])),
            _("Decision %(id)s stays failed: %(error)s", id=p["decision_id"], error=p["error"]))


@message("letter_to_sign")
def letter_to_sign(p: Params) -> tuple[str, str]:
    return (_("To co-sign: %(title)s", title=p["title"]),
            _("The leads have opened “%(title)s” on %(company)s for signing. Read it, then "
              "sign or decline for your organisation.", title=p["title"], company=p["company"]))


@message("signature_withdrawn")
def signature_withdrawn(p: Params) -> tuple[str, str]:
    document = engagement_labels.document_noun(p["document"])
    if p["signed"]:
        body = _("The leads returned the %(document)s “%(title)s” on %(company)s to draft to "
                 "change its text, and withdrew your organisation's signature: a signature "
                 "stands only under the text its signer read. When it opens for signing again, "
                 "read it and sign again.", document=document, title=p["title"],
                 company=p["company"])
    else:
        body = _("The leads returned the %(document)s “%(title)s” on %(company)s to draft to "
                 "change its text, and withdrew your organisation's decline. When it opens for "
                 "signing again, your organisation decides anew.", document=document,
                 title=p["title"], company=p["company"])
    return _("Back to draft, your answer withdrawn: %(title)s", title=p["title"]), body


@message("vote_requested")
def vote_requested(p: Params) -> tuple[str, str]:
    return (_("Vote requested: against “%(item)s” at %(company)s, AGM %(date)s",
              item=p["item"], company=p["company"], date=_day(p["agm_on"])),
            _("The engagement's leads ask participants to vote against this item. The vote is "
              "your organisation's own decision."))


@message("divestment_review")
def divestment_review(p: Params) -> tuple[str, str]:
    return (_("Divestment review opened: %(company)s", company=p["company"]),
            _("Answer the OECD questions before any decision: when is divestment responsible "
              "and when can it be harmful?"))


@message("task_assigned")
def task_assigned(p: Params) -> tuple[str, str]:
    return (_("Task: %(title)s", title=p["title"]),
            _("Due %(date)s. Decided: %(reason)s", date=_day(p["due_on"]), reason=p["reason"]))


# --- initiatives and invitations ------------------------------------------------------------


@message("initiative_application")
def initiative_application(p: Params) -> tuple[str, str]:
    return (_("New application to “%(title)s”", title=p["title"]),
            _("%(org)s asks to join as %(role)s.", org=p["applicant"], role=_role(p["role"])))


@message("membership_decided")
def membership_decided(p: Params) -> tuple[str, str]:
    if p["admitted"]:
        return (_("Your organisation was admitted to “%(title)s”", title=p["title"]),
                p["reason"] or _("You can now see the initiative's engagements and join them."))
    return (_("Your application to “%(title)s” was declined", title=p["title"]), p["reason"])


@message("engagement_invitation")
def engagement_invitation(p: Params) -> tuple[str, str]:
    return (_("Invitation to the engagement “%(title)s”", title=p["title"]),
            _("%(org)s invites your organisation to take part as %(role)s in its engagement "
              "with %(company)s. Accept or decline it.", org=p["inviter"],
              role=_role(p["role"]), company=p["company"]))


@message("invitation_answered")
def invitation_answered(p: Params) -> tuple[str, str]:
    if p["accepted"]:
        return _("%(org)s accepted your invitation to “%(title)s”", org=p["invitee"],
                 title=p["title"]), ""
    return _("%(org)s declined your invitation to “%(title)s”", org=p["invitee"],
             title=p["title"]), ""


# --- the followers of a company ---------------------------------------------------------------


@message("company_engagement")
def company_engagement(p: Params) -> tuple[str, str]:
    return (_("New engagement on %(company)s: %(title)s", company=p["company"],
              title=p["title"]),
            _("You follow %(company)s.", company=p["company"]))


@message("company_vote")
def company_vote(p: Params) -> tuple[str, str]:
    return (_("Vote recorded on %(company)s: %(item)s", company=p["company"], item=p["item"]),
            _("Your organisation's instruction: %(instruction)s (AGM of %(date)s).",
              instruction=label("vote_instruction", p["instruction"]), date=_day(p["agm_on"])))
