"""Background imports on the page: a large upload becomes a job with a progress bar; without
an orchestrator that takes it the page runs it itself; all lines or none either way; the job
is private to its organisation."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from engage import clock
from engage.companies import jobs
from engage.companies.models import Company, ImportJob, ImportStatus
from engage.extensions import db
from engage.tenancy import as_organisation, system_scope

from tests.conftest import is_postgres, login_as
from tests.imports.conftest import APPLE, INDITEX, counts
from tests.oidc_support import csrf_token


@pytest.fixture
def background(app, tmp_path, monkeypatch):
    """Every upload counts as large; the stored files go to a folder of the test's own."""
    monkeypatch.setitem(app.config, "ENGAGE_IMPORT_BACKGROUND_KB", 0)
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path / "imports"


def _upload(client, kind, text, name="big.csv"):
    data = {"csrf_token": csrf_token(client), "file": (io.BytesIO(text.encode()), name)}
    return client.post(f"/imports/{kind}", data=data, content_type="multipart/form-data")


def _job(job_id, org_id) -> ImportJob:
    with as_organisation(org_id):
        job = db.session.get(ImportJob, job_id)
        db.session.expunge(job)
        db.session.commit()
    return job


def test_a_large_upload_becomes_a_job_that_runs_without_an_orchestrator(client, iworld, background):
    login_as(client, iworld.investor_admin, iworld.investor)
    companies, holdings, events = counts()
    response = _upload(client, "holdings", f"isin,value_eur,valued_on\n{INDITEX},100,2026-09-30\n"
                                           f"{APPLE},200,2026-09-30\n")
    assert response.status_code == 303
    job_id = int(re.search(r"/imports/jobs/(\d+)$", response.headers["Location"]).group(1))
    job = _job(job_id, iworld.investor.id)
    # No PREFECT_API_URL in the tests: the page ran the job itself.
    assert job.status is ImportStatus.DONE and (job.created, job.updated) == (2, 0)
    assert job.lines_done == job.lines_total == 3 and job.organisation_id == iworld.investor.id
    assert counts() == (companies, holdings + 2, events + 1)
    assert list(background.iterdir()) == []  # the stored upload is gone with its job
    page = client.get(f"/imports/jobs/{job_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "2 new, 0 updated" in html and "<progress" in html
    assert "hx-get" not in html  # a finished job does not poll
    fragment = client.get(f"/imports/jobs/{job_id}", headers={"HX-Request": "true"})
    assert fragment.status_code == 286 and "<html" not in fragment.get_data(as_text=True)
    # The imports page lists it, for the admin who left its page.
    imports_page = client.get("/imports").get_data(as_text=True)
    assert f'href="/imports/jobs/{job_id}">big.csv</a>' in imports_page


def test_a_bad_file_fails_its_job_and_writes_nothing(client, iworld, background):
    login_as(client, iworld.investor_admin, iworld.investor)
    before = counts()
    body = "isin,value_eur,valued_on\n" + f"{INDITEX},1,2026-09-30\n" + "".join(
        f"{APPLE},x{n},2026-09-30\n" for n in range(150))
    response = _upload(client, "holdings", body, name="bad.csv")
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    job = _job(job_id, iworld.investor.id)
    assert job.status is ImportStatus.FAILED and job.error_total == 150
    assert len(job.errors) == 101 and job.errors[-1].endswith("50 more bad lines")
    assert counts() == before
    html = client.get(f"/imports/jobs/{job_id}").get_data(as_text=True)
    assert "Nothing was imported from bad.csv" in html and "line 3:" in html
    assert list(background.iterdir()) == []


def test_a_running_job_polls_with_a_progress_bar_until_it_ends(client, iworld, background):
    login_as(client, iworld.investor_admin, iworld.investor)
    with as_organisation(iworld.investor.id):
        job = jobs.create_job("holdings", "queued.csv",
                              io.BytesIO(f"isin,value_eur,valued_on\n{INDITEX},5,2026-09-30\n".encode()),
                              organisation_id=iworld.investor.id,
                              actor_id=iworld.investor_admin.id, now=clock.now())
        job.status, job.lines_done, job.lines_total = ImportStatus.RUNNING, 1, 2
        job_id = job.id
        db.session.commit()
    fragment = client.get(f"/imports/jobs/{job_id}", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in html
    assert f'hx-get="/imports/jobs/{job_id}"' in html and 'hx-trigger="every 1s"' in html
    assert '<progress value="1" max="2"' in html and "1 of 2 lines checked" in html
    # The workflow run takes queued jobs only: a running one is not run twice.
    assert jobs.run_job(job_id) == "skipped"
    with as_organisation(iworld.investor.id):
        db.session.get(ImportJob, job_id).status = ImportStatus.QUEUED
        db.session.commit()
    assert jobs.run_job(job_id) == "done"
    assert client.get(f"/imports/jobs/{job_id}", headers={"HX-Request": "true"}).status_code == 286


def test_a_job_is_private_to_its_organisation(client, iworld, background):
    login_as(client, iworld.registrar_admin, iworld.registrar)
    response = _upload(client, "companies", "name,country\nNew Co,NL\n")
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert client.get(f"/imports/jobs/{job_id}").status_code == 200
    with system_scope("test"):
        assert db.session.scalar(sa.select(Company.id).where(Company.name == "New Co"))
        db.session.commit()
    # Another organisation's admin and member cannot see it.
    login_as(client, iworld.investor_admin, iworld.investor)
    assert client.get(f"/imports/jobs/{job_id}").status_code == 404
    assert 'id="import-jobs"' not in client.get("/imports").get_data(as_text=True)
    assert client.get(f"/imports/jobs/{job_id}", headers={"HX-Request": "true"}).status_code == 404
    with as_organisation(iworld.investor.id):
        assert db.session.scalars(sa.select(ImportJob)).all() == []
        db.session.commit()
    login_as(client, iworld.investor_member, iworld.investor)
    assert client.get(f"/imports/jobs/{job_id}").status_code == 404  # the registrar's job


def test_small_uploads_still_import_in_the_request(client, iworld):
    login_as(client, iworld.investor_admin, iworld.investor)
    response = _upload(client, "holdings", f"isin,value_eur,valued_on\n{INDITEX},1,2026-09-30\n")
    assert response.status_code == 303 and response.headers["Location"].endswith("/imports")
    with system_scope("test"):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportJob)) == 0
        db.session.commit()


