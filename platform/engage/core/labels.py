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
    "org_role": {
        "admin": _l("admin"),
        "member": _l("member"),
        "viewer": _l("viewer"),
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
