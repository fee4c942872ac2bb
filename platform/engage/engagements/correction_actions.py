"""Corrections on the engagement page: the leads correct the facts, re-assess the severity
and cancel milestones; an organisation corrects its own dialogue entries, whose earlier
versions stay readable. Each is one POST answered by
:func:`engage.common.answer.answer_write` (htmx: the form again with its messages, 400; done,
the page reloads, as a correction can move the engagement in every list; without
JavaScript: the page, or the page again with the messages)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from engage import clock
from engage.common.answer import answer_write
from engage.engagements import corrections
from engage.engagements.models import DialogueEntry, DialogueRevision, Engagement, Milestone
from engage.engagements.pages import bp, draw_page, load_engagement
from engage.extensions import htmx
from engage.security import NotPermitted, Permission, acting, current_org, load_or_404, requires


def _page(engagement_id: int, anchor: str) -> str:
    return url_for("engagements.show", engagement_id=engagement_id) + f"#{anchor}"


def _corrections_form(engagement_id: int, key: str, form: dict):
    def draw(errors: dict[str, str]) -> str:
        return render_template("engagements/_corrections.html",
                               engagement=load_or_404(Engagement, engagement_id),
                               errors={key: errors}, values={key: form}, may_lead=True)
    return draw


@bp.post("/<int:engagement_id>/facts")
@requires(Permission.LEAD_ENGAGEMENT, load=load_engagement)
def correct_facts(engagement: Engagement):
    form = request.form.to_dict()
    changes = {k: form.get(k, "") for k in corrections.FACT_FIELDS if k in form}
    engagement_id = engagement.id
    return answer_write(
        lambda: corrections.correct_facts(engagement, **acting(), **changes),
        page=lambda errors: draw_page(load_engagement(engagement_id), errors={"facts": errors},
                                      values={"facts": form}),
        fragment=_corrections_form(engagement_id, "facts", form), refresh=True,
        redirect_to=lambda _done: _page(engagement_id, "record"),
        message=_("The engagement's facts are corrected."))


@bp.post("/<int:engagement_id>/severity")
@requires(Permission.LEAD_ENGAGEMENT, load=load_engagement)
def reassess_severity(engagement: Engagement):
    form = request.form.to_dict()
    engagement_id = engagement.id
    return answer_write(
        lambda: corrections.reassess_severity(
            engagement, **acting(), now=clock.now(), reason=form.get("reason", ""),
            **{k: form.get(k, "") for k in corrections.SEVERITY_FIELDS}),
        page=lambda errors: draw_page(load_engagement(engagement_id),
                                      errors={"severity": errors}, values={"severity": form}),
        fragment=_corrections_form(engagement_id, "severity", form), refresh=True,
        redirect_to=lambda _done: _page(engagement_id, "severity"),
        message=_("Severity re-assessed; the earlier scores are kept."))


def load_milestone(milestone_id: int) -> Milestone:
    return load_or_404(Milestone, milestone_id)


@bp.post("/milestones/<int:milestone_id>/cancel")
@requires(Permission.LEAD_ENGAGEMENT, load=load_milestone)
def cancel_milestone(milestone: Milestone):
    form = request.form.to_dict()
    milestone_id, engagement_id = milestone.id, milestone.engagement_id
    key = f"cancel-{milestone_id}"

    def row(errors: dict[str, str]) -> str:
        return render_template("engagements/_milestone_row.html",
                               m=load_or_404(Milestone, milestone_id), may_lead=True,
                               cancel_errors=errors, cancel_values=form)

    return answer_write(
        lambda: corrections.cancel_milestone(milestone, **acting(), now=clock.now(),
                                             reason=form.get("reason", "")),
        page=lambda errors: draw_page(load_engagement(engagement_id), errors={key: errors},
                                      values={key: form}),
        fragment=row, refresh=True,
        redirect_to=lambda _done: _page(engagement_id, f"milestone-{milestone_id}"),
        message=_("Milestone cancelled; it stays in the record."))


# --- dialogue corrections -------------------------------------------------------------------


def load_dialogue(entry_id: int) -> DialogueEntry:
    return load_or_404(DialogueEntry, entry_id)


def _own(entry: DialogueEntry) -> None:
    if entry.organisation_id != current_org.id:
        raise NotPermitted(description=_("Only the organisation that logged this entry can "
                                         "correct it."))


def _dialogue_form(entry_id: int, errors=None, values=None):
    entry = load_or_404(DialogueEntry, entry_id)
    template = "engagements/dialogue_edit.html" if not htmx else "engagements/_dialogue_edit.html"
    return render_template(template, entry=entry, errors=errors or {}, values=values or {},
                           revisions=revisions_of(entry.id))


def revisions_of(entry_id: int) -> list[DialogueRevision]:
    from engage.extensions import db

    return db.session.scalars(
        sa.select(DialogueRevision).where(DialogueRevision.dialogue_entry_id == entry_id)
        .options(joinedload(DialogueRevision.replaced_by))
        .order_by(DialogueRevision.replaced_at.desc(), DialogueRevision.id.desc())).all()


@bp.get("/dialogue/<int:entry_id>/edit")
@requires(Permission.PARTICIPATE_ENGAGEMENT, load=load_dialogue, arg="entry")
def edit_dialogue(entry: DialogueEntry):
    _own(entry)
    return _dialogue_form(entry.id)


@bp.post("/dialogue/<int:entry_id>")
@requires(Permission.PARTICIPATE_ENGAGEMENT, load=load_dialogue, arg="entry")
def correct_dialogue(entry: DialogueEntry):
    _own(entry)
    form = request.form.to_dict()
    changes = {k: form.get(k, "") for k in corrections.DIALOGUE_FIELDS if k in form}
    entry_id, engagement_id = entry.id, entry.engagement_id
    return answer_write(
        lambda: corrections.correct_dialogue(entry, **acting(), now=clock.now(),
                                             reason=form.get("reason", ""), **changes),
        page=lambda errors: _dialogue_form(entry_id, errors, form),
        fragment=lambda errors: _dialogue_form(entry_id, errors, form), refresh=True,
        redirect_to=lambda _done: _page(engagement_id, f"dialogue-{entry_id}"),
        message=_("Dialogue entry corrected; the earlier version is kept."))


@bp.get("/dialogue/<int:entry_id>/history")
@requires(Permission.READ, load=load_dialogue, arg="entry")
def dialogue_history(entry: DialogueEntry):
    """The entry's earlier versions, newest first (seen by whoever sees the entry)."""
    if not entry.edited_at and not htmx:
        return redirect(_page(entry.engagement_id, f"dialogue-{entry.id}"), 303)
    template = "engagements/_dialogue_history.html" if htmx else "engagements/dialogue_history.html"
    return render_template(template, entry=entry, revisions=revisions_of(entry.id))
