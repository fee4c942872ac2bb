"""The JSON API under ``/api/v1``: marshmallow schemas in, marshmallow schemas out.

The framework lives here (routing, auth, errors, OpenAPI); each feature declares its
operations in its own ``api.py`` with its ``schemas.py``.
"""

from __future__ import annotations

from flask import Flask, g, request

from engage.api.auth import touch_token
from engage.api.routing import bp

# Each feature's api.py adds its operations to the blueprint when imported.
FEATURE_APIS = (
    "engage.organisations.api",
    "engage.companies.api",
    "engage.initiatives.api",
    "engage.engagements.api",
    "engage.engagements.invitations_api",
    "engage.engagements.objective_api",
    "engage.engagements.correction_api",
    "engage.engagements.notes_api",
    "engage.escalations.api",
    "engage.escalations.ladder_api",
    "engage.escalations.document_api",
    "engage.votes.api",
    "engage.audit.api",
    "engage.reports.api",
    "engage.attachments.api",
    "engage.notifications.api",
)


def _load_features() -> None:
    import importlib

    from engage.api import openapi  # noqa: F401  (the document and docs routes)

    for name in FEATURE_APIS:
        importlib.import_module(name)


@bp.before_request
def _csrf_for_sessions():
    """A bearer token cannot be sent by another site's form, a session cookie can: writes
    made with a signed-in session need the CSRF token (header ``X-CSRFToken``)."""
    from engage.extensions import csrf
    from engage.security import SAFE_METHODS

    principal = g.get("principal")
    if request.method not in SAFE_METHODS and (principal is None or principal.token is None):
        csrf.protect()


bp.after_request(touch_token)


def init_app(app: Flask) -> None:
    from engage.api.routing import IdConverter
    from engage.extensions import csrf

    app.url_map.converters["id"] = IdConverter
    _load_features()
    csrf.exempt(bp)
    app.register_blueprint(bp)
