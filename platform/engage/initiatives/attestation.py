"""The antitrust guardrail a member accepts at sign-on, versioned.

A version's text never changes once an organisation has accepted it: a new wording is a new
version, added here with the next number, and :data:`CURRENT` moves to it. Each sign-on
stores the version shown (:class:`engage.initiatives.models.SignOnAttestation`), so the
coordinator and the report can say what exactly each member confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Attestation:
    version: int
    effective_on: date
    guardrail: object  # the rule, as shown
    confirmation: object  # what the member ticks


ATTESTATIONS: dict[int, Attestation] = {
    1: Attestation(
        version=1,
        effective_on=date(2026, 1, 1),
        guardrail=_l(
            "Members work together on a shared engagement agenda only. Each member decides and "
            "votes independently: there is no agreement on how to vote, to buy or to sell. "
            "Members share no commercially sensitive information — no positions, trading "
            "intentions, prices, fees or strategies — with each other or through the "
            "coordinator."),
        confirmation=_l(
            "I confirm that my organisation decides and votes independently and shares no "
            "commercially sensitive information."),
    ),
}
CURRENT = ATTESTATIONS[max(ATTESTATIONS)]


def text_of(version: int) -> Attestation | None:
    return ATTESTATIONS.get(version)
