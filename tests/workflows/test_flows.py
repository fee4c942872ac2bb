"""The flows against a real Prefect server, on a committed database."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from engage.escalations import service
from engage.escalations.models import ApplyStatus, Decision, EscalationReview
from workflows.runtime import free_port, start_worker, stop
from engage.extensions import db
from engage.notifications.models import Notification
from engage.tenancy import enter_organisation, system_scope
from tests.escalations.conftest import NOW
from workflows.client import flow_run_url
from workflows.escalation import apply_decision, escalation_sweep
from workflows.names import APPLY_DEPLOYMENT, SWEEP_DEPLOYMENT


def _decision(app, decision_id) -> Decision:
    with app.app_context(), system_scope("test"):
        decision = db.session.get(Decision, decision_id)
        db.session.expunge(decision)
        db.session.commit()
        return decision


def _record(app, world, now=NOW, **kw):
    with app.app_context():
        with system_scope("test"):
            review_id = db.session.scalar(sa.select(EscalationReview.id))
            db.session.commit()
        return service.record_decision(review_id, "escalate", actor=world.lead_user,
                                       organisation_id=world.lead.id, reason="No roadmap",
                                       now=now, **kw)


def test_the_sweep_flow_opens_reviews_and_notifies(flow_app):
    app, _, world = flow_app
    result = escalation_sweep(now=NOW)
    assert result["reviews_opened"] == [f"milestone:{world.milestone.id}:v1"]
    assert escalation_sweep(now=NOW)["reviews_opened"] == []
    with app.app_context(), system_scope("test"):
        assert db.session.scalar(sa.select(sa.func.count(EscalationReview.id))) == 1
        assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 2
        db.session.commit()


def test_the_apply_decision_flow_applies_once_and_records_its_run(flow_app):
    app, _, world = flow_app
    escalation_sweep(now=NOW)
    decision = _record(app, world)
    assert decision.apply_status == ApplyStatus.PENDING  # no PREFECT_API_URL: left to the sweep
    assert apply_decision(decision_id=decision.id, now=NOW) == "done"
    assert apply_decision(decision_id=decision.id, now=NOW) is None
    applied = _decision(app, decision.id)
    assert applied.apply_status == ApplyStatus.DONE and applied.applied_at == NOW
    assert applied.flow_run_id


def test_an_unreachable_prefect_leaves_the_decision_pending_for_the_sweep(flow_app):
    app, _, world = flow_app
    escalation_sweep(now=NOW)
    app.config["PREFECT_API_URL"] = f"http://127.0.0.1:{free_port()}/api"
    started = time.monotonic()
    decision = _record(app, world)
    assert time.monotonic() - started < 10
    assert _decision(app, decision.id).apply_status == ApplyStatus.PENDING
    assert _decision(app, decision.id).flow_run_id is None
    result = escalation_sweep(now=NOW + timedelta(minutes=3))
    assert result["applied"] == [decision.id]
    assert _decision(app, decision.id).apply_status == ApplyStatus.DONE


def _register_deployments() -> None:
    """The deployments registered and nobody serving them: a run just waits in Prefect (an
    apply-decision run schedules the next sweep on the sweep's deployment)."""
    from workflows.deployments import deployments

    for deployment in deployments():
        deployment.apply()


def _hand_over(app, world, prefect_api_url):
    """A decision recorded with Prefect reachable: pending, its run's id on the row."""
    app.config["PREFECT_API_URL"] = prefect_api_url
    try:
        decision = _record(app, world, now=datetime.now(timezone.utc))
        if not decision.flow_run_id:  # a busy test server may answer 503 twice
            from engage.escalations.decisions import send_to_orchestrator

            with app.app_context():
                decision.flow_run_id = send_to_orchestrator(decision.id)
    finally:
        app.config["PREFECT_API_URL"] = None
    assert decision.flow_run_id, "run_deployment should have created a flow run"
    return decision


def _run_state(flow_run_id):
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(flow_run_id).state


def _a_watch_and_a_handed_over_decision(flow_app, prefect_api_url):
    """A review decided with Prefect reachable (its run waiting, nobody serving it), and a
    watch over the app: (app, decision, watch)."""
    from workflows.warm import Watch

    app, _, world = flow_app
    _forget_apply_runs()
    _register_deployments()
    with app.app_context():
        service.open_overdue_reviews(NOW)
    return app, _hand_over(app, world, prefect_api_url), Watch(app)


def test_the_watch_runs_a_handed_over_decision_once(flow_app, prefect_api_url):
    """workflows.warm: the database names the run; the watch claims it in Prefect and runs
    it in this process; the next look finds nothing (and does not ask again)."""
    app, decision, watch = _a_watch_and_a_handed_over_decision(flow_app, prefect_api_url)
    with app.app_context():
        assert service.handed_over_runs(20) == [decision.flow_run_id]
    watch.swept_at = time.monotonic()  # the minute's sweep is not due: the database leads
    assert watch.look() == [decision.flow_run_id]
    done = _decision(app, decision.id)
    assert done.apply_status == ApplyStatus.DONE
    assert done.flow_run_id == decision.flow_run_id
    assert _run_state(decision.flow_run_id).is_completed()
    with app.app_context():
        assert service.handed_over_runs(20) == []
    assert watch.look() == []


def test_the_watch_takes_a_waiting_run_the_database_does_not_name(flow_app, prefect_api_url):
    """A run whose decision the outbox applied first (or whose id never reached the row) is
    not left waiting in Prefect: the watch's minute sweep runs it, and it ends at once,
    finding its decision done; the decision's effect happened once."""
    app, decision, watch = _a_watch_and_a_handed_over_decision(flow_app, prefect_api_url)
    with app.app_context():
        assert service.apply_decision(decision.id, datetime.now(timezone.utc)) == ApplyStatus.DONE
        assert service.handed_over_runs(20) == []
    watch.swept_at = time.monotonic()
    assert watch.look() == []  # the database names nothing, the minute is not up
    assert _run_state(decision.flow_run_id).is_scheduled()
    watch.swept_at -= watch.sweep_seconds
    assert watch.look() == [decision.flow_run_id]
    assert _run_state(decision.flow_run_id).is_completed()
    done = _decision(app, decision.id)
    assert (done.apply_status, done.apply_attempts) == (ApplyStatus.DONE, 1)


def test_a_failing_look_does_not_end_the_watch(flow_app, monkeypatch):
    """The database or Prefect away for a moment: the watch logs it and looks again."""
    import workflows.warm as warm

    app, _, _ = flow_app
    looks = []

    def look(self):
        looks.append(time.monotonic())
        if len(looks) == 1:
            raise OSError("connection refused")
        return []

    monkeypatch.setattr(warm.Watch, "look", look)
    stop = warm.start_watch(app, 0.05)
    try:
        deadline = time.monotonic() + 30
        while len(looks) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
    assert len(looks) >= 3  # the first look failed; the thread went on looking


def _record_when_deployed(app, world):
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    from engage.escalations.decisions import send_to_orchestrator

    with get_client(sync_client=True) as client:
        try:
            client.read_deployment_by_name(APPLY_DEPLOYMENT)
        except ObjectNotFound:
            return None
    decision = _record(app, world, now=datetime.now(timezone.utc))
    if not decision.flow_run_id:
        # A busy test server may answer 503 twice; ask again, as an operator would (the
        # idempotency key keeps it one flow run).
        with app.app_context():
            decision.flow_run_id = send_to_orchestrator(decision.id)
    assert decision.flow_run_id, "run_deployment should have created a flow run"
    return decision


def test_a_decision_sent_to_prefect_comes_back_whole(flow_app, prefect_api_url):
    """With Prefect reachable, recording the flow run switches the session's scope; the
    decision handed back (and shown by the API) must still load its relationships."""
    from engage.escalations.schemas import DecisionSchema

    app, _, world = flow_app
    _register_deployments()  # no worker: the run just waits in Prefect
    with app.app_context():
        service.open_overdue_reviews(NOW)
    app.config["PREFECT_API_URL"] = prefect_api_url
    try:
        with app.app_context():
            with system_scope("test"):
                review_id = db.session.scalar(sa.select(EscalationReview.id))
                db.session.commit()
            enter_organisation(world.lead.id)  # as a request by the lead would be
            decision = service.record_decision(review_id, "escalate", actor=world.lead_user,
                                               organisation_id=world.lead.id,
                                               reason="No roadmap", now=NOW)
            shown = DecisionSchema().dump(decision)
            flow_run_id = decision.flow_run_id
    finally:
        app.config["PREFECT_API_URL"] = None
    assert flow_run_id, "the decision was sent to Prefect"
    assert shown["review_id"] == review_id
    assert shown["decided_by"]["id"] == world.lead_user.id


def test_the_deployment_definition_registers_both_flows_on_the_pool(prefect_api_url, monkeypatch):
    """deploy/prefect_deployments.py: the sweep on its interval, apply-decision on demand."""
    import runpy

    from prefect.client.orchestration import get_client

    from engage.config import PROJECT_ROOT

    monkeypatch.setenv("PREFECT_API_URL", prefect_api_url)
    script = runpy.run_path(str(PROJECT_ROOT / "deploy" / "prefect_deployments.py"))
    assert script["main"](["--pool", "deploy-test", "--interval", "120"]) == 0
    with get_client(sync_client=True) as client:
        sweep = client.read_deployment_by_name(SWEEP_DEPLOYMENT)
        apply = client.read_deployment_by_name(APPLY_DEPLOYMENT)
        pool = client.read_work_pool("deploy-test")
    assert pool.type == "process"
    assert sweep.work_pool_name == apply.work_pool_name == "deploy-test"
    # apply-decision's runs are the watch's: on a queue the pool's process workers skip.
    assert (sweep.work_queue_name, apply.work_queue_name) == ("default", "decisions")
    assert [s.schedule.interval for s in sweep.schedules] == [timedelta(seconds=120)]
    assert apply.schedules == []


def test_a_deadline_opens_its_review_when_midnight_passes(flow_app, prefect_api_url, tmp_path):
    """End to end, on a worker whose clock is shifted to just before a local midnight
    (``ENGAGE_CLOCK_SHIFT_SECONDS``) and whose sweep has an hour's safety net: the sweep it
    runs at start schedules the next one for that midnight, when the milestone due that
    day opens its review (not an hour later)."""
    from zoneinfo import ZoneInfo

    from engage.engagements.models import Milestone

    app, url, world = flow_app
    zone = ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])
    midnight_real = datetime.now(timezone.utc) + timedelta(seconds=75)
    local_day = midnight_real.astimezone(zone).date() + timedelta(days=1)
    midnight = datetime.combine(local_day, datetime.min.time(), tzinfo=zone).astimezone(timezone.utc)
    shift = (midnight - midnight_real).total_seconds()
    with app.app_context(), system_scope("test"):
        milestone = Milestone(engagement_id=world.engagement.id, title="Roadmap published",
                              due_on=local_day - timedelta(days=1))
        db.session.add(milestone)
        db.session.commit()
        milestone_id = milestone.id
    worker = start_worker(tmp_path, prefect_api_url, env={
        "DATABASE_URL": url, "PREFECT_RUNNER_POLL_FREQUENCY": "2",
        "ENGAGE_SWEEP_INTERVAL_SECONDS": "3600", "ENGAGE_INSTANCE_PATH": str(tmp_path),
        "ENGAGE_TIMEZONE": app.config["BABEL_DEFAULT_TIMEZONE"],
        "ENGAGE_CLOCK_SHIFT_SECONDS": str(shift)})
    log = tmp_path / "worker.log"
    try:
        review = None
        deadline = time.monotonic() + 75 + 120
        while time.monotonic() < deadline and review is None:
            time.sleep(1)
            with app.app_context(), system_scope("test"):
                review = db.session.execute(
                    sa.select(EscalationReview.id, EscalationReview.opened_at)
                    .where(EscalationReview.milestone_id == milestone_id)).first()
                db.session.commit()
        assert review is not None, log.read_text()[-3000:]
        # Opened by the sweep at that midnight, not by the start's sweep nor an hour later.
        assert midnight <= review.opened_at < midnight + timedelta(seconds=60), log.read_text()[-3000:]
    finally:
        stop([worker])


