"""Letters and public statements: the draft written from the engagement's objectives, and
the document as the company receives it.

The draft (``Letter.body_html``) holds only what the leads say to the company; it never
names signatories. Who signed, and with what assets, is added each time the document is
rendered, from the signatures as they are now: a letter claims exactly the signatures it
has, and a PDF is never a stale copy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import render_template
from markupsafe import Markup

from engage.common import printing
from engage.common.labels import aum_in_documents
from engage.engagements.models import (
    AumBasis,
    Engagement,
    Letter,
    LetterKind,
    LetterStatus,
    Milestone,
    Objective,
    Signature,
)
from engage.escalations.models import Decision, LadderStep
from engage.extensions import db

# How each basis reads in a letter, after the amount.
BASIS_IN_DOCUMENTS = {
    AumBasis.COMMITTED: "committed to the initiative",
    AumBasis.DECLARED: "declared assets under management",
}


def _sentence(text: str) -> str:
    """A field as a sentence of its own: trimmed, one full stop at the end."""
    text = " ".join(text.split()).rstrip(".;, ")
    return f"{text}." if text else ""


def render_html(engagement: Engagement, decision: Decision, step: LadderStep, today: date) -> tuple[str, str]:
    """(title, HTML) of the draft's body: objectives, missed commitments and what is asked.
    No signatories (the document adds the actual ones), no dialogue summaries, no decision
    reason: internal notes are not the company's to read."""
    public = step.kind.value == LetterKind.PUBLIC_STATEMENT.value
    company = engagement.company
    objectives = db.session.scalars(
        sa.select(Objective).where(Objective.engagement_id == engagement.id).order_by(Objective.id)
    ).all()
    missed = db.session.scalars(
        sa.select(Milestone)
        .where(Milestone.engagement_id == engagement.id, Milestone.pending,
               Milestone.due_on < today)
        .order_by(Milestone.due_on)
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
        "escalations/letter_body.html",
        public=public, engagement=engagement, company=company,
        issue=_sentence(engagement.issue), rights_holders=_sentence(engagement.rights_holders),
        objectives=[_sentence(o.description) for o in objectives], missed=missed,
        wait_days=step.wait_days,
        next_step=next_step.value.replace("_", " ") if next_step else "a further escalation",
    )
    return title[:300], html


@dataclass(frozen=True)
class Signatories:
    """The actual signatures of a letter, as the letter states them."""

    names: list[tuple[str, Decimal | None]]  # (organisation, assets), by name
    basis: AumBasis
    total: Decimal
    unstated: int  # signatories whose assets are not stated (not counted in the total)

    @property
    def count(self) -> int:
        return len(self.names)


def signatories(letter: Letter) -> Signatories:
    """Who signed ``letter`` and the assets each stands for; nobody else."""
    signed = sorted(letter.signatures, key=lambda s: s.organisation.name)
    stated = [s.aum_eur for s in signed if s.aum_eur is not None]
    basis = signed[0].aum_basis if signed else (
        AumBasis.COMMITTED if letter.engagement.initiative_id is not None else AumBasis.DECLARED)
    return Signatories(names=[(s.organisation.name, s.aum_eur) for s in signed], basis=basis,
                       total=sum(stated, Decimal(0)), unstated=len(signed) - len(stated))


# Drafts made before the signature block moved out of the draft were whole documents that
# listed every participant as a signatory, quoted the dialogue and the decision's reason.
# Shown now, only their body is kept, without those parts (the stored text is left as it is).
_LEGACY_DROPS = (
    re.compile(r'<p class="meta">Draft .*?</p>\s*<h1>.*?</h1>', re.S),
    re.compile(r"<p>Our dialogue so far:</p>\s*<table>.*?</table>", re.S),
    re.compile(r"<p>Signed, on behalf of .*?</ul>", re.S),
    re.compile(r'<p class="meta">Open for co-signing\..*?</p>', re.S),
)


def body_of(letter: Letter) -> Markup:
    """What the leads say to the company: the stored draft, without any signature claim."""
    html = letter.body_html
    inner = re.search(r"<body[^>]*>(.*)</body>", html, re.S)
    if inner:
        html = inner.group(1)
        for pattern in _LEGACY_DROPS:
            html = pattern.sub("", html)
    return Markup(html)


def document(letter: Letter) -> str:
    """The whole letter as the company receives it, from the current state: marked DRAFT
    until sent, then dated; signed by exactly the organisations that signed."""
    signed = signatories(letter)
    return render_template(
        "escalations/letter.html", letter=letter, body=body_of(letter),
        sent=letter.status == LetterStatus.SENT, signed=signed,
        basis=BASIS_IN_DOCUMENTS[signed.basis], aum=aum_in_documents,
    )


def pdf(letter: Letter) -> bytes:
    """The letter's PDF, rendered now (never a stored copy)."""
    return printing.pdf(document(letter))


def with_signatures(letter_id: int) -> Letter | None:
    """The letter with its signatures and their organisations, for rendering."""
    from sqlalchemy.orm import selectinload

    return db.session.scalar(
        sa.select(Letter).where(Letter.id == letter_id)
        .options(selectinload(Letter.signatures).selectinload(Signature.organisation)))
