"""Background imports: the upload stored under the instance folder, a job row that shows its
progress, and the run that imports it all lines or none.

The page stores a large upload and creates the job (:func:`create_job`), then asks the
orchestrator (``engage.orchestrator.request_import``) to run it; a workflow run calls
:func:`run_job`. Without an orchestrator that takes it (no Prefect configured, or not
reachable) the page calls :func:`run_job` itself: slower to answer, same result. When Prefect
is configured but a run never comes (unreachable, no worker), the sweep runs the job
(:func:`sweep_import_jobs`), and ends the jobs a dead worker left running. The run
reports how many lines it has checked through a session of its own, so the page can poll
it; the data, the audit event and the job's "done" are one transaction, so a job that fails
or dies half-way wrote nothing.
"""

from __future__ import annotations

import logging
import secrets
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from engage import clock
from engage.audit import service as audit
from engage.companies import imports
from engage.companies.csvfile import MAX_LISTED_ERRORS, Checking, ImportFileError
from engage.companies.models import ImportJob, ImportStatus
from engage.extensions import db
from engage.tenancy import as_organisation, system_scope

log = logging.getLogger(__name__)

PROGRESS_SECONDS = 0.5  # at most two progress writes a second


def storage() -> Path:
    """Where uploads wait for their job: ``imports/`` in the instance folder, which every
    web process and worker of an installation shares."""
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def size_of(stream: BinaryIO) -> int:
    size = stream.seek(0, 2)
    stream.seek(0)
    return size


def runs_in_background(size: int) -> bool:
    """Files larger than ENGAGE_IMPORT_BACKGROUND_KB take more than a second or two: they
    become a job with a progress bar rather than a request that waits."""
    return size > current_app.config["ENGAGE_IMPORT_BACKGROUND_KB"] * 1024


def create_job(kind: str, filename: str, stream: BinaryIO, *, organisation_id: int,
               actor_id: int | None, now: datetime) -> ImportJob:
    """Store the upload (copied in chunks) and add its queued job; the caller commits."""
    if kind not in imports.KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    stored_as = f"{secrets.token_hex(16)}.csv"
    lines = 0
    stream.seek(0)
    with (storage() / stored_as).open("xb") as out:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            out.write(chunk)
            lines += chunk.count(b"\n")
    job = ImportJob(organisation_id=organisation_id, kind=kind, filename=filename[:255],
                    stored_as=stored_as, created_by_id=actor_id, status=ImportStatus.QUEUED,
                    lines_total=max(lines, 1), errors=[], created_at=now)
    db.session.add(job)
    db.session.flush()
    return job


def start_job(kind: str, filename: str, stream: BinaryIO, *, organisation_id: int,
              actor_id: int | None, now: datetime) -> int:
    """A large upload (the page's and the API's): stored, its job created and committed, and
    handed to the orchestrator; without one that takes it, run here and now. Returns the
    job's id; the job says how it goes."""
    from engage import orchestrator

    job = create_job(kind, filename, stream, organisation_id=organisation_id,
                     actor_id=actor_id, now=now)
    db.session.commit()
    job_id = job.id
    if orchestrator.request_import(job_id) is None:
        run_job(job_id, organisation_id=organisation_id, report_progress=False)
    return job_id


def run_job(job_id: int, *, organisation_id: int | None = None, flow_run_id: str | None = None,
            report_progress: bool = True) -> str:
    """Import a queued job's file, all lines or none: ``done``, ``failed``, or ``skipped``
    when it is not queued (another run took it, or it ended). ``organisation_id`` is known
    to the page; a workflow run has only the job's id."""
    if organisation_id is None:
        with system_scope("which organisation an import job belongs to"):
            organisation_id = db.session.scalar(
                sa.select(ImportJob.organisation_id).where(ImportJob.id == job_id))
            db.session.commit()
        if organisation_id is None:
            return "skipped"
    with as_organisation(organisation_id):
        claimed = db.session.execute(
            sa.update(ImportJob)
            .where(ImportJob.id == job_id, ImportJob.status == ImportStatus.QUEUED)
            .values(status=ImportStatus.RUNNING, started_at=clock.now(), flow_run_id=flow_run_id)
        ).rowcount
        db.session.commit()
        if not claimed:
            return "skipped"
        job = db.session.get(ImportJob, job_id)
        audit.set_actor(job.created_by_id)
        path = storage() / job.stored_as
        try:
            return _import(job, path, _progress(job_id, organisation_id) if report_progress
                           else None)
        finally:
            path.unlink(missing_ok=True)


