"""The words of a letter or statement: the draft Engage writes from the engagement, in the
letter's language, and the leads' plain text turned into the HTML the company reads.

A draft is plain text: paragraphs separated by a blank line, a line starting with "- " is a
list item. It says only what the leads say to the company: the concern, the objectives, the
commitments missed and what is asked. It never quotes internal dialogue or a decision's
reason; a lead who wants the company to read those writes them in.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from markupsafe import Markup, escape

from engage.engagements.models import (
    Engagement,
    EngagementParticipant,
    LetterKind,
    LetterLanguage,
    Milestone,
    Objective,
    ObjectiveStatus,
    ParticipantRole,
)
from engage.escalations.models import LadderStep, StepKind
from engage.extensions import db
from engage.organisations.models import Organisation

BULLET = "- "


def _next_step(kind: StepKind | None, company: str) -> str:
    """What the coalition will do next, completing "Without a credible answer, we will …"."""
    phrases = {
        StepKind.LETTER_TO_BOARD: lambda: _("write to the Board again"),
        StepKind.MEETING_WITH_BOARD: lambda: _("ask for a meeting with the Board or its chair"),
        StepKind.PUBLIC_STATEMENT: lambda: _("make our concern public in a statement"),
        StepKind.WIDEN_COALITION: lambda: _("invite further investors to join our engagement"),
        StepKind.AGM_QUESTION: lambda: _("raise this concern at the Annual General Meeting"),
        StepKind.VOTE_AGAINST_DIRECTORS: lambda: _(
            "vote against the re-election of the directors responsible"),
        StepKind.VOTE_AGAINST_ANNUAL_REPORT: lambda: _(
            "vote against the adoption of the annual report"),
        StepKind.CO_FILE_RESOLUTION: lambda: _("file a shareholder resolution"),
        StepKind.NOMINATE_DIRECTOR: lambda: _("nominate a candidate for election to the Board"),
        StepKind.LEGAL_ACTION: lambda: _("consider legal remedies"),
        StepKind.REDUCE_EXPOSURE: lambda: _("consider reducing our exposure to %(company)s",
                                            company=company),
        StepKind.DIVESTMENT_REVIEW: lambda: _("review whether we remain invested in %(company)s",
                                              company=company),
    }
    phrase = phrases.get(kind) if kind is not None else None
    return phrase() if phrase else _("take the next step of our escalation strategy")


def _sentence(text: str) -> str:
    """A field as a sentence of its own: one line, trimmed, one full stop at the end."""
    text = " ".join((text or "").split()).rstrip(".;, ")
    return f"{text}." if text else ""


def lead_organisation(engagement_id: int) -> Organisation | None:
    """The engagement's lead organisation (the sender of its letters)."""
    return db.session.scalar(
        sa.select(Organisation).join(EngagementParticipant,
                                     EngagementParticipant.organisation_id == Organisation.id)
        .where(EngagementParticipant.engagement_id == engagement_id,
               EngagementParticipant.role == ParticipantRole.LEAD)
        .order_by(EngagementParticipant.id).limit(1))


def coalition_name(engagement: Engagement, lead: Organisation | None) -> str:
    """Who speaks: the initiative, or in a direct engagement the lead organisation."""
    if engagement.initiative is not None:
        return engagement.initiative.title
    return lead.name if lead is not None else ""


def in_initiative(engagement: Engagement) -> bool:
    return engagement.initiative_id is not None


