"""Draft letters and public statements, written from the engagement's objectives and history."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import render_template

from engage.common import printing
from engage.common.labels import aum_in_documents
from engage.engagements.models import (
    DialogueEntry,
    Engagement,
    EngagementParticipant,
    LetterKind,
    Milestone,
    Objective,
    Visibility,
)
from engage.escalations.models import Decision, LadderStep
from engage.extensions import db
from engage.organisations.models import Organisation

HISTORY_ENTRIES = 8


def render_html(engagement: Engagement, decision: Decision, step: LadderStep, today: date) -> tuple[str, str]:
    """(title, HTML) of the draft; only coalition-visible dialogue is quoted, never private."""
    public = step.kind.value == LetterKind.PUBLIC_STATEMENT.value
    company = engagement.company
    signatories = db.session.execute(
        sa.select(Organisation.name, Organisation.aum_eur)
        .join(EngagementParticipant, EngagementParticipant.organisation_id == Organisation.id)
        .where(EngagementParticipant.engagement_id == engagement.id)
        .order_by(EngagementParticipant.role, Organisation.name)
    ).all()
    objectives = db.session.scalars(
        sa.select(Objective).where(Objective.engagement_id == engagement.id).order_by(Objective.id)
    ).all()
    missed = db.session.scalars(
        sa.select(Milestone)
        .where(Milestone.engagement_id == engagement.id, Milestone.met_on.is_(None),
               Milestone.due_on < today)
        .order_by(Milestone.due_on)
    ).all()
    history = db.session.scalars(
        sa.select(DialogueEntry)
        .where(DialogueEntry.engagement_id == engagement.id,
               DialogueEntry.visibility == Visibility.COALITION)
        .order_by(DialogueEntry.occurred_on.desc())
        .limit(HISTORY_ENTRIES)
    ).all()
    next_step = db.session.scalar(
        sa.select(LadderStep.kind)
        .where(LadderStep.ladder_id == step.ladder_id, LadderStep.position > step.position,
               LadderStep.retired_at.is_(None))
        .order_by(LadderStep.position)
        .limit(1)
    )
    title = (f"Public statement of investors on {company.name}" if public
             else f"Letter to the Board of {company.name}: {engagement.title}")
    html = render_template(
        "escalations/letter.html",
        title=title, public=public, engagement=engagement, company=company,
        decision=decision, today=today, objectives=objectives, missed=missed,
        history=list(reversed(history)), wait_days=step.wait_days,
        next_step=next_step.value.replace("_", " ") if next_step else "a further escalation",
        signatories=[s.name for s in signatories],
        aum=aum_in_documents(sum((s.aum_eur or Decimal(0) for s in signatories), Decimal(0))),
    )
    return title[:300], html


def render_pdf(html: str) -> bytes:
    return printing.pdf(html)
