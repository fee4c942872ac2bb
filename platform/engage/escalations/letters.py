"""Letters and public statements: the document as the company receives it.

The draft (``Letter.body_text``, see :mod:`engage.escalations.drafting`) holds only what the
leads say to the company; it never names signatories. Who signed, and with what assets, is added each time the document is
rendered, from the signatures as they are now: a letter claims exactly the signatures it
has, and a PDF is never a stale copy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask import render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from engage.common import printing
from engage.common.labels import aum_in_documents
from engage.engagements.models import (
    AumBasis,
    Letter,
    LetterDecline,
    LetterKind,
    LetterStatus,
    Signature,
)
from engage.escalations import drafting
from engage.extensions import db

# How each basis reads in a letter, after the amount (translated in the letter's language).
BASIS_IN_DOCUMENTS = {
    AumBasis.COMMITTED: _l("committed to the initiative"),
    AumBasis.DECLARED: _l("declared assets under management"),
}


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


def body_of(letter: Letter, text: str | None = None) -> Markup:
    """What the leads say to the company: ``text`` (a draft being written) or the stored
    draft, escaped; a letter drafted before plain-text drafts shows its stored HTML without
    any signature claim."""
    if text is None:
        text = letter.body_text
    if text is not None:
        return drafting.to_html(text)
    html = letter.body_html
    inner = re.search(r"<body[^>]*>(.*)</body>", html, re.S)
    if inner:
        html = inner.group(1)
        for pattern in _LEGACY_DROPS:
            html = pattern.sub("", html)
    return Markup(html)


def editable_text(letter: Letter) -> str:
    """The draft as plain text for the editor; a letter drafted before plain-text drafts
    gives its body's words (paragraphs and list items kept, every tag dropped)."""
    if letter.body_text is not None:
        return letter.body_text
    import html as html_lib

    text = re.sub(r"<li[^>]*>\s*", "- ", str(body_of(letter)))
    text = re.sub(r"</(p|ul|ol|table|blockquote|h\d)>", "\n\n", text)
    text = re.sub(r"<br\s*/?>|</li>|</tr>", "\n", text)
    text = html_lib.unescape(re.sub(r"<[^>]+>", "", text))
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def document_context(letter: Letter, *, text: str | None = None, title: str | None = None,
                     contact_name: str | None = None, contact_email: str | None = None,
                     language: str | None = None) -> dict:
    """What the letter shows, from the current state; the keyword arguments stand in for
    what a lead is typing (the preview), nothing of it stored."""
    from engage.escalations import documents, resolutions

    signed = signatories(letter)
    lead = drafting.lead_organisation(letter.engagement_id)
    return {
        "letter": letter, "kind": letter.kind.value,
        "resolution": (resolutions.of_letter(letter.id)
                       if letter.kind == LetterKind.RESOLUTION else None),
        "where": documents.PLACES_IN_DOCUMENTS.get(letter.sent_channel or "", ""), "language": language or letter.language.value,
        "title": letter.title if title is None else title,
        "body": body_of(letter, text), "sent": letter.status == LetterStatus.SENT,
        "signed": signed, "basis": BASIS_IN_DOCUMENTS[signed.basis], "aum": aum_in_documents,
        "sender": lead.name if lead is not None else "",
        "coalition": drafting.coalition_name(letter.engagement, lead),
        "initiative": drafting.in_initiative(letter.engagement),
        "contact_name": letter.contact_name if contact_name is None else contact_name,
        "contact_email": letter.contact_email if contact_email is None else contact_email,
    }


def render_in_language(template: str, context: dict) -> str:
    """``template`` rendered in the letter's language, whatever the reader's."""
    with force_locale(context["language"]):
        return render_template(template, **context)


def preview(letter: Letter, context: dict) -> Markup:
    """The letter page's preview: exactly what the PDF draws, from ``context``
    (:func:`document_context`), in the document's language."""
    return Markup(render_in_language("escalations/_letter_preview.html", context))


def document(letter: Letter) -> str:
    """The whole letter as the company receives it, from the current state: marked DRAFT
    until sent, then dated; signed by exactly the organisations that signed."""
    return render_in_language("escalations/letter.html", document_context(letter))


def pdf(letter: Letter) -> bytes:
    """The letter's PDF, rendered now (never a stored copy)."""
    return printing.pdf(document(letter))


def with_signatures(letter_id: int) -> Letter | None:
    """The letter with its signatures and their organisations, for rendering."""
    from sqlalchemy.orm import joinedload, selectinload

    return db.session.scalar(
        sa.select(Letter).where(Letter.id == letter_id)
        .options(selectinload(Letter.signatures).joinedload(Signature.organisation),
                 selectinload(Letter.declines).joinedload(LetterDecline.organisation)))
