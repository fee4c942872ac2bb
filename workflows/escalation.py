"""The escalation engine's flows: thin, named, typed; the rules are in engage.escalations.service."""

from __future__ import annotations

from datetime import datetime, timezone

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from workflows.app import app


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(timezone.utc)
    return now if now.tzinfo else now.replace(tzinfo=timezone.utc)


@task(name="open-overdue-reviews", cache_policy=NO_CACHE)
def open_overdue_reviews(now: datetime) -> list[str]:
    """Open a review for every milestone past due and unmet."""
    from engage.escalations import service

    with app().app_context():
        return service.open_overdue_reviews(now)


@task(name="open-step-reviews", cache_policy=NO_CACHE)
def open_step_reviews(now: datetime) -> list[str]:
    """Open a review for every escalation step whose waiting time ran out."""
    from engage.escalations import service

    with app().app_context():
        return service.open_step_reviews(now)


@task(name="send-reminders", cache_policy=NO_CACHE)
def send_reminders(now: datetime) -> list[str]:
    """Remind the leads of deadlines coming up, once per deadline and number of days."""
    from engage.escalations import service

    with app().app_context():
        return service.send_reminders(now)


@task(name="apply-outbox", cache_policy=NO_CACHE)
def apply_outbox(now: datetime) -> dict[str, list[int]]:
    """Apply decisions still pending after the grace period and retry failed ones."""
    from engage.escalations import service

    with app().app_context():
        applied, failed = service.apply_outbox(now)
    return {"applied": applied, "failed": failed}


@task(name="deliver-emails", cache_policy=NO_CACHE)
def deliver_emails(now: datetime) -> int:
    """E-mail the notifications not yet e-mailed (when SMTP is configured)."""
    from engage.escalations import service

    with app().app_context():
        return service.deliver_emails(now)


@task(name="apply-decision", cache_policy=NO_CACHE)
def apply_decision_task(decision_id: int, now: datetime, flow_run_id: str | None) -> str | None:
    """Claim one decision and carry out its effects, once."""
    from engage.escalations import service

    with app().app_context():
        status = service.apply_decision(decision_id, now, flow_run_id=flow_run_id)
        service.deliver_emails(now)
    return None if status is None else status.value


@flow(name="escalation-sweep")
def escalation_sweep(now: datetime | None = None) -> dict:
    """Open due reviews, send due reminders, apply the decision outbox and e-mail notifications."""
    at = _now(now)
    return {
        "reviews_opened": open_overdue_reviews(at) + open_step_reviews(at),
        "reminders_sent": send_reminders(at),
        **apply_outbox(at),
        "emails_sent": deliver_emails(at),
    }


@flow(name="apply-decision")
def apply_decision(decision_id: int, now: datetime | None = None) -> str | None:
    """Carry out one recorded escalation decision; applying it twice has one effect."""
    from prefect.runtime import flow_run

    return apply_decision_task(decision_id, _now(now), str(flow_run.id) if flow_run.id else None)
