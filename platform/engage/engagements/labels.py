"""Translatable names of the engagement enums, for forms and pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

DIALOGUE_KINDS = {
    "meeting": _l("Meeting"),
    "call": _l("Call"),
    "letter": _l("Letter"),
    "email": _l("E-mail"),
    "agm_question": _l("AGM question"),
    "site_visit": _l("Site visit"),
    "stakeholder_consultation": _l("Consultation of rights-holders or stakeholders"),
}
COMPANY_LEVELS = {
    "board": _l("The board"),
    "chair": _l("The chair"),
    "independent_director": _l("An independent director"),
    "management": _l("Management"),
    "investor_relations": _l("Investor relations"),
    "other": _l("Other"),
}
DIALOGUE_MODES = {"in_person": _l("In person"), "virtual": _l("Virtual")}
VISIBILITIES = {
    "coalition": _l("The coalition (every participant)"),
    "private": _l("Private to my organisation"),
}
TRIGGERS = {
    "proactive": _l("Proactive: a risk to people found before harm is reported"),
    "reactive": _l("Reactive: responding to a reported harm or controversy"),
}
LEVELS = {
    "direct": _l("Direct (my organisation alone)"),
    "outsourced": _l("Outsourced (through a service provider)"),
    "collaborative": _l("Collaborative (within an initiative)"),
}
OBJECTIVE_KINDS = {
    "end_impact": _l("End the negative impact"),
    "provide_remedy": _l("Provide remedy"),
    "prevent_recurrence": _l("Prevent recurrence"),
    "transparency": _l("Be transparent about the measures taken"),
    "due_diligence": _l("Improve due diligence: management systems, objectives and targets"),
    "measure_outcomes": _l("Measure the outcomes for the people affected"),
    "stakeholder_voice": _l("Hear the rights-holders and stakeholders"),
    "other": _l("Other"),
}
OBJECTIVE_STATUSES = {
    "open": _l("Open"),
    "met": _l("Met"),
    "abandoned": _l("Abandoned"),
}
# The stages of engagements.models.STAGES, translated (the model's plain English is what
# letters and notifications rendered outside a request use).
STAGES = {
    0: _l("not started"),
    1: _l("concern raised"),
    2: _l("concern acknowledged"),
    3: _l("credible plan"),
    4: _l("plan implemented, outcome for people verified"),
}
HORIZONS = {"short": _l("Short term"), "mid": _l("Mid term"), "long": _l("Long term")}
ROLES = {"lead": _l("lead"), "co_lead": _l("co-lead"), "supporter": _l("supporter"),
         "observer": _l("observer"), "client": _l("outsourcing client")}
CONCLUSIONS = {
    "open": _l("Open: still being answered"),
    "stay_engaged": _l("Stay engaged"),
    "reduce_exposure": _l("Reduce exposure"),
    "divest": _l("Divest (responsibly)"),
}
DECISION_KINDS = {"escalate": _l("escalate"), "extend": _l("extend the deadline"),
                  "close": _l("close the engagement")}
# What a co-signed document is called in a sentence, by its kind (LetterKind's values), so
# no message calls a statement, an AGM question or a resolution a letter.
DOCUMENT_NOUNS = {
    "letter_to_board": _l("letter"),
    "public_statement": _l("statement"),
    "agm_question": _l("question"),
    "resolution": _l("resolution"),
}
SEVERITY = {
    "severity_scale": (_l("Scale"), _l("How grave is the harm to the people affected? "
                                       "1 minor – 5 life, health or liberty at stake.")),
    "severity_scope": (_l("Scope"), _l("How many people are or could be affected? "
                                       "1 a few – 5 very many.")),
    "severity_irremediability": (_l("Irremediability"), _l(
        "How hard is it to put right? 1 easily remedied – 5 cannot be undone.")),
}


def document_noun(kind) -> str:
    """The document's noun in the current language ("letter", "statement", …)."""
    return str(DOCUMENT_NOUNS.get(getattr(kind, "value", kind), DOCUMENT_NOUNS["letter_to_board"]))


def context() -> dict:
    return {"dialogue_kinds": DIALOGUE_KINDS, "visibilities": VISIBILITIES, "triggers": TRIGGERS,
            "levels": LEVELS, "objective_kinds": OBJECTIVE_KINDS, "horizons": HORIZONS,
            "objective_statuses": OBJECTIVE_STATUSES,
            "company_levels": COMPANY_LEVELS, "dialogue_modes": DIALOGUE_MODES,
            "role_labels": ROLES, "conclusions": CONCLUSIONS,
            "decision_kinds": DECISION_KINDS, "stages": STAGES, "severity_fields": SEVERITY}
