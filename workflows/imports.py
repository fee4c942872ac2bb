"""The background import: one flow run per import job; the job service reads the stored
file, reports progress and commits all lines or none."""

from __future__ import annotations

from prefect import flow

from engage.companies import jobs
from workflows.app import service_task
from workflows.names import IMPORT_FLOW

run_job_task = service_task(jobs.run_job, name=IMPORT_FLOW)


@flow(name=IMPORT_FLOW)
def run_import(job_id: int) -> str:
    """Import one uploaded file (an import job), all lines or none."""
    from prefect.runtime import flow_run

    return run_job_task(job_id, flow_run_id=str(flow_run.id) if flow_run.id else None)
