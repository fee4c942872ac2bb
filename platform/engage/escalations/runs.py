"""Asking Prefect to apply a decision, and linking a flow run in Prefect's UI."""

from __future__ import annotations

import logging
import os

from flask import current_app

from engage.common.writes import update_where
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

        # Few retries (Prefect backs off 2 s, 4 s, ...): a web request must not hang on an
        # absent Prefect, and the sweep's outbox applies the decision anyway.
        retries = current_app.config.get("ENGAGE_PREFECT_RETRIES", 1)
        with _prefect_settings(api_url, retries):
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


_SETTINGS: dict[tuple[str, int], object] = {}


def _prefect_settings(api_url: str, retries: int):
    """Prefect's settings with this app's API URL and retries. Built once per process:
    ``temporary_settings`` builds them afresh on every call (≈0.35 s of pydantic-settings
    reading the environment and profiles), which a lead deciding a review would wait for."""
    import prefect.context
    from prefect.settings import PREFECT_API_URL, PREFECT_CLIENT_MAX_RETRIES

    context = prefect.context.get_settings_context()
    settings = _SETTINGS.get((api_url, retries))
    if settings is None:
        settings = _SETTINGS[(api_url, retries)] = context.settings.copy_with_update(
            updates={PREFECT_API_URL: api_url, PREFECT_CLIENT_MAX_RETRIES: retries})
    return prefect.context.SettingsContext(profile=context.profile, settings=settings)


def flow_run_url(flow_run_id: str | None, api_url: str | None = None) -> str | None:
    """The Prefect UI page of a flow run (the UI is served next to the API)."""
    api_url = api_url or prefect_api_url()
    if not flow_run_id or not api_url:
        return None
    base = api_url.rstrip("/")
    if base.endswith("/api"):
        base = base[: -len("/api")]
    return f"{base}/runs/flow-run/{flow_run_id}"