@pytest.mark.skipif(not is_postgres(), reason="row-level security is a PostgreSQL feature")
def test_row_level_security_keeps_a_job_to_its_organisation(db_session, iworld, background):
    """The second lock: raw SQL as a plain role sees its own organisation's jobs only."""
    with as_organisation(iworld.investor.id):
        job_id = jobs.create_job("holdings", "h.csv", io.BytesIO(b"isin\n"),
                                 organisation_id=iworld.investor.id, actor_id=None,
                                 now=clock.now()).id
        db.session.commit()
    conn = db_session.connection()
    conn.exec_driver_sql("CREATE ROLE engage_job_probe NOLOGIN")
    conn.exec_driver_sql("GRANT USAGE ON SCHEMA public TO engage_job_probe")
    conn.exec_driver_sql("GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO engage_job_probe")
    conn.exec_driver_sql("SET LOCAL ROLE engage_job_probe")

    def visible(org):
        conn.exec_driver_sql("SELECT set_config('engage.org_id', %s, true), "
                             "set_config('engage.bypass', 'off', true)", (org,))
        return {r[0] for r in conn.exec_driver_sql("SELECT id FROM import_job")}

    assert visible(str(iworld.investor.id)) == {job_id}
    assert visible(str(iworld.registrar.id)) == set()
    assert visible("") == set()


def test_the_sweep_runs_jobs_no_workflow_took_and_ends_those_a_dead_worker_left(iworld, background):
    from datetime import timedelta

    from engage.escalations import service

    now = clock.now()
    body = f"isin,value_eur,valued_on\n{INDITEX},7,2026-09-30\n".encode()
    with as_organisation(iworld.investor.id):
        waiting = jobs.create_job("holdings", "waiting.csv", io.BytesIO(body),
                                  organisation_id=iworld.investor.id, actor_id=None,
                                  now=now - timedelta(minutes=5)).id
        fresh = jobs.create_job("holdings", "fresh.csv", io.BytesIO(body),
                                organisation_id=iworld.investor.id, actor_id=None, now=now).id
        lost = jobs.create_job("holdings", "lost.csv", io.BytesIO(body),
                               organisation_id=iworld.investor.id, actor_id=None,
                               now=now - timedelta(hours=1))
        lost.status, lost.started_at = ImportStatus.RUNNING, now - timedelta(hours=1)
        lost_id, lost_file = lost.id, background / lost.stored_as
        db.session.commit()
    before = counts()
    report = service.sweep(now)
    assert report.imports_run == [waiting] and "imports run         1" in report.describe()
    assert _job(waiting, iworld.investor.id).status is ImportStatus.DONE
    assert _job(fresh, iworld.investor.id).status is ImportStatus.QUEUED  # Prefect may yet run it
    ended = _job(lost_id, iworld.investor.id)
    assert ended.status is ImportStatus.FAILED and "nothing was written" in ended.errors[0]
    assert not lost_file.exists()
    assert counts()[1] == before[1] + 1
    assert service.sweep(now).imports_run == []
