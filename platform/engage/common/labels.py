"""Words for the values the home page shows (stages, step kinds, roles…), in the user's
language. Stored values stay machine-readable; ``label(group, value)`` in a template turns
one into words. Lazy strings: the dictionaries are built at import time, translated on use.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

LABELS = {
    "stage": {
        "0": _l("Not started"),
        "1": _l("Concern raised"),
        "2": _l("Concern acknowledged"),
        "3": _l("Credible plan"),
        "4": _l("Plan implemented, outcome verified"),
    },
    "step": {
        "letter_to_board": _l("Letter to the board"),
        "meeting_with_board": _l("Meeting with the board or chair"),
        "public_statement": _l("Public statement"),
        "widen_coalition": _l("Widen the coalition"),
        "agm_question": _l("Question at the AGM"),
        "vote_against_directors": _l("Vote against directors"),
        "vote_against_annual_report": _l("Vote against the annual report"),
        "co_file_resolution": _l("(Co-)file a shareholder resolution"),
        "nominate_director": _l("Nominate a director"),
        "legal_action": _l("Legal remedies"),
        "reduce_exposure": _l("Reduce exposure"),
        "divestment_review": _l("Divestment review"),
    },
    "role": {
        "lead": _l("Lead"),
        "co_lead": _l("Co-lead"),
        "supporter": _l("Supporter"),
    },
    "status": {
        "active": _l("Active"),
        "closed_success": _l("Closed: success"),
        "closed_no_prospect": _l("Closed: no prospect"),
    },
    "dialogue": {
        "meeting": _l("meeting"),
        "call": _l("call"),
        "letter": _l("letter"),
        "email": _l("e-mail"),
        "agm_question": _l("AGM question"),
        "site_visit": _l("site visit"),
        "stakeholder_consultation": _l("stakeholder consultation"),
    },
    "decision": {
        "escalate": _l("escalate"),
        "extend": _l("extend the deadline"),
        "close": _l("close the engagement"),
    },
    "level": {
        "direct": _l("direct"),
        "collaborative": _l("collaborative"),
        "outsourced": _l("outsourced"),
    },
    # A step of the escalation ladder named within a sentence or a list (lower case).
    "step_kind": {
        "letter_to_board": _l("letter to board"),
        "meeting_with_board": _l("meeting with board"),
        "public_statement": _l("public statement"),
        "widen_coalition": _l("widen coalition"),
        "agm_question": _l("AGM question"),
        "vote_against_directors": _l("vote against directors"),
        "vote_against_annual_report": _l("vote against annual report"),
        "co_file_resolution": _l("co-file resolution"),
        "nominate_director": _l("nominate director"),
        "legal_action": _l("legal action"),
        "reduce_exposure": _l("reduce exposure"),
        "divestment_review": _l("divestment review"),
    },
    # What taking a step does, in plain words (the decision form and page, the README).
    "step_effect": {
        "letter_to_board": _l("Drafts a letter to the company's board. The leads edit it, "
                              "the participants co-sign it, a lead sends it; the company's "
                              "answer is then due by a dated milestone."),
        "meeting_with_board": _l("Gives the lead a task to request a meeting with the board "
                                 "or its chair, with an agenda: the concern, what the company "
                                 "is asked to do, the deadlines it missed."),
        "public_statement": _l("Drafts a public statement for the participants to co-sign "
                               "before it is published."),
        "widen_coalition": _l("Gives the lead a task to invite further investors to join: "
                              "the strength of numbers."),
        "agm_question": _l("Prepares a question for the company's next annual general "
                           "meeting."),
        "vote_against_directors": _l("Asks each participant to vote against the re-election "
                                     "of the directors responsible at the next AGM. Each "
                                     "organisation decides its own vote."),
        "vote_against_annual_report": _l("Asks each participant to vote against adopting "
                                         "the annual report at the next AGM. Each "
                                         "organisation decides its own vote."),
        "co_file_resolution": _l("Prepares a shareholder resolution for the participants to "
                                 "co-file before the filing deadline."),
        "nominate_director": _l("Gives the lead a task to prepare a nomination for election "
                                "to the board."),
        "legal_action": _l("Gives the lead a task to take legal advice on remedies."),
        "reduce_exposure": _l("Gives each participant that holds the company a task to "
                              "decide on reducing its exposure, and tells it. Nobody sells on "
                              "anyone's behalf; no position is shown to others."),
        "divestment_review": _l("Opens the divestment review: the leads answer the OECD "
                                "questions before any decision to divest. Its conclusion "
                                "(stay engaged, reduce exposure, divest) has effects of its "
                                "own."),
    },
    # What each kind of decision does.
    "decision_effect": {
        "escalate": _l("Escalate: the chosen step is taken once, by the workflow, and the "
                       "company has that step's waiting days to respond; then a review opens "
                       "again. Going past the next step, or to reducing exposure or the "
                       "divestment review, needs its own reason."),
        "extend": _l("Extend: the missed milestone gets a new date; if that passes unmet, a "
                     "new review opens. Nothing is sent to anyone."),
        "close": _l("Close: the engagement ends with its outcome (success, or no prospect of "
                    "success); no further reviews open."),
    },
    # What a divestment review's conclusion does.
    "conclusion_effect": {
        "stay_engaged": _l("Stay engaged: the engagement goes back to its escalation ladder, "
                           "at the last step taken before the divestment review; the next "
                           "review can escalate again."),
        "reduce_exposure": _l("Reduce exposure: each participant holding the company gets a "
                              "task and is told; the re-entry criteria and the date to look "
                              "again are recorded, and on that date a new review opens."),
        "divest": _l("Divest: each participant holding the company gets a task and is told; "
                     "divestment is temporary, until the re-entry criteria are met: on the "
                     "date to look again a new review opens."),
    },
    # What a co-signed document is, within a sentence (the dashboard's to-do list).
    "letter_kind": {
        "letter_to_board": _l("letter to board"),
        "public_statement": _l("public statement"),
        "agm_question": _l("AGM question"),
        "resolution": _l("shareholder resolution"),
    },
    "letter_status": {
        "draft": _l("draft"),
        "open_for_signing": _l("open for signing"),
        "sent": _l("sent"),
    },
    "close_outcome": {
        "success": _l("success"),
        "no_prospect": _l("no prospect"),
    },
    "vote_instruction": {
        "for": _l("for"),
        "against": _l("against"),
        "abstain": _l("abstain"),
    },
    "vote_status": {
        "proposed": _l("proposed"),
        "instructed": _l("instructed"),
        "cast": _l("cast"),
    },
    "vote_item_kind": {
        "directors": _l("Directors (election, discharge)"),
        "report": _l("Annual report and accounts"),
        "other": _l("Another item"),
    },
    "exclusion": {
        "tobacco": _l("Tobacco"),
        "controversial_weapons": _l("Controversial weapons"),
        "nuclear_weapons": _l("Nuclear weapons"),
        "thermal_coal": _l("Thermal coal"),
        "tar_sands": _l("Tar sands"),
        "ungc_oecd_violation": _l("Violation of the UN Global Compact or OECD Guidelines"),
        "human_rights": _l("Human rights"),
        "other": _l("Other"),
    },
    "org_role": {
        "admin": _l("admin"),
        "member": _l("member"),
        "viewer": _l("viewer"),
    },
    # The engagement record: objectives (the insurer's policy, section 8.4, and the study).
    "objective_kind": {
        "end_impact": _l("End the negative impact"),
        "provide_remedy": _l("Provide remedy"),
        "prevent_recurrence": _l("Prevent recurrence"),
        "transparency": _l("Be transparent about the measures taken"),
        "due_diligence": _l("Improve due diligence: management systems, objectives and targets"),
        "measure_outcomes": _l("Measure the outcomes for the people affected"),
        "stakeholder_voice": _l("Hear the rights-holders and stakeholders"),
        "other": _l("Other"),
    },
    # The audit trail: what kind of record an entry is about (its table), in words.
    "object_type": {
        "api_token": _l("API token"),
        "attachment": _l("Attachment"),
        "audit_event": _l("Audit trail"),
        "calendar_feed": _l("Calendar feed"),
        "company": _l("Company"),
        "company_follow": _l("Company followed"),
        "decision": _l("Decision"),
        "dialogue_entry": _l("Dialogue entry"),
        "dialogue_revision": _l("Dialogue entry correction"),
        "divestment_review": _l("Divestment review"),
        "engagement": _l("Engagement"),
        "engagement_access": _l("Who sees an engagement"),
        "engagement_invitation": _l("Engagement invitation"),
        "engagement_participant": _l("Engagement participant"),
        "escalation_ladder": _l("Escalation ladder"),
        "escalation_review": _l("Escalation review"),
        "escalation_task": _l("Task"),
        "holding": _l("Holding"),
        "identity": _l("Sign-in identity"),
        "import": _l("Import"),
        "import_job": _l("Import job"),
        "initiative": _l("Initiative"),
        "initiative_member": _l("Initiative member"),
        "ladder_step": _l("Ladder step"),
        "letter": _l("Letter"),
        "letter_decline": _l("Letter declined"),
        "milestone": _l("Milestone"),
        "milestone_reminder": _l("Milestone reminder"),
        "note": _l("Private note"),
        "notification": _l("Notification"),
        "objective": _l("Objective"),
        "org_membership": _l("Membership of the organisation"),
        "organisation": _l("Organisation"),
        "render_generation": _l("Page cache generation"),
        "report": _l("Report"),
        "resolution": _l("Shareholder resolution"),
        "severity_assessment": _l("Severity assessment"),
        "sign_in_failure": _l("Refused sign-in"),
        "sign_on_attestation": _l("Sign-on attestation"),
        "signature": _l("Signature"),
        "sso_config": _l("Single sign-on settings"),
        "sso_domain": _l("Single sign-on domain"),
        "user_account": _l("Person"),
        "user_session": _l("Sign-in session"),
        "vote": _l("Vote"),
    },
    # Audit-trail events that are not a plain create, change or delete of a record.
    "audit_action": {
        "audit.export": _l("Audit trail exported"),
        "auth.identity_linked": _l("Sign-in identity linked"),
        "auth.login": _l("Signed in"),
        "auth.login_failed": _l("Sign-in refused"),
        "auth.logout": _l("Signed out"),
        "auth.role_from_claim": _l("Role taken from the identity provider"),
        "auth.role_kept": _l("Role kept (the identity provider named none)"),
        "auth.sessions_ended": _l("Signed out everywhere"),
        "auth.sign_in_reset": _l("Sign-in reset"),
        "engagement_invitation.accepted": _l("Engagement invitation accepted"),
        "engagement_invitation.declined": _l("Engagement invitation declined"),
        "engagement_participant.left": _l("Left the engagement"),
        "import.companies": _l("Companies imported"),
        "import.exclusions": _l("Exclusion list imported"),
        "import.holdings": _l("Holdings imported"),
        "import.ratings": _l("ESG ratings imported"),
        "initiative.handed_over": _l("Initiative handed over"),
        "initiative_member.admitted": _l("Member admitted to the initiative"),
        "initiative_member.declined": _l("Application to the initiative declined"),
        "initiative_member.left": _l("Left the initiative"),
        "initiative_member.removed": _l("Member removed from the initiative"),
        "initiative_member.updated": _l("Initiative membership changed"),
        "report.export": _l("Stewardship report exported"),
        "sso.configured": _l("Single sign-on configured"),
    },
}


def label(group: str, value: object) -> str:
    """The words for ``value`` (an enum or its string) in ``group``; the value itself when
    no words are known (a new enum member shows, untranslated, rather than failing)."""
    key = getattr(value, "value", value)
    if group == "quarter":  # "2026-3"
        year, _sep, quarter = str(key).partition("-")
        return _("Q%(quarter)s %(year)s", quarter=quarter, year=year)
    words = LABELS.get(group, {}).get(str(key))
    return str(words) if words is not None else str(key)


def label_choices(group: str) -> list[tuple[str, str]]:
    """Every value of ``group`` with its words, in the order defined: a filter's options."""
    return [(key, str(words)) for key, words in LABELS.get(group, {}).items()]


