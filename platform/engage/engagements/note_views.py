"""An organisation's private notes on an engagement's page ("Our private notes"): add, edit
and delete, each one POST answered by :func:`engage.common.answer.answer_write` — htmx gets
the notes panel back, a browser without JavaScript is sent back to it. The panel lives on
the blueprint of :mod:`engage.engagements.pages`; the rules are in
:mod:`engage.engagements.notes`."""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for
from flask_babel import gettext as _

from engage import clock
from engage.common.answer import answer_write
from engage.engagements import notes as service
from engage.engagements.models import Engagement, Note
from engage.engagements.pages import bp, draw_page, load_engagement
from engage.security import Permission, acting, can, load_or_404, requires


def load_note(note_id: int) -> Note:
    """The organisation's own note; another organisation's is 404, as a missing one."""
    return load_or_404(Note, note_id)


def _page_at(engagement_id: int, anchor: str = "notes") -> str:
    return url_for("engagements.show", engagement_id=engagement_id) + f"#{anchor}"


def notes_context(engagement_id: int, **overrides: Any) -> dict[str, Any]:
    context = {"engagement_id": engagement_id, "notes": service.notes_of(engagement_id),
               "may_write": can(Permission.WRITE), "errors": {}, "values": {}}
    context.update(overrides)
    return context


def _panel(engagement_id: int, key: str | None = None, errors: dict[str, str] | None = None,
           values: dict[str, str] | None = None) -> str:
    return render_template("engagements/_notes.html", **notes_context(
        engagement_id, errors={key: errors} if key and errors else {},
        values={key: values} if key and errors else {}))


def _answer(write, *, engagement_id: int, key: str, message: str, anchor: str = "notes"):
    values = request.form.to_dict()
    return answer_write(
        write,
        page=lambda errors: draw_page(load_or_404(Engagement, engagement_id),
                                      errors={key: errors}, values={key: values}),
        fragment=lambda errors: _panel(engagement_id, key, errors, values),
        done=lambda _done: _panel(engagement_id),
        redirect_to=lambda result: _page_at(
            engagement_id, f"note-{result.id}" if isinstance(result, Note) else anchor),
        message=message)


@bp.post("/<int:engagement_id>/notes")
@requires(Permission.WRITE, load=load_engagement)
def add_note(engagement: Engagement):
    return _answer(
        lambda: service.add_note(engagement, **acting(), body=request.form.get("body", ""),
                                 now=clock.now()),
        engagement_id=engagement.id, key="new_note", message=_("Note saved (private)."))


@bp.post("/notes/<int:note_id>")
@requires(Permission.WRITE, load=load_note)
def update_note(note: Note):
    note_id, engagement_id = note.id, note.engagement_id
    return _answer(
        lambda: service.update_note(note, **acting(), body=request.form.get("body", "")),
        engagement_id=engagement_id, key=f"note-{note_id}", message=_("Note saved (private)."))


@bp.post("/notes/<int:note_id>/delete")
@requires(Permission.WRITE, load=load_note)
def delete_note(note: Note):
    engagement_id = note.engagement_id
    return _answer(lambda: service.delete_note(note, **acting()),
                   engagement_id=engagement_id, key=f"note-{note.id}",
                   message=_("Note deleted."))
