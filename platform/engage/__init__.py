"""Engage: collaborative investor engagement on human rights and other ESG issues."""

from __future__ import annotations

from typing import Any

from flask import Flask

from engage import config as config_module

TEMPLATES = config_module.PROJECT_ROOT / "templates"
MIGRATIONS = config_module.PROJECT_ROOT / "migrations"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application. Nothing here touches the database."""
    app = Flask(
        __name__,
        template_folder=str(TEMPLATES),
        instance_path=str(config_module.INSTANCE_PATH),
        instance_relative_config=False,
    )
    app.config.update(config_module.from_environment())
    if config:
        app.config.update(config)

    from engage import models  # noqa: F401  (registers every mapper)
    from engage.db import configure_engine
    from engage.extensions import babel, csrf, db, htmx, limiter, migrate

    _listen_and_connect()
    db.init_app(app)
    from engage import render_cache

    with app.app_context():  # engines exist now; none has connected yet
        for engine in db.engines.values():
            configure_engine(engine)
            render_cache.listen_engine(engine)
    render_cache.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True)
    from engage import errors, logs, security
    from engage.common import bounds

    bounds.init_app(app)  # the app's <int:…> converter, before any route is added

    logs.init_app(app)  # first: its request timer starts before any other hook
    # Before who is asking: a client over its limit costs no database query.
    limiter.init_app(app)
    # First of the request hooks: who is asking (and their tenancy scope) is known before
    # anything else runs, the CSRF check included.
    security.init_app(app)
    # After it: the 400 page for a NUL character knows who is asking.
    app.before_request(bounds.refuse_nul)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_locale)
    import flask_babel

    # Flask-Babel keeps the locale on ``g``; each request asks again, after the principal
    # is known (an app context can outlive a request: the CLI, tests).
    app.before_request(flask_babel.refresh)

    for name in ("get_locale", "format_date", "format_datetime", "format_decimal",
                 "format_currency", "format_percent"):
        app.jinja_env.globals[name] = getattr(flask_babel, name)
    from engage.common.labels import decision_summary, format_aum, html_time, label, label_choices

    app.jinja_env.globals["label"] = label
    app.jinja_env.globals["label_choices"] = label_choices
    app.jinja_env.globals["html_time"] = html_time
    app.jinja_env.globals["decision_summary"] = decision_summary
    app.jinja_env.globals["format_aum"] = format_aum
    htmx.init_app(app)

    errors.init_app(app)
    from engage import headers

    headers.init_app(app)
    from engage.auth import hosts

    hosts.init_app(app)  # refuses untrusted Host headers before any of the above runs

    from engage.attachments.views import bp as attachments_bp
    from engage.audit.views import bp as audit_bp
    from engage.auth.views import bp as auth_bp
    from engage.calendars.views import bp as calendars_bp
    from engage.companies.import_views import bp as imports_bp
    from engage.companies.views import bp as companies_bp
    from engage.engagements import actions as _actions  # noqa: F401  (adds its routes to
    from engage.engagements import views as _views  # noqa: F401  the engagements blueprint)
    from engage.engagements import objective_actions as _objective_actions  # noqa: F401
    from engage.engagements import correction_actions as _correction_actions  # noqa: F401
    from engage.engagements import note_views as _note_views  # noqa: F401
    from engage.engagements.invitation_views import bp as invitations_bp
    from engage.engagements.pages import bp as engagements_bp
    from engage.escalations import document_actions as _documents  # noqa: F401  (same)
    from engage.escalations.ladder_views import bp as ladders_bp
    from engage.escalations.views import bp as escalations_bp
    from engage.home.views import bp as core_bp
    from engage.initiatives.views import bp as initiatives_bp
    from engage.notifications.views import bp as notifications_bp
    from engage.organisations.views import bp as organisations_bp
    from engage.reports.views import bp as reports_bp
    from engage.votes.views import bp as votes_bp

    for blueprint in (core_bp, auth_bp, organisations_bp, engagements_bp, escalations_bp,
                      notifications_bp, initiatives_bp, companies_bp, imports_bp,
                      reports_bp, calendars_bp, votes_bp, ladders_bp, attachments_bp,
                      invitations_bp, audit_bp):
        app.register_blueprint(blueprint)

    from engage import api

    api.init_app(app)

    from engage import plugins
    from engage.cli import register

    register(app)
    plugins.init_app(app)  # last: a plugin sees the finished app (workflows/: the orchestrator)
    return app


def _listen_and_connect() -> None:
    """The session listeners (tenancy, audit, render cache, sweep wake-ups) on
    Flask-SQLAlchemy's session class, and the receivers of Engage's signals. Both last for the process; a second app adds nothing."""
    from flask_sqlalchemy.session import Session

    from engage import render_cache, tenancy
    from engage.audit import service as audit
    from engage.escalations import wakeups
    from engage.notifications import handlers

    tenancy.listen(Session)
    audit.listen(Session)
    render_cache.listen_session(Session)
    wakeups.listen(Session)
    handlers.connect()


def _locale() -> str | None:
    """The signed-in user's language, else the browser's best match."""
    from flask import current_app, has_request_context, request

    from engage.security import current_user

    if not has_request_context():
        return None  # the CLI and the workflows: the default locale
    languages = current_app.config["ENGAGE_LANGUAGES"]
    if current_user and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages)

