"""The imports page: holdings for organisation admins; the shared company register
(companies, exclusions, ratings) for admins of the organisations in ENGAGE_REGISTER_ORGS."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engage import clock, orchestrator
from engage.companies import imports, jobs
from engage.companies.csvfile import ImportFileError
from engage.companies.models import ImportJob
from engage.companies.screening import screening_flags
from engage.extensions import db, htmx, limiter
from engage.ratelimits import message, setting, user_or_address
from engage.security import NotPermitted, Permission, can, current_org, current_user, requires

bp = Blueprint("imports", __name__)

KIND_LABELS = {
    "holdings": _l("Holdings"),
    "companies": _l("Companies"),
    "exclusions": _l("Exclusion list"),
    "ratings": _l("ESG ratings"),
}
KIND_COLUMNS = {
    "holdings": "isin | lei | company, value_eur, valued_on",
    "companies": "name, isin, lei, country, sector, next_agm_on",
    "exclusions": "company, country, category, isin, lei, reason, excluded_on",
    "ratings": "isin | lei | company, rating, rated_on",
}


@bp.app_template_global("screening_flags")
def _screening_flags():
    return screening_flags()


def keeps_register() -> bool:
    """May the signed-in person import into the shared company register?"""
    return bool(current_org) and can(Permission.KEEP_REGISTER)


def _kinds() -> list[str]:
    kinds = ["holdings"] if can(Permission.ADMIN) else []
    if keeps_register():
        kinds += ["companies", "exclusions", "ratings"]
    return kinds


RECENT_JOBS = 5


def _page(status: int = 200, **context):
    # The organisation's last background imports (the tenancy filter keeps them its own), so
    # an admin who left a job's page finds it again.
    recent = db.session.scalars(sa.select(ImportJob).order_by(ImportJob.id.desc())
                                .limit(RECENT_JOBS)).all() if can(Permission.ADMIN) else []
    return render_template("companies/imports.html", kinds=_kinds(), labels=KIND_LABELS,
                           columns=KIND_COLUMNS, recent_jobs=recent, **context), status


@bp.get("/imports")
@requires(Permission.READ)
def index():
    return _page()


@bp.post("/imports/<kind>")
@requires(Permission.ADMIN)
@limiter.limit(setting("ENGAGE_RATE_LIMIT_IMPORTS"), key_func=user_or_address,
               error_message=message)
def upload(kind: str):
    if kind not in imports.KINDS:
        abort(404)
    if kind != "holdings" and not keeps_register():
        raise NotPermitted(description=_(
            "Only administrators of the organisations that keep the company register can "
            "import companies, exclusions and ratings."))
    file = request.files.get("file")
    if file is None or not file.filename:
        return _page(400, kind=kind, errors=[_("Choose a CSV file to upload.")])
    if jobs.runs_in_background(jobs.size_of(file.stream)):
        return _in_background(kind, file)
    try:  # the upload's stream (a temporary file beyond 500 KB), read a line at a time
        result = imports.import_file(kind, file.stream, file.filename, current_org.id)
    except ImportFileError as exc:
        return _page(400, kind=kind, filename=file.filename, errors=exc.messages())
    flash(_("%(file)s imported: %(lines)d lines, %(created)d new, %(updated)d updated.",
            file=result.filename, lines=result.lines, created=result.created,
            updated=result.updated), "info")
    return redirect(url_for(".index")), 303


POLL_STOP = 286  # htmx stops polling on this status


def _in_background(kind: str, file):
    """A large file: stored, a job created and handed to the orchestrator; without one that
    takes it, run here and now. Either way the job's page shows how it goes."""
    job_id = jobs.start_job(kind, file.filename, file.stream, organisation_id=current_org.id,
                            actor_id=current_user.id, now=clock.now())
    return redirect(url_for(".job", job_id=job_id)), 303


def load_job(job_id: int) -> ImportJob:
    job = db.session.get(ImportJob, job_id)  # another organisation's job is not found
    if job is None:
        abort(404)
    return job


@bp.get("/imports/jobs/<int:job_id>")
@requires(Permission.ADMIN, load=load_job)
def job(job: ImportJob):
    """A background import's progress; as a fragment it polls itself until it ends (286)."""
    context = {"job": job, "labels": KIND_LABELS, "run_url": orchestrator.run_url(job.flow_run_id)}
    if not htmx:
        return render_template("companies/import_job.html", **context)
    response = make_response(render_template("companies/_import_job.html", **context))
    if job.finished:
        response.status_code = POLL_STOP
    return response
