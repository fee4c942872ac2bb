"""The idle cost of the embedded default: an `engage demo` with nothing happening.

    python tests/bench/idle.py [--seconds 300] [--settle 60] [--json FILE]

``measure_idle(seconds=300, settle=60) -> dict`` starts `engage demo` (web app, Prefect's
local server, an Engage worker) on a fresh SQLite home in a temporary directory, waits for
its first sweep and ``settle`` seconds more, then reads /proc for the demo's whole process
tree during ``seconds`` (the flow runs it starts included: a process that ended is counted
in its parent's reaped-children CPU). Then it lets a deadline pass and records a decision.
The demo runs on a clock shifted (``ENGAGE_CLOCK_SHIFT_SECONDS``) so that a local midnight
falls just after the idle window; a milestone due that day is added before the window.

Returns a dict:

- ``busy_percent``: the tree's CPU ÷ (window × all cores), in %; target ≤ 2;
- ``cpu_seconds``, ``seconds``, ``cores``;
- ``per_process``: CPU seconds in the window by process (``"<name> (its processes)"`` is
  what the short-lived processes it started used, e.g. the worker's flow runs);
- ``rss_mb``: resident memory of each process at the end of the window (MB);
- ``flow_runs_started``: processes started in the window;
- ``machine_busy_percent``: the whole machine over the window (others' load included);
- ``load_average``: the machine's 1, 5, 15 minute load at the end;
- ``deadline_latency_seconds``: from the local midnight that made the milestone overdue to
  its review being in the database (target ≤ 60); None if it did not open within 180 s;
- ``decision_latency_seconds``: from recording a decision (``record_decision``, which asks
  Prefect for its run) to the decision being carried out (target ≤ 10); None if not
  within 120 s;
- ``decision_timeline``: where those seconds went, each moment in seconds after
  ``record_decision`` was called: ``run_created`` (Prefect holds the apply-decision flow
  run), ``recorded`` (record_decision returned: committed, Prefect asked), ``run_pending``
  (a worker took the run), ``run_running`` (the flow began: for a run in a new process,
  once that process imported Prefect and the app), ``task_started`` (the apply-decision
  task began), ``done_seen`` (this process saw the decision done), ``run_completed``;
- ``log_dir``: where the demo's output and Prefect's logs were (deleted unless ``keep``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
if __name__ == "__main__":
    sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]

from tests.bench import proctree  # noqa: E402

ZONE = "Europe/Amsterdam"
STARTUP_ALLOWANCE = 150  # seconds from launch to the first sweep's end, on a loaded machine


def measure_idle(seconds: float = 300, settle: float = 60, keep: bool = False) -> dict:
    """Start an idle `engage demo`, measure it (see the module's docstring), stop it."""
    home = Path(tempfile.mkdtemp(prefix="engage-idle-"))
    launch = datetime.now(timezone.utc)
    midnight_real = launch + timedelta(seconds=STARTUP_ALLOWANCE + settle + seconds + 20)
    midnight_app = _next_midnight(midnight_real)
    shift = (midnight_app - midnight_real).total_seconds()
    engage = Path(sys.executable).with_name("engage")
    env = {**os.environ, "DATABASE_URL": "", "ENGAGE_INSTANCE_PATH": str(home),
           "ENGAGE_TIMEZONE": ZONE, "ENGAGE_CLOCK_SHIFT_SECONDS": f"{shift:.3f}",
           "ENGAGE_SECRET_KEY": os.environ.get("ENGAGE_SECRET_KEY", "bench-only-secret")}
    env.pop("PREFECT_API_URL", None)
    out = open(home / "demo.out", "wb")
    demo = subprocess.Popen([str(engage), "demo", "--port", str(_free_port())], env=env,
                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    result: dict = {"log_dir": str(home), "clock_shift_seconds": round(shift, 1)}
    try:
        api_url = _wait_for(lambda: _api_url(home / "demo.out"), 180, "the demo to start")
        app = _app(home, api_url, shift)
        _wait_for(lambda: _first_sweep_done(app, demo.pid), 240, "the worker's first sweep")
        milestone_id = _add_milestone(app, (midnight_app - timedelta(seconds=1)).date())
        time.sleep(settle)
        window = proctree.sample(demo.pid, seconds)
        result.update(
            seconds=round(window.seconds, 1), cores=os.cpu_count(),
            busy_percent=round(window.busy_percent, 2),
            cpu_seconds=round(window.cpu_seconds, 2),
            per_process={k: round(v, 2) for k, v in sorted(window.per_process.items())},
            rss_mb={k: round(v) for k, v in sorted(window.rss_mb.items())},
            flow_runs_started=window.processes_started,
            machine_busy_percent=round(window.machine_busy_percent, 1),
            load_average=os.getloadavg())
        print(json.dumps(result, default=str), file=sys.stderr)  # the window, come what may
        result["deadline_latency_seconds"] = _deadline_latency(app, milestone_id, midnight_real)
        result["decision_latency_seconds"], result["decision_timeline"] = _decision_latency(
            app, milestone_id, shift)
    finally:
        try:
            os.killpg(demo.pid, signal.SIGTERM)
            demo.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(demo.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        out.close()
        if not keep:
            shutil.rmtree(home, ignore_errors=True)
    return result


def _next_midnight(moment: datetime) -> datetime:
    local = moment.astimezone(ZoneInfo(ZONE))
    day = local.date() + timedelta(days=1)
    return datetime.combine(day, datetime.min.time(), tzinfo=ZoneInfo(ZONE)).astimezone(timezone.utc)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(probe, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.5)
    raise TimeoutError(f"waited {timeout:.0f} s for {what}")


def _api_url(output: Path) -> str | None:
    text = output.read_text(errors="replace")
    if "Engage is running" not in text:
        return None
    found = re.search(r"Prefect UI: (http://\S+)", text)
    return f"{found.group(1)}/api" if found else None


def _app(home: Path, api_url: str, shift: float):
    """This process's view of the demo's database and Prefect (its clock is not shifted:
    the moments below are computed with ``shift``)."""
    from engage import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{home / 'engage.db'}",
                      "PREFECT_API_URL": api_url, "BABEL_DEFAULT_TIMEZONE": ZONE})
    return app


def _first_sweep_done(app, root: int) -> bool:
    import sqlalchemy as sa

    from engage.escalations.models import EscalationReview
    from engage.extensions import db
    from engage.tenancy import system_scope

    with app.app_context(), system_scope("idle benchmark"):
        reviews = db.session.scalar(sa.select(sa.func.count(EscalationReview.id)))
        db.session.commit()
    running = [p for p in proctree.tree(root).values() if p.label == "flow run"]
    return bool(reviews) and not running


def _add_milestone(app, due_on: date) -> int:
    """A pending milestone due on the demo's last day before midnight, on an engagement
    with a lead: its review opens when that midnight passes."""
    import sqlalchemy as sa

    from engage.engagements.models import Engagement, EngagementStatus, Milestone
    from engage.extensions import db
    from engage.tenancy import system_scope

    with app.app_context(), system_scope("idle benchmark"):
        engagement_id = db.session.scalar(
            sa.select(Engagement.id).where(Engagement.status == EngagementStatus.ACTIVE)
            .order_by(Engagement.id).limit(1))
        milestone = Milestone(engagement_id=engagement_id, due_on=due_on,
                              title="Idle benchmark: a deadline that passes at midnight")
        db.session.add(milestone)
        db.session.commit()
        return milestone.id


def _deadline_latency(app, milestone_id: int, midnight_real: datetime) -> float | None:
    import sqlalchemy as sa

    from engage.escalations.models import EscalationReview
    from engage.extensions import db
    from engage.tenancy import system_scope

    wait = (midnight_real - datetime.now(timezone.utc)).total_seconds()
    if wait > 0:
        time.sleep(wait)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        with app.app_context(), system_scope("idle benchmark"):
            found = db.session.scalar(sa.select(EscalationReview.id)
                                      .where(EscalationReview.milestone_id == milestone_id))
            db.session.commit()
        if found:
            return round((datetime.now(timezone.utc) - midnight_real).total_seconds(), 1)
        time.sleep(0.5)
    return None


def _decision_latency(app, milestone_id: int, shift: float) -> tuple[float | None, dict]:
    """Record an "extend" decision on the milestone's review as a lead would, then wait
    for it to be carried out."""
    import sqlalchemy as sa
    from prefect.deployments import run_deployment  # noqa: F401  (imported before the clock starts, as in a warm web process)

    from engage.engagements.models import EngagementParticipant, ParticipantRole
    from engage.escalations.decisions import DecisionError, record_decision
    from engage.escalations.models import ApplyStatus, Decision, EscalationReview
    from engage.extensions import db
    from engage.organisations.models import OrgMembership, OrgRole, User
    from engage.tenancy import system_scope

    with app.app_context():
        with system_scope("idle benchmark"):
            review = db.session.execute(
                sa.select(EscalationReview.id, EscalationReview.engagement_id)
                .where(EscalationReview.milestone_id == milestone_id)).first()
            if review is None:
                return None, {}
            leads = db.session.execute(
                sa.select(OrgMembership.user_id, OrgMembership.organisation_id)
                .join(EngagementParticipant,
                      EngagementParticipant.organisation_id == OrgMembership.organisation_id)
                .where(EngagementParticipant.engagement_id == review.engagement_id,
                       EngagementParticipant.role.in_([ParticipantRole.LEAD,
                                                       ParticipantRole.CO_LEAD]),
                       OrgMembership.role != OrgRole.VIEWER)
                .order_by(OrgMembership.user_id)).all()
            db.session.commit()
        now = datetime.now(timezone.utc) + timedelta(seconds=shift)
        started, wall = time.monotonic(), datetime.now(timezone.utc)
        decision = None
        attempts = [(u, o) for u, o in leads for _ in range(3)]
        for user_id, organisation_id in attempts:
            with system_scope("idle benchmark"):
                actor = db.session.get(User, user_id)
                db.session.expunge(actor)  # loaded, detached: what record_decision reads
                db.session.commit()
            try:
                decision = record_decision(
                    review.id, "extend", actor=actor, organisation_id=organisation_id,
                    reason="Idle benchmark", now=now,
                    new_due_on=(now + timedelta(days=30)).date())
                break
            except DecisionError:
                pass
            except sa.exc.OperationalError as exc:
                # SQLite: the midnight sweep may still be writing; the decision is timed
                # from the attempt that got through.
                if "locked" not in str(exc):
                    raise
                time.sleep(1)
            started, wall = time.monotonic(), datetime.now(timezone.utc)
        if decision is None:
            return None, {}
        timeline = {"recorded": round(time.monotonic() - started, 2)}
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with system_scope("idle benchmark"):
                status, run_id = db.session.execute(
                    sa.select(Decision.apply_status, Decision.flow_run_id)
                    .where(Decision.id == decision.id)).one()
                db.session.commit()
            if status == ApplyStatus.DONE:
                latency = round(time.monotonic() - started, 1)
                timeline["done_seen"] = latency
                timeline.update(_run_timeline(app, run_id, wall))
                return latency, timeline
            time.sleep(0.2)
    return None, timeline


def _run_timeline(app, run_id: str | None, wall: datetime) -> dict:
    """The moments of the decision's flow run, from Prefect's record of its states."""
    if not run_id:
        return {}
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, TaskRunFilter
    from prefect.settings import PREFECT_API_URL, temporary_settings

    def after(moment) -> float | None:
        return None if moment is None else round((moment - wall).total_seconds(), 2)

    found: dict = {}
    try:
        with temporary_settings({PREFECT_API_URL: app.config["PREFECT_API_URL"]}), \
                get_client(sync_client=True) as client:
            run = client.read_flow_run(run_id)
            found["run_created"] = after(run.created)
            for state in sorted(client.read_flow_run_states(run_id), key=lambda s: s.timestamp):
                found.setdefault(f"run_{state.type.value.lower()}", after(state.timestamp))
            tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(
                id=FlowRunFilterId(any_=[run.id])), task_run_filter=TaskRunFilter())
            starts = [t.start_time for t in tasks if t.start_time]
            if starts:
                found["task_started"] = after(min(starts))
    except Exception as exc:  # a timeline is a help, not the measurement
        found["error"] = f"{type(exc).__name__}: {exc}"[:200]
    return found


