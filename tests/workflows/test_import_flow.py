"""The background import's flow against a real Prefect server, on a committed database: the
progress it writes is visible while its own transaction is open, and it writes all lines or
none."""

from __future__ import annotations

import io

import sqlalchemy as sa

from engage import clock
from engage.companies import csvfile, jobs
from engage.companies.models import Company, ImportJob, ImportStatus
from engage.extensions import db
from engage.tenancy import as_organisation, system_scope
from workflows.imports import run_import


def _queue(app, org_id, body: bytes) -> int:
    with app.app_context(), as_organisation(org_id):
        job = jobs.create_job("companies", "register.csv", io.BytesIO(body),
                              organisation_id=org_id, actor_id=None, now=clock.now())
        db.session.commit()
        return job.id


def _job(app, org_id, job_id) -> ImportJob:
    with app.app_context(), as_organisation(org_id):
        job = db.session.get(ImportJob, job_id)
        db.session.expunge(job)
        db.session.commit()
        return job


def _companies(app) -> int:
    with app.app_context(), system_scope("test"):
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Company))
        db.session.commit()
        return count


def test_the_import_flow_runs_a_job_with_progress_all_or_nothing(flow_app, tmp_path, monkeypatch):
    app, _, world = flow_app
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    monkeypatch.setattr(csvfile, "CHECKING_EVERY", 1000)
    monkeypatch.setattr(jobs, "PROGRESS_SECONDS", 0)
    seen: list[tuple[int, int]] = []
    writer = jobs._progress

    def observed(job_id, org_id):
        write = writer(job_id, org_id)

        def checking(done, total):
            write(done, total)
            # What the page's poll would read now, on a connection of its own.
            with db.engine.connect() as conn:
                if conn.dialect.name == "postgresql":
                    conn.exec_driver_sql("SELECT set_config('engage.bypass', 'on', true)")
                seen.append(conn.execute(sa.select(ImportJob.lines_done, ImportJob.lines_total)
                                         .where(ImportJob.id == job_id)).one())

        return checking

    monkeypatch.setattr(jobs, "_progress", observed)
    before = _companies(app)
    body = "name,country\n" + "".join(f"Imported company {n},NL\n" for n in range(4500))
    job_id = _queue(app, world.lead.id, body.encode())
    assert run_import(job_id=job_id) == "done"
    assert [tuple(s) for s in seen] == [(1000, 4501), (2000, 4501), (3000, 4501), (4000, 4501),
                                         (4501, 4501)]
    job = _job(app, world.lead.id, job_id)
    assert job.status is ImportStatus.DONE and job.created == 4500 and job.flow_run_id
    assert job.lines_done == job.lines_total == 4501
    assert _companies(app) == before + 4500
    assert run_import(job_id=job_id) == "skipped"  # a second run of the same job does nothing
    assert list((tmp_path / "imports").iterdir()) == []

    # One bad line among thousands: the job fails and not one company is written.
    seen.clear()
    body = "name,country\n" + "".join(f"Other company {n},NL\n" for n in range(3000)) + "Bad,XXX\n"
    job_id = _queue(app, world.lead.id, body.encode())
    assert run_import(job_id=job_id) == "failed"
    job = _job(app, world.lead.id, job_id)
    assert job.status is ImportStatus.FAILED and job.error_total == 1
    assert job.errors == ["line 3002: country “XXX” is not a two-letter ISO code"]
    assert _companies(app) == before + 4500
    assert seen[-1] == (3002, 3002)


def test_a_job_the_page_hands_to_prefect_is_imported_by_the_worker(flow_app, prefect_api_url,
                                                                    tmp_path, monkeypatch):
    """End to end: request_import -> run_deployment -> `engage worker` runs run-import in a
    process of its own, which finds the stored file in the shared instance folder."""
    import time

    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    from engage import orchestrator
    from workflows.names import IMPORT_DEPLOYMENT
    from workflows.runtime import start_worker, stop

    app, url, world = flow_app
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    before = _companies(app)
    job_id = _queue(app, world.lead.id, b"name,country\nFrom the worker,NL\nAnd another,DE\n")
    worker = start_worker(tmp_path, prefect_api_url, env={
        "DATABASE_URL": url, "PREFECT_RUNNER_POLL_FREQUENCY": "1",
        "ENGAGE_SWEEP_INTERVAL_SECONDS": "3600", "ENGAGE_INSTANCE_PATH": str(tmp_path)})
    app.config["PREFECT_API_URL"] = prefect_api_url
    try:
        deadline = time.monotonic() + 180  # a ceiling: the loop ends when the worker is done
        run_id = None
        while time.monotonic() < deadline:
            if run_id is None:
                with get_client(sync_client=True) as client:
                    try:
                        client.read_deployment_by_name(IMPORT_DEPLOYMENT)
                    except ObjectNotFound:
                        time.sleep(0.5)
                        continue
                with app.app_context():
                    run_id = orchestrator.request_import(job_id)
            elif _job(app, world.lead.id, job_id).finished:
                break
            time.sleep(0.5)
        log = (tmp_path / "worker.log").read_text()[-3000:]
        assert run_id, log
        job = _job(app, world.lead.id, job_id)
        assert job.status is ImportStatus.DONE, log
        assert job.flow_run_id == run_id and job.created == 2
        assert _companies(app) == before + 2
        assert not (tmp_path / "imports" / job.stored_as).exists()
    finally:
        app.config["PREFECT_API_URL"] = None
        stop([worker])
