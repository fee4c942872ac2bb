"""An attachment as an HTTP answer, for the pages and the API alike: always a download."""

from __future__ import annotations

import io

from flask import Response, send_file

from engage.attachments import service
from engage.attachments.models import Attachment


def attachment_response(attachment: Attachment, data: bytes) -> Response:
    """``Content-Disposition: attachment`` with the name kept (its ending matches the kind),
    the content type of the kind read from the content, ``nosniff``, and a sandboxing
    Content-Security-Policy: opened by mistake in the browser, the file could run nothing
    and load nothing."""
    kind = service.kind_of(attachment)
    response = send_file(io.BytesIO(data), mimetype=kind.mimetype, as_attachment=True,
                         download_name=attachment.filename, max_age=0, etag=False,
                         conditional=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, no-store"
    return response