def _import(job: ImportJob, path: Path, checking: Checking | None) -> str:
    def done(result: imports.ImportResult) -> None:
        job.status = ImportStatus.DONE
        job.lines_done = job.lines_total
        job.created, job.updated = result.created, result.updated
        job.finished_at = clock.now()

    job_id, organisation_id = job.id, job.organisation_id
    try:
        with path.open("rb") as stream:
            imports.import_file(job.kind, stream, job.filename, organisation_id,
                                checking=checking, before_commit=done)
    except ImportFileError as exc:
        db.session.rollback()
        _fail(job_id, exc.messages(), exc.total)
        return "failed"
    except Exception:  # the job must end either way; the log has the cause
        db.session.rollback()
        log.exception("import job %s failed", job_id)
        _fail(job_id, [_("The import stopped with an error; nothing was written. Try again, "
                         "or tell the platform's operators.")], 0)
        return "failed"
    return "done"


def _fail(job_id: int, messages: list[str], total: int) -> None:
    db.session.execute(
        sa.update(ImportJob).where(ImportJob.id == job_id).values(
            status=ImportStatus.FAILED, errors=messages[:MAX_LISTED_ERRORS + 1],
            error_total=total, finished_at=clock.now()))
    db.session.commit()


def _progress(job_id: int, organisation_id: int) -> Checking:
    """Writes the lines checked so far through a session of its own: the import's own
    transaction commits only at the end, and the page polls in between."""
    last = [0.0]

    def checking(done: int, total: int) -> None:
        moment = time.monotonic()
        if done < total and moment - last[0] < PROGRESS_SECONDS:
            return
        last[0] = moment
        session = db.session.session_factory()
        try:
            with as_organisation(organisation_id, session):
                session.execute(sa.update(ImportJob).where(ImportJob.id == job_id)
                                .values(lines_done=min(done, total), lines_total=total))
                session.commit()
        finally:
            session.close()

    return checking


def waiting_since() -> tuple[datetime | None, datetime | None]:
    """When the oldest queued job was queued and the oldest running job started (None when
    there is none): from these the sweep's part falls due. Call inside a system scope."""
    return db.session.execute(sa.select(
        sa.select(sa.func.min(ImportJob.created_at))
        .where(ImportJob.status == ImportStatus.QUEUED).scalar_subquery(),
        sa.select(sa.func.min(ImportJob.started_at))
        .where(ImportJob.status == ImportStatus.RUNNING).scalar_subquery(),
    )).one()


def sweep_import_jobs(now: datetime) -> list[int]:
    """The sweep's part: run the queued jobs no workflow run took within
    ENGAGE_APPLY_GRACE_SECONDS (Prefect was unreachable when the page asked, or no worker
    serves ``run-import``), and end the running ones that a dead worker left behind
    (started ENGAGE_APPLY_STALE_SECONDS ago: a 20 MB file imports in under a minute).
    Returns the ids of the jobs it ran."""
    config = current_app.config
    waiting_since = now - timedelta(seconds=config["ENGAGE_APPLY_GRACE_SECONDS"])
    lost_since = now - timedelta(seconds=config["ENGAGE_APPLY_STALE_SECONDS"])
    with system_scope("import jobs no workflow run finished"):
        waiting = db.session.execute(
            sa.select(ImportJob.id, ImportJob.organisation_id)
            .where(ImportJob.status == ImportStatus.QUEUED, ImportJob.created_at < waiting_since)
            .order_by(ImportJob.id)).all()
        lost = db.session.execute(
            sa.select(ImportJob.id, ImportJob.organisation_id, ImportJob.stored_as)
            .where(ImportJob.status == ImportStatus.RUNNING, ImportJob.started_at < lost_since)
        ).all()
        db.session.commit()  # end the read: each job below is a unit of its own
    for job_id, organisation_id, stored_as in lost:
        with as_organisation(organisation_id):
            db.session.execute(
                sa.update(ImportJob)
                .where(ImportJob.id == job_id, ImportJob.status == ImportStatus.RUNNING)
                .values(status=ImportStatus.FAILED, finished_at=now, errors=[_(
                    "The import stopped before it ended (its worker went away); nothing was "
                    "written. Upload the file again.")]))
            db.session.commit()
        (storage() / stored_as).unlink(missing_ok=True)
    return [job_id for job_id, organisation_id in waiting
            if run_job(job_id, organisation_id=organisation_id) != "skipped"]
