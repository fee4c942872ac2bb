"""Asking Prefect to apply a decision, and linking a flow run in Prefect's UI."""

from __future__ import annotations

import logging
import os

from flask import current_app

from engage.core.writes import update_where
from engage.escalations.models import Decision
from engage.extensions import db
from engage.tenancy import system_scope

log = logging.getLogger(__name__)

APPLY_DEPLOYMENT = "apply-decision/apply-decision"
SWEEP_DEPLOYMENT = "escalation-sweep/escalation-sweep"


def prefect_api_url() -> str | None:
    return current_app.config.get("PREFECT_API_URL") or os.environ.get("PREFECT_API_URL") or None


def request_apply(decision_id: int) -> str | None:
    """Start ``apply-decision`` for a committed decision; the flow run's id, or None when
    Prefect is not configured or not reachable (the sweep then applies the decision)."""
    api_url = prefect_api_url()
    if not api_url:
        log.info("PREFECT_API_URL unset: decision %s waits for the sweep", decision_id)
        return None
    try:
        from prefect.deployments import run_deployment
        from prefect.settings import PREFECT_API_URL, PREFECT_CLIENT_MAX_RETRIES, temporary_settings

        # Few retries (Prefect backs off 2 s, 4 s, ...): a web request must not hang on an
        # absent Prefect, and the sweep's outbox applies the decision anyway.
        retries = current_app.config.get("ENGAGE_PREFECT_RETRIES", 1)
        with temporary_settings({PREFECT_API_URL: api_url, PREFECT_CLIENT_MAX_RETRIES: retries}):
            flow_run = run_deployment(
                APPLY_DEPLOYMENT, parameters={"decision_id": decision_id}, timeout=0,
                idempotency_key=f"decision-{decision_id}", as_subflow=False,
            )
    except Exception as exc:  # any failure leaves the decision pending for the sweep
        log.warning("could not start %s for decision %s: %s", APPLY_DEPLOYMENT, decision_id, exc)
        return None
    flow_run_id = str(flow_run.id)
    with system_scope("apply request"):
        update_where(Decision, decision_id, Decision.flow_run_id.is_(None),
                     {"flow_run_id": flow_run_id})
        db.session.commit()
    return flow_run_id


def flow_run_url(flow_run_id: str | None, api_url: str | None = None) -> str | None:
    """The Prefect UI page of a flow run (the UI is served next to the API)."""
    api_url = api_url or prefect_api_url()
    if not flow_run_id or not api_url:
        return None
    base = api_url.rstrip("/")
    if base.endswith("/api"):
        base = base[: -len("/api")]
    return f"{base}/runs/flow-run/{flow_run_id}"