def test_a_worker_carries_out_a_decision_in_its_own_process(flow_app, prefect_api_url,
                                                            tmp_path):
    """End to end: record_decision -> run_deployment -> `engage worker`'s watch runs the
    apply-decision run in the worker's own process, once, though the worker polls Prefect
    for runs only every 10 minutes."""
    app, url, world = flow_app
    _forget_apply_runs()
    with app.app_context():
        service.open_overdue_reviews(NOW)
    worker = start_worker(tmp_path, prefect_api_url, env={
        "DATABASE_URL": url, "PREFECT_RUNNER_POLL_FREQUENCY": "600",
        "ENGAGE_SWEEP_INTERVAL_SECONDS": "3600", "ENGAGE_INSTANCE_PATH": str(tmp_path)})
    log = tmp_path / "worker.log"
    try:
        app.config["PREFECT_API_URL"] = prefect_api_url
        # Ceilings, not waits: each loop ends when the worker is done (seconds when the
        # machine is idle; a minute and more was seen with the other suites running).
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and "watching for decisions" not in (
                log.read_text() if log.exists() else ""):
            time.sleep(0.5)
        decision = None
        while time.monotonic() < deadline and decision is None:
            decision = _record_when_deployed(app, world)
            time.sleep(0.5)
        assert decision is not None, log.read_text()[-3000:]
        recorded = time.monotonic()
        while time.monotonic() < deadline:
            if _decision(app, decision.id).apply_status == ApplyStatus.DONE:
                break
            time.sleep(0.2)
        took = time.monotonic() - recorded
        done = _decision(app, decision.id)
        assert done.apply_status == ApplyStatus.DONE, log.read_text()[-3000:]
        # A ceiling far below the 600 s poll; seconds even on a loaded machine.
        assert took < 120, took
        assert done.flow_run_id == decision.flow_run_id
        assert flow_run_url(done.flow_run_id, prefect_api_url).endswith(done.flow_run_id)
        while time.monotonic() < deadline:  # the run ends after the decision: it
            state = _run_state(done.flow_run_id)  # schedules the next sweep
            if state.is_final():
                break
            time.sleep(0.5)
        assert state.is_completed(), state
        text = log.read_text()
        name = _run_name(done.flow_run_id)
        assert text.count(f"running {name} ({done.flow_run_id}) in the worker's process") == 1
    finally:
        app.config["PREFECT_API_URL"] = None
        stop([worker])


def _forget_apply_runs() -> None:
    """Delete the apply-decision runs earlier tests left in the session's Prefect server:
    each test's database numbers its decisions from 1, and a run's idempotency key
    (``decision-<id>``) would find an earlier test's run instead of starting one."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    from workflows.names import APPLY_FLOW

    with get_client(sync_client=True) as client:
        for run in client.read_flow_runs(flow_filter=FlowFilter(
                name=FlowFilterName(any_=[APPLY_FLOW]))):
            client.delete_flow_run(run.id)


def _run_name(flow_run_id: str) -> str:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(flow_run_id).name
