"""The names Prefect knows Engage's flows and deployments by: written here only.

A deployment served by a worker is called after its flow, so Prefect addresses it as
``<flow>/<deployment>``.
"""

from __future__ import annotations

from datetime import datetime, timezone

SWEEP_FLOW = "escalation-sweep"
APPLY_FLOW = "apply-decision"
IMPORT_FLOW = "run-import"
# On a work pool, apply-decision's runs wait in a work queue of their own, which no process
# worker polls: a worker's watch runs them in its own process (workflows.warm). The sweep
# and imports are on the pool's default queue.
APPLY_QUEUE = "decisions"
DEFAULT_QUEUE = "default"

SWEEP_DEPLOYMENT_NAME = SWEEP_FLOW
APPLY_DEPLOYMENT_NAME = APPLY_FLOW
IMPORT_DEPLOYMENT_NAME = IMPORT_FLOW

SWEEP_DEPLOYMENT = f"{SWEEP_FLOW}/{SWEEP_DEPLOYMENT_NAME}"
APPLY_DEPLOYMENT = f"{APPLY_FLOW}/{APPLY_DEPLOYMENT_NAME}"
IMPORT_DEPLOYMENT = f"{IMPORT_FLOW}/{IMPORT_DEPLOYMENT_NAME}"
DEPLOYMENTS = (SWEEP_DEPLOYMENT, APPLY_DEPLOYMENT, IMPORT_DEPLOYMENT)


def sweep_key(at: datetime) -> str:
    """The idempotency key of a sweep run meant for the moment ``at``: one run per moment,
    whoever asks for it (the sweep scheduling its successor, a write that made work due)."""
    return f"sweep-at-{at.astimezone(timezone.utc):%Y%m%dT%H%M%S.%fZ}"
