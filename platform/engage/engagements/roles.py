"""The role an organisation takes part in an engagement in. Stored by the participants
(:mod:`engage.engagements.models`) and by the invitations to take part
(:mod:`engage.engagements.invitation_models`); re-exported by the first."""

from __future__ import annotations

from engage.db import StrEnum


class ParticipantRole(StrEnum):
    LEAD = "lead"
    CO_LEAD = "co_lead"
    SUPPORTER = "supporter"
    # Invited (engagements.invitations): they see the shared record and change nothing.
    OBSERVER = "observer"
    CLIENT = "client"  # the outsourcing client of an outsourced engagement
