"""What happened, by name: the events services announce and other parts of Engage react to.

A service sends a signal once it has written the change, inside its unit of work; it does not
know who listens. Receivers run at once, in the same transaction, so what they write commits
or rolls back with the change that caused it: a unit of work that rolls back has told nobody.
The notifications are the receivers today (:mod:`engage.notifications.handlers`, connected
by ``create_app``); e-mail leaves later, from committed notifications only.

Each signal's sender is the id of the row the event is about; the keyword arguments carry
what a receiver needs and cannot cheaply read again. ``now`` is always among them.
"""

from __future__ import annotations

from blinker import Namespace

_events = Namespace()

# --- engagements and votes (told to the company's followers) ------------------------------

engagement_created = _events.signal("engagement-created", doc="""
    sender: the engagement's id, once its lead participant is written.
    actor_id: who created it (not told of their own act), or None; now.""")

vote_recorded = _events.signal("vote-recorded", doc="""
    sender: the vote's id; an organisation recorded its own instruction.
    actor_id: who recorded it, or None; now.""")

# --- initiatives ----------------------------------------------------------------------------

member_applied = _events.signal("member-applied", doc="""
    sender: the initiative member's id (pending).
    initiative: the Initiative; applicant: the applying organisation's name;
    role: the role applied for (its value); role_label: the role, as shown; now.""")

membership_decided = _events.signal("membership-decided", doc="""
    sender: the initiative member's id, admitted or declined.
    initiative: the Initiative; organisation_id: the applicant; admitted: bool;
    reason: the coordinator's reason (may be empty); now.""")

# --- taking part in an engagement by invitation ---------------------------------------------

engagement_invited = _events.signal("engagement-invited", doc="""
    sender: the invitation's id (pending).
    organisation_id: the invited organisation; inviter: the inviting organisation's name;
    title: the engagement's title; company: the company's name; role: the role offered (its
    value); role_label: the role, as shown; now.""")

invitation_answered = _events.signal("invitation-answered", doc="""
    sender: the invitation's id, accepted or declined.
    organisation_id: the inviting organisation; invitee: the invited organisation's name;
    engagement_id; title; accepted: bool; now.""")

# --- the escalation engine ------------------------------------------------------------------

review_opened = _events.signal("review-opened", doc="""
    sender: the escalation review's id.
    engagement_id; cause: why, as data — {"reason": "milestone_overdue", "milestone": title,
    "due_on": ISO date} or {"reason": "step_wait_elapsed", "step_kind", "wait_days",
    "due_on"}; now.""")

milestone_due = _events.signal("milestone-due", doc="""
    sender: the milestone's id, due within one of ENGAGE_REMINDER_DAYS.
    engagement_id; title; due_on; days_left; deadline_version; days_before: the reminder's N;
    now.""")

decision_failed = _events.signal("decision-failed", doc="""
    sender: the decision's id, given up after its last attempt.
    engagement_id; attempts; error; now.""")

letter_opened = _events.signal("letter-opened", doc="""
    sender: the letter's id, just opened for signing by a lead.
    engagement: the Engagement; title; now.""")

signatures_withdrawn = _events.signal("signatures-withdrawn", doc="""
    sender: the letter's id (a letter, statement, AGM question or resolution), just returned
    to draft by a lead, which withdrew its signatures and declines.
    engagement: the Engagement; title; document: the letter's kind (its value);
    signed: ids of the organisations whose signature was withdrawn; declined: those whose
    decline was; now.""")

vote_requested = _events.signal("vote-requested", doc="""
    sender: the proposed vote's id, one per participating organisation.
    engagement: the Engagement; organisation_id; item; agm_on; now.""")

divestment_review_opened = _events.signal("divestment-review-opened", doc="""
    sender: the divestment review's id.
    engagement: the Engagement; now.""")

task_assigned = _events.signal("task-assigned", doc="""
    sender: the escalation task's id.
    engagement: the Engagement; organisation_id: the owning organisation; title; due_on;
    reason: the decision's reason; now.""")