def aum_in_documents(total) -> str:
    """AUM as letters to companies state it, in any language: "EUR 2.5 bn"."""
    return f"EUR {total / 1_000_000_000:.1f} bn"


def format_aum(amount) -> str:
    """Assets under management the way investors say them: €2.5B, € 2,5 mld."""
    from babel.numbers import format_compact_currency
    from flask_babel import get_locale

    if amount is None:
        return "—"
    return format_compact_currency(amount, "EUR", locale=get_locale() or "en", fraction_digits=1)


def html_time(value) -> str:
    """``value`` as the ``datetime`` attribute of a ``<time>`` element accepts it: a date as
    ``2026-03-01``; a moment in UTC to the second, with its offset: ``2026-03-01T09:30:00Z``
    (HTML allows no microseconds)."""
    from datetime import datetime, timezone

    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        moment = value.astimezone(timezone.utc).replace(microsecond=0, tzinfo=None)
        return moment.isoformat() + "Z"
    return value.isoformat()


def decision_summary(decision) -> str:
    """A decision in words, as the engagement and decision pages head it: "Escalate to
    “Letter to the board”", "Extend the deadline to 1 Mar 2026", "Close the engagement:
    success" (never the stored codes)."""
    from flask_babel import format_date

    kind = getattr(decision.kind, "value", decision.kind)
    if kind == "escalate" and decision.ladder_step is not None:
        return _("Escalate to “%(step)s”", step=label("step", decision.ladder_step.kind))
    if kind == "extend" and decision.new_due_on is not None:
        return _("Extend the deadline to %(date)s", date=format_date(decision.new_due_on))
    if kind == "close" and decision.close_outcome is not None:
        return _("Close the engagement: %(outcome)s",
                 outcome=label("close_outcome", decision.close_outcome))
    return label("decision", kind).capitalize()


# What happened to a record, by the verb the trail records it with.
AUDIT_VERBS = {
    "create": _l("%(object)s created"),
    "update": _l("%(object)s changed"),
    "delete": _l("%(object)s deleted"),
}


def object_type_words(object_type: str | None) -> str:
    """A record's kind in words ("Milestone"); one not known reads "Other record"."""
    if not object_type:
        return ""
    words = LABELS["object_type"].get(object_type)
    return str(words) if words is not None else _("Other record")


def audit_action(action: str) -> str:
    """An audit-trail action in words: "Milestone changed", "Signed in" (never the stored
    code). An action this version does not know reads "Other change"."""
    words = LABELS["audit_action"].get(action)
    if words is not None:
        return str(words)
    table, _sep, verb = action.rpartition(".")
    if verb in AUDIT_VERBS and table in LABELS["object_type"]:
        return str(AUDIT_VERBS[verb]) % {"object": object_type_words(table)}
    return _("Other change")
