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