# --- the production topology ------------------------------------------------------------

def measure_production_idle(server_url: str, prefix: str = "bench", seconds: float = 300,
                            settle: float = 30, keep: bool = False) -> dict:
    """The production worker idle on PostgreSQL, started as deploy/systemd starts it (and
    deploy/compose.yaml): a Prefect server on a database of its own with the loops of
    ``prefect-server.service``, and ``engage worker --pool engage`` with ENGAGE_ENV=production,
    on fresh databases ``<prefix>_idle_app`` and ``<prefix>_idle_prefect`` of ``server_url``
    (``postgresql+psycopg://user@host:port``; dropped afterwards). After the worker's first
    sweep and ``settle`` seconds, /proc is read for both process trees during ``seconds``.

    Returns ``busy_percent`` (target ≤ 2), ``cpu_seconds``, ``seconds``, ``cores``,
    ``per_process``, ``rss_mb``, ``flow_runs_started``, ``machine_busy_percent``,
    ``load_average`` and ``log_dir``, as :func:`measure_idle` does.
    """
    from workflows.runtime import IDLE_SERVER_SETTINGS, free_port

    home = Path(tempfile.mkdtemp(prefix="engage-prod-idle-"))
    app_db, prefect_db = f"{prefix}_idle_app", f"{prefix}_idle_prefect"
    _recreate_databases(server_url, app_db, prefect_db)
    host = server_url.split("://", 1)[1]
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    bin_dir = Path(sys.executable).parent
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("PREFECT_", "ENGAGE_")) and k != "DATABASE_URL"}
    # prefect-server.service: its Environment= lines, then /etc/engage/prefect.env.
    server_env = {**base, "PREFECT_HOME": str(home / "prefect"), **IDLE_SERVER_SETTINGS,
                  "PREFECT_API_DATABASE_CONNECTION_URL": f"postgresql+asyncpg://{host}/{prefect_db}",
                  "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    # engage-worker@.service: /etc/engage/engage.env (deploy/engage.env.example).
    worker_env = {**base, "ENGAGE_ENV": "production", "ENGAGE_INSTANCE_PATH": str(home),
                  "DATABASE_URL": f"postgresql+psycopg://{host}/{app_db}",
                  "PREFECT_API_URL": api_url, "PREFECT_HOME": str(home / "worker-prefect"),
                  "ENGAGE_SECRET_KEY": "bench-only-secret",
                  "ENGAGE_BASE_URL": "https://engage.example.org",
                  "ENGAGE_TRUSTED_HOSTS": "engage.example.org",
                  "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    subprocess.run([str(bin_dir / "engage"), "db", "upgrade"], env=worker_env, check=True,
                   capture_output=True, timeout=600)
    processes: list[subprocess.Popen] = []
    result: dict = {"log_dir": str(home)}
    try:
        server = subprocess.Popen(
            [str(bin_dir / "prefect"), "server", "start", "--host", "127.0.0.1", "--port",
             str(port)], env=server_env, stdout=open(home / "server.log", "wb"),
            stderr=subprocess.STDOUT, start_new_session=True)
        processes.append(server)
        _wait_for(lambda: _healthy(api_url), 180, "the Prefect server")
        worker = subprocess.Popen(
            [str(bin_dir / "engage"), "worker", "--pool", "engage"], env=worker_env,
            stdout=open(home / "worker.log", "wb"), stderr=subprocess.STDOUT,
            start_new_session=True)
        processes.append(worker)
        roots = (server.pid, worker.pid)
        _wait_for(lambda: _completed_runs(api_url) and not [
            p for p in proctree.tree(roots).values() if p.label == "flow run"], 240,
            "the worker's first sweep")
        time.sleep(settle)
        window = proctree.sample(roots, seconds)
        result.update(
            seconds=round(window.seconds, 1), cores=os.cpu_count(),
            busy_percent=round(window.busy_percent, 2),
            cpu_seconds=round(window.cpu_seconds, 2),
            per_process={k: round(v, 2) for k, v in sorted(window.per_process.items())},
            rss_mb={k: round(v) for k, v in sorted(window.rss_mb.items())},
            flow_runs_started=window.processes_started,
            machine_busy_percent=round(window.machine_busy_percent, 1),
            load_average=os.getloadavg())
    finally:
        for proc in processes:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        _drop_databases(server_url, app_db, prefect_db)
        if not keep:
            shutil.rmtree(home, ignore_errors=True)
    return result


def _recreate_databases(server_url: str, *names: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(f"{server_url}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for name in names:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        engine.dispose()


def _drop_databases(server_url: str, *names: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(f"{server_url}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for name in names:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        engine.dispose()


def _healthy(api_url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _completed_runs(api_url: str) -> int:
    """Flow runs the Prefect server holds as completed (the worker's first sweep)."""
    import urllib.request

    body = json.dumps({"flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}}).encode()
    request = urllib.request.Request(f"{api_url}/flow_runs/count", data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(json.loads(response.read()))
    except (OSError, ValueError):
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--settle", type=float, default=60)
    parser.add_argument("--keep", action="store_true", help="keep the demo's home and logs")
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    parser.add_argument("--production", metavar="URL", help="measure the production worker "
                        "instead, on this PostgreSQL server (postgresql+psycopg://user@host:port)")
    parser.add_argument("--prefix", default="bench", help="prefix of its databases")
    args = parser.parse_args(argv)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    if args.production:
        result = measure_production_idle(args.production, args.prefix, args.seconds,
                                         args.settle, keep=args.keep)
    else:
        result = measure_idle(args.seconds, args.settle, keep=args.keep)
    print(json.dumps(result, indent=2, default=str))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
