"""Attachments on the engagement page: the list under a dialogue entry, milestone or letter
(``attachments/_list.html``), uploading (a multipart form with its CSRF token), downloading
and deleting. An upload or deletion answers htmx with the list again (400 with the message
on bad input) and a browser without JavaScript by sending it back to the row.

A download is always a download: ``Content-Disposition: attachment``, the content type of
the kind read from the content, ``nosniff`` (engage.headers) and a sandboxing
Content-Security-Policy, so nothing uploaded is ever rendered or run by the browser.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engage import clock
from engage.attachments import pages, service
from engage.attachments.download import attachment_response
from engage.attachments.models import Attachment
from engage.attachments.storage import MissingBlob
from engage.common.answer import answer_write
from engage.extensions import htmx
from engage.security import Permission, acting, current_org, load_or_404, requires

bp = Blueprint("attachments", __name__, url_prefix="/attachments")

_ANCHOR = {"dialogue": "dialogue", "milestone": "milestone", "letter": "letter"}


bp.add_app_template_global(pages.attachments_for, "attachments_for")
bp.add_app_template_global(pages.attachment_kind, "attachment_kind")


def load_parent(kind: str, parent_id: int) -> Any:
    parent = service.load_parent(kind, parent_id)
    if parent is None:
        abort(404)
    return parent


def load_attachment(attachment_id: int) -> Attachment:
    """Visible as the row it hangs on: another organisation's private entry's file is 404."""
    return load_or_404(Attachment, attachment_id)


def _row_url(kind: str, parent_id: int, engagement_id: int) -> str:
    return (url_for("engagements.show", engagement_id=engagement_id)
            + f"#{_ANCHOR[kind]}-{parent_id}")


def _list(parent: Any, errors: dict[str, str] | None = None) -> str:
    return render_template("attachments/_list.html", parent=parent,
                           files=service.of_parent(parent),
                           may_attach=service.may_attach(parent, current_org.id),
                           attachment_errors=errors or {})


def _page_with(parent: Any, errors: dict[str, str]) -> str:
    from engage.engagements.pages import draw_page, load_engagement

    kind = service.parent_kind_of(parent).value
    return draw_page(load_engagement(parent.engagement_id),
                     attachment_errors={(kind, parent.id): errors})


@bp.get("/<kind>/<int:parent_id>")
@requires(Permission.READ, load=load_parent, arg="parent")
def index(parent: Any):
    """The row's attachments (htmx), else the engagement page at the row."""
    kind = service.parent_kind_of(parent).value
    if not htmx:
        return redirect(_row_url(kind, parent.id, parent.engagement_id), 303)
    return _list(parent)


@bp.post("/<kind>/<int:parent_id>")
@requires(Permission.WRITE, load=load_parent, arg="parent")
def upload(parent: Any):
    kind = service.parent_kind_of(parent).value
    upload_file = request.files.get("file")
    # One byte past the limit is enough to know a file is too large.
    data = upload_file.stream.read(service.max_bytes() + 1) if upload_file else None
    return answer_write(
        lambda: service.attach(parent, **acting(), now=clock.now(),
                               filename=upload_file.filename if upload_file else None,
                               data=data),
        page=lambda errors: _page_with(parent, errors),
        fragment=lambda errors: _list(parent, errors),
        done=lambda _done: _list(parent),
        redirect_to=lambda _done: _row_url(kind, parent.id, parent.engagement_id),
        message=_("File attached."))


@bp.get("/<int:attachment_id>/download")
@requires(Permission.READ, load=load_attachment)
def download(attachment: Attachment):
    try:
        data = service.content(attachment)
    except MissingBlob:
        abort(404, description=_("The file is missing from the attachment storage; the "
                                 "record of it remains. Ask the organisation that "
                                 "attached it to attach it again."))
    return attachment_response(attachment, data)


@bp.post("/<int:attachment_id>/delete")
@requires(Permission.WRITE, load=load_attachment)
def delete(attachment: Attachment):
    kind, parent_id = attachment.parent_kind.value, attachment.parent_id
    engagement_id = attachment.engagement_id

    def listed(errors: dict[str, str] | None = None) -> str:
        return _list(service.load_parent(kind, parent_id), errors)

    def listed_after(key: str) -> str:  # the deletion is committed: free the content
        service.release(key)
        return listed()

    def back_after(key: str) -> str:
        service.release(key)
        return _row_url(kind, parent_id, engagement_id)

    return answer_write(
        lambda: service.delete(attachment, **acting()),
        page=lambda errors: _page_with(service.load_parent(kind, parent_id), errors),
        fragment=listed, done=listed_after, redirect_to=back_after,
        message=_("Attachment deleted."))