def generate(engagement: Engagement, kind: LetterKind, language: LetterLanguage,
             step: LadderStep | None, today: date) -> tuple[str, str]:
    """(title, plain text) of a new draft in ``language``: well-formed sentences around the
    engagement's concern, objectives and missed commitments, nothing internal."""
    company = engagement.company.name
    coalition = coalition_name(engagement, lead_organisation(engagement.id))
    objectives = db.session.scalars(
        sa.select(Objective.description).where(Objective.engagement_id == engagement.id,
                                               Objective.status == ObjectiveStatus.OPEN)
        .order_by(Objective.id)).all()
    missed = db.session.execute(
        sa.select(Milestone.title, Milestone.due_on)
        .where(Milestone.engagement_id == engagement.id, Milestone.pending,
               Milestone.due_on < today)
        .order_by(Milestone.due_on)).all()
    next_kind = None
    if step is not None:
        next_kind = db.session.scalar(
            sa.select(LadderStep.kind)
            .where(LadderStep.ladder_id == step.ladder_id, LadderStep.position > step.position,
                   LadderStep.retired_at.is_(None))
            .order_by(LadderStep.position).limit(1))
    wait_days = step.wait_days if step is not None else 30
    public = kind == LetterKind.PUBLIC_STATEMENT
    if kind in (LetterKind.AGM_QUESTION, LetterKind.RESOLUTION):
        with force_locale(language.value):
            title, paragraphs = (_question if kind == LetterKind.AGM_QUESTION else _resolution)(
                engagement, company, objectives)
        return str(title)[:300], "\n\n".join(str(p) for p in paragraphs)
    with force_locale(language.value):
        paragraphs: list[str] = []
        initiative = in_initiative(engagement)
        if public:
            title = _("Public statement of investors on %(company)s", company=company)
            paragraphs.append(
                _("We, the investors who sign this statement, hold shares in %(company)s. As "
                  "members of the investor initiative “%(coalition)s”, we have engaged with "
                  "the company on the following concern.", company=company, coalition=coalition)
                if initiative else
                _("We, the investors who sign this statement, hold shares in %(company)s. In "
                  "an engagement led by %(coalition)s, we have engaged with the company on the "
                  "following concern.", company=company, coalition=coalition))
        else:
            title = _("Letter to the Board of %(company)s: %(title)s", company=company,
                      title=engagement.title)
            paragraphs.append(_("To the Board of Directors of %(company)s,", company=company))
            paragraphs.append(
                _("We write to you as shareholders of %(company)s who sign this letter, "
                  "members of the investor initiative “%(coalition)s”, about the following "
                  "concern.", company=company, coalition=coalition)
                if initiative else
                _("We write to you as shareholders of %(company)s who sign this letter, in an "
                  "engagement led by %(coalition)s, about the following concern.",
                  company=company, coalition=coalition))
        paragraphs.append(_sentence(engagement.issue))
        if engagement.rights_holders.strip():
            paragraphs.append(_("The people affected: %(who)s",
                                who=_sentence(engagement.rights_holders)))
        since = _("We have sought a dialogue with %(company)s on this concern since %(date)s.",
                  company=company, date=format_date(engagement.started_on, "long"))
        if objectives:
            since += " " + _("We ask the company to:")
            paragraphs.append(since + "\n" + "\n".join(
                BULLET + _sentence(o) for o in objectives))
        else:
            paragraphs.append(since)
        if missed:
            paragraphs.append(_("These commitments were not met by the date agreed:") + "\n"
                              + "\n".join(BULLET + _("%(title)s (due %(date)s)", title=t,
                                                     date=format_date(d, "long"))
                                          for t, d in missed))
        paragraphs.append(_(
            "Companies are expected to respect human rights: to conduct due diligence "
            "throughout their value chains, to prevent and mitigate the risks to people, and "
            "to provide or contribute to remedy when harm occurs."))
        if public:
            paragraphs.append(_(
                "We therefore make our concern public and call on %(company)s to publish, "
                "within %(days)d days, a time-bound plan that addresses it, developed with the "
                "people affected.", company=company, days=wait_days))
        else:
            paragraphs.append(_(
                "We ask the Board to take responsibility for this concern and to answer within "
                "%(days)d days with a time-bound plan that addresses it, developed with the "
                "people affected.", days=wait_days))
            paragraphs.append(_("Without a credible answer, we will %(step)s.",
                                step=_next_step(next_kind, company)))
        paragraphs.append(_("We look forward to your answer."))
    return str(title)[:300], "\n\n".join(str(p) for p in paragraphs)


def _concern(engagement: Engagement) -> list[str]:
    paragraphs = [_sentence(engagement.issue)]
    if engagement.rights_holders.strip():
        paragraphs.append(_("The people affected: %(who)s",
                            who=_sentence(engagement.rights_holders)))
    return paragraphs


def _question(engagement: Engagement, company: str,
              objectives: list[str]) -> tuple[str, list[str]]:
    """A question for the annual general meeting: what the signatories ask the Board."""
    title = _("Question to the annual general meeting of %(company)s: %(title)s",
              company=company, title=engagement.title)
    paragraphs = [
        _("To the Chair of the annual general meeting of %(company)s,", company=company),
        _("As shareholders of %(company)s, we ask the Board the following question about "
          "this concern.", company=company),
        *_concern(engagement),
        _("We have sought a dialogue with %(company)s on this concern since %(date)s.",
          company=company, date=format_date(engagement.started_on, "long")),
    ]
    if objectives:
        paragraphs.append(_("Our question: will the Board commit to the following, and by "
                            "which date?") + "\n"
                          + "\n".join(BULLET + _sentence(o) for o in objectives))
    else:
        paragraphs.append(_("Our question: what has the Board done about this concern, and "
                            "by which date will it present a plan to address it?"))
    paragraphs.append(_("We ask that the question and the Board’s answer be recorded in the "
                        "minutes of the meeting."))
    return title, paragraphs


def _resolution(engagement: Engagement, company: str,
                objectives: list[str]) -> tuple[str, list[str]]:
    """A shareholder resolution: the proposal and its supporting statement."""
    title = _("Shareholder resolution at %(company)s: %(title)s", company=company,
              title=engagement.title)
    paragraphs = [_("Proposal")]
    if objectives:
        paragraphs.append(_(
            "The general meeting of shareholders of %(company)s requests the Board to publish, "
            "before the next annual general meeting, a time-bound plan, developed with the "
            "people affected, to:", company=company) + "\n"
            + "\n".join(BULLET + _sentence(o) for o in objectives))
    else:
        paragraphs.append(_(
            "The general meeting of shareholders of %(company)s requests the Board to publish, "
            "before the next annual general meeting, a time-bound plan, developed with the "
            "people affected, that addresses the concern set out below.", company=company))
    paragraphs.append(_("Supporting statement"))
    paragraphs.extend(_concern(engagement))
    paragraphs.append(_(
        "Since %(date)s, the shareholders who file this resolution have sought a dialogue "
        "with %(company)s on this concern. They file it because that dialogue has not led to "
        "a credible plan.", company=company, date=format_date(engagement.started_on, "long")))
    return title, paragraphs


def to_html(text: str) -> Markup:
    """The leads' plain text as HTML: every character escaped, blank lines between
    paragraphs, "- " lines as a list, single line breaks kept."""
    blocks: list[str] = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        lines = [line.rstrip() for line in block.strip("\n").split("\n") if line.strip()]
        if not lines:
            continue
        prose: list[str] = []
        items: list[str] = []

        def flush_prose() -> None:
            if prose:
                blocks.append("<p>" + "<br>\n".join(str(escape(p)) for p in prose) + "</p>")
                prose.clear()

        def flush_items() -> None:
            if items:
                blocks.append("<ul>\n" + "\n".join(f"<li>{escape(i)}</li>" for i in items)
                              + "\n</ul>")
                items.clear()

        for line in lines:
            stripped = line.lstrip()
            if stripped.startswith(BULLET.strip()) and stripped[1:2] in (" ", ""):
                flush_prose()
                items.append(stripped[1:].strip())
            else:
                flush_items()
                prose.append(stripped)
        flush_prose()
        flush_items()
    return Markup("\n".join(blocks))
