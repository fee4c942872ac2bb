"""The production topology on this machine, on loopback, end to end (run by ``deploy/smoke``).

PostgreSQL for Engage (migrated by its owner, used through a role without superuser, so
row-level security holds); a Prefect server on PostgreSQL; two ``engage worker --pool``
processes; gunicorn with ``deploy/gunicorn.conf.py``. Through the API it starts
engagements whose milestone passed due, waits for the sweep to open their reviews, decides
them (escalate: a letter to the board), kills the worker that is carrying out a decision at
that moment (with the flow run's process, as a lost host would), and checks that every
decision is applied once: one review per missed deadline, one letter per decision, none
lost. Then ``engage doctor`` and ``/healthz``, and everything is shut down.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
POOL = "smoke-pool"
APP_ROLE = "engage_smoke_app"
ENGAGEMENTS = 6
# Short intervals so the run takes minutes: a decision Prefect has not applied within the
# grace time, or whose claim is older than the stale time, is applied by the next sweep.
SWEEP_SECONDS, GRACE_SECONDS, STALE_SECONDS = 5, 20, 30


class SmokeFailed(RuntimeError):
    pass


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, check, timeout: float, every: float = 1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(every)
    raise SmokeFailed(f"timed out after {timeout:.0f} s waiting for {what}")


@dataclass
class Stack:
    pg: str  # postgresql://user@host:port, without a database
    work: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def owner_url(self) -> str:
        return f"{self.pg.replace('postgresql://', 'postgresql+psycopg://')}/engage_smoke"

    @property
    def app_url(self) -> str:
        host = self.pg.split("@", 1)[1]
        return f"postgresql+psycopg://{APP_ROLE}:{self.app_password}@{host}/engage_smoke"

    def __post_init__(self) -> None:
        self.app_password = secrets.token_urlsafe(16)
        # Every process of this run carries it, the flow runs the workers start included.
        self.run_mark = secrets.token_hex(8)
        self.prefect_port, self.web_port = free_port(), free_port()
        self.prefect_api = f"http://127.0.0.1:{self.prefect_port}/api"
        self.web = f"http://127.0.0.1:{self.web_port}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("ENGAGE_", "PREFECT_"))},
            "ENGAGE_ENV": "production",
            "ENGAGE_SMOKE_RUN": self.run_mark,
            "ENGAGE_SECRET_KEY": secrets.token_urlsafe(48),
            "ENGAGE_INSTANCE_PATH": str(self.work / "instance"),
            "ENGAGE_LOG_FORMAT": "json",
            "ENGAGE_BASE_URL": self.web,
            "ENGAGE_SECURE_COOKIES": "1",
            "ENGAGE_SWEEP_INTERVAL_SECONDS": str(SWEEP_SECONDS),
            "ENGAGE_APPLY_GRACE_SECONDS": str(GRACE_SECONDS),
            "ENGAGE_APPLY_STALE_SECONDS": str(STALE_SECONDS),
            "DATABASE_URL": self.app_url,
            # Rate limits shared by gunicorn's workers, as in production (CI runs Redis).
            "ENGAGE_REDIS_URL": "redis://127.0.0.1:6379/0",
            "PREFECT_API_URL": self.prefect_api,
            "PREFECT_HOME": str(self.work / "prefect"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_EPHEMERAL_ENABLED": "false",
            "PREFECT_WORKER_QUERY_SECONDS": "2",
            "PREFECT_WORKER_PREFETCH_SECONDS": "5",
        }

    # --- processes ----------------------------------------------------------------------

    def run(self, *argv: str, env: dict | None = None) -> str:
        done = subprocess.run(argv, env={**self.env, **(env or {})}, cwd=self.work,
                              capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise SmokeFailed(f"{' '.join(argv[:3])} … exited {done.returncode}:\n"
                              f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
        return done.stdout

    def start(self, name: str, *argv: str, env: dict | None = None,
              unset: tuple[str, ...] = ()) -> subprocess.Popen:
        log = open(self.work / f"{name}.log", "ab")
        env = {k: v for k, v in {**self.env, **(env or {})}.items() if k not in unset}
        proc = subprocess.Popen(argv, env=env, cwd=self.work,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes[name] = proc
        return proc

    def stop_all(self) -> dict[str, int | None]:
        """SIGTERM each process group, newest first; SIGKILL what is still up after 30 s."""
        for proc in reversed(list(self.processes.values())):
            if proc.poll() is None:
                _signal_group(proc.pid, signal.SIGTERM)
        codes = {}
        for name, proc in self.processes.items():
            try:
                codes[name] = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                _signal_group(proc.pid, signal.SIGKILL)
                codes[name] = proc.wait()
                say(f"{name} did not stop on SIGTERM within 30 s: killed")
        return codes

    def stop_leftovers(self, grace: float = 10) -> int:
        """End the processes of this run that outlived their group: Prefect starts a flow
        run in a session of its own, so a worker's group signal misses it, and a flow run
        whose worker was killed keeps running with no parent. Found by this run's mark in
        their environment (/proc); SIGTERM, then SIGKILL after ``grace`` seconds. How many
        there were."""
        def marked() -> list[int]:
            mark = f"ENGAGE_SMOKE_RUN={self.run_mark}".encode()
            pids = []
            for entry in Path("/proc").glob("[0-9]*"):
                try:
                    environ = (entry / "environ").read_bytes()
                except OSError:  # ended meanwhile, or not ours to read
                    continue
                if int(entry.name) != os.getpid() and mark in environ.split(b"\0"):
                    pids.append(int(entry.name))
            return pids

        found = marked()
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in marked():
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + grace
            while marked() and time.monotonic() < deadline:
                time.sleep(0.2)
        return len(found)

    def log_tails(self, lines: int = 40) -> str:
        out = []
        for log in sorted(self.work.glob("*.log")):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {log.name} (last {len(text)} lines)\n" + "\n".join(text))
        return "\n".join(out)


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass


# --- the steps ----------------------------------------------------------------------------


def reset_databases(stack: Stack, create: bool) -> None:
    """Drop the smoke's databases and role (left by an earlier run, or at the end); with
    ``create``, make the databases again, empty."""
    with psycopg.connect(f"{stack.pg}/test", autocommit=True) as conn:
        for name in ("engage_smoke", "prefect_smoke"):
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            if create:
                conn.execute(f"CREATE DATABASE {name}")
        conn.execute(f"DROP ROLE IF EXISTS {APP_ROLE}")


def migrate_and_grant(stack: Stack) -> None:
    stack.run(str(BIN / "engage"), "db", "upgrade", env={"DATABASE_URL": stack.owner_url})
    host, port = stack.pg.split("@", 1)[1].split(":")
    stack.run("psql", "-q", "-h", host, "-p", port, "-U", stack.pg.split("//")[1].split("@")[0],
              "-d", "engage_smoke", "-v", f"app_role={APP_ROLE}",
              "-v", f"app_password={stack.app_password}",
              "-f", str(ROOT / "deploy" / "postgres-app-role.sql"))


def start_prefect(stack: Stack) -> None:
    pg_async = stack.pg.replace("postgresql://", "postgresql+asyncpg://")
    stack.start("prefect-server", str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1",
                "--port", str(stack.prefect_port), "--no-ui",
                env={"PREFECT_API_DATABASE_CONNECTION_URL": f"{pg_async}/prefect_smoke"},
                unset=("PREFECT_API_URL",))

    def healthy():
        if stack.processes["prefect-server"].poll() is not None:
            raise SmokeFailed("the Prefect server exited")
        try:
            return requests.get(f"{stack.prefect_api}/health", timeout=2).json() is True
        except (requests.RequestException, ValueError):
            return False

    wait_for("the Prefect server", healthy, timeout=120)


def start_web(stack: Stack) -> None:
    stack.start("gunicorn", str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
                env={"ENGAGE_BIND": f"127.0.0.1:{stack.web_port}", "ENGAGE_WEB_WORKERS": "2"})

    def healthy():
        if stack.processes["gunicorn"].poll() is not None:
            raise SmokeFailed("gunicorn exited")
        try:
            return requests.get(f"{stack.web}/healthz", timeout=5).json()
        except (requests.RequestException, ValueError):
            return None

    health = wait_for("gunicorn's /healthz", healthy, timeout=60)
    if health != {"status": "ok", "database": "ok", "prefect": "ok"}:
        raise SmokeFailed(f"/healthz answered {health}")
    say(f"gunicorn at {stack.web}: /healthz {health}")


def start_workers(stack: Stack) -> None:
    for name in ("worker-a", "worker-b"):
        stack.start(name, str(BIN / "engage"), "worker", "--pool", POOL)

    def both_polling():
        for name in ("worker-a", "worker-b"):
            if stack.processes[name].poll() is not None:
                raise SmokeFailed(f"{name} exited")
        response = requests.post(f"{stack.prefect_api}/work_pools/{POOL}/workers/filter",
                                 json={}, timeout=5)
        return response.status_code == 200 and len(response.json()) >= 2

    wait_for("two workers polling the pool", both_polling, timeout=120)
    say(f"two workers poll the process work pool {POOL!r}")


class Api:
    def __init__(self, base: str, token: str) -> None:
        self.base = f"{base}/api/v1"
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def __call__(self, method: str, path: str, expect=(200,), **kwargs):
        response = self.http.request(method, f"{self.base}{path}", timeout=30, **kwargs)
        if response.status_code not in expect:
            raise SmokeFailed(f"{method} {path} answered {response.status_code}: "
                              f"{response.text[:1000]}")
        return response.json()

    def all(self, path: str, **params) -> list[dict]:
        items, page = [], 1
        while True:
            body = self("GET", path, params={**params, "page": page, "per_page": 100})
            items += body["items"]
            if page * body["per_page"] >= body["total"]:
                return items
            page += 1


def start_engagements(api: Api, today: date) -> list[dict]:
    """Engagements whose first milestone was due yesterday, in an initiative our
    organisation coordinates, each with a company it has no engagement with yet."""
    me = api("GET", "/organisations/me")
    initiatives = [i for i in api.all("/initiatives") if i["coordinator"]["id"] == me["id"]
                   and i["status"] != "closed"]
    if not initiatives:
        raise SmokeFailed(f"{me['slug']} coordinates no initiative in the demo data")
    initiative = initiatives[0]
    engaged = {e["company"]["id"] for e in api.all("/engagements")}
    companies = [c for c in api.all("/companies") if c["id"] not in engaged][:ENGAGEMENTS]
    created = []
    for company in companies:
        created.append(api("POST", "/engagements", expect=(201,), json={
            "initiative_id": initiative["id"], "company_id": company["id"],
            "title": f"Grievance mechanism at {company['name']}",
            "issue": "No operational-level grievance mechanism for workers in the supply chain.",
            "trigger": "proactive", "severity_scale": 4, "severity_scope": 3,
            "severity_irremediability": 3, "started_on": (today - timedelta(days=90)).isoformat(),
            "objective": "Publish a grievance mechanism that meets UNGP principle 31.",
            "milestone_title": "Grievance mechanism published",
            "milestone_due_on": (today - timedelta(days=1)).isoformat(),
        }))
    say(f"started {len(created)} engagements in “{initiative['title']}”, milestones due yesterday")
    return created


def reviews_for(api: Api, engagement_ids: set[int]) -> list[dict]:
    return [r for r in api.all("/reviews") if r["engagement_id"] in engagement_ids]


def flow_runs(stack: Stack, state: str | None = None, deployment: str = "apply-decision") -> list[dict]:
    body = {"deployments": {"name": {"any_": [deployment]}}, "limit": 200}
    if state:
        body["flow_runs"] = {"state": {"type": {"any_": [state]}}}
    response = requests.post(f"{stack.prefect_api}/flow_runs/filter", json=body, timeout=10)
    response.raise_for_status()
    return response.json()


def kill_the_worker_mid_decision(stack: Stack, decision_id: int) -> dict:
    """Wait for the apply-decision flow run of ``decision_id`` to be RUNNING, then SIGKILL
    the worker that runs it (a run started in its own process: that process too), as a host
    that dies would. A run in a worker's own process (workflows/warm.py) has no process of
    its own; its worker is the one whose log says it runs it."""
    workers = {stack.processes[n].pid: n for n in ("worker-a", "worker-b")}

    def running_on_a_worker():
        try:
            running = flow_runs(stack, "RUNNING")
        except requests.Timeout:  # a server busy with others' load: ask again
            return None
        for run in running:
            if run["parameters"].get("decision_id") != decision_id:
                continue
            pid = int(str(run.get("infrastructure_pid") or "0").rsplit(":", 1)[-1] or 0)
            owner = _owner(pid, workers) if pid else _logged_by(stack, run["id"])
            if owner:
                return run, pid, owner
        return None

    run, pid, owner = wait_for("an apply-decision run in progress", running_on_a_worker,
                               timeout=120, every=0.2)
    _signal_group(stack.processes[owner].pid, signal.SIGKILL)
    if pid:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    stack.processes[owner].wait(timeout=10)
    where = f"its process {pid}" if pid else "in the worker's own process"
    say(f"killed {owner} (SIGKILL) while flow run {run['name']} applied decision "
        f"{decision_id} ({where})")
    return {"worker": owner, "flow_run": run["id"], "decision_id": decision_id}


def _get_json(url: str) -> dict | None:
    """A read of Prefect's API, or None when a server busy with others' load did not answer
    in time (wait_for asks again)."""
    try:
        return requests.get(url, timeout=10).json()
    except requests.Timeout:
        return None


def _logged_by(stack: Stack, flow_run_id: str) -> str | None:
    """The worker whose log names ``flow_run_id`` as run in its own process."""
    for name in ("worker-a", "worker-b"):
        text = (stack.work / f"{name}.log").read_text(errors="replace")
        if any(flow_run_id in line and "in the worker's process" in line
               for line in text.splitlines()):
            return name
    return None


def _owner(pid: int, workers: dict[int, str]) -> str | None:
    """The worker whose process (group) started ``pid``."""
    if not pid:
        return None
    try:
        group = os.getpgid(pid)
    except ProcessLookupError:
        return None
    if group in workers:
        return workers[group]
    try:  # a run in a session of its own: follow the parents up to a worker
        parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return workers.get(parent) or (_owner(parent, workers) if parent > 1 else None)


def check_nothing_lost_or_doubled(stack: Stack, api: Api, engagement_ids: set[int],
                                  decisions: dict[int, dict]) -> None:
    reviews = reviews_for(api, engagement_ids)
    per_engagement = Counter(r["engagement_id"] for r in reviews)
    if sorted(per_engagement.values()) != [1] * len(engagement_ids):
        raise SmokeFailed(f"reviews per engagement: {dict(per_engagement)} (one each expected)")
    letters = [letter for letter in api.all("/letters") if letter["decision_id"] in decisions]
    per_decision = Counter(letter["decision_id"] for letter in letters)
    if sorted(per_decision) != sorted(decisions) or set(per_decision.values()) != {1}:
        raise SmokeFailed(f"letters per decision: {dict(per_decision)} (one each for "
                          f"{sorted(decisions)} expected)")
    # The same, read straight from the database, for every engagement (the demo's own too).
    with psycopg.connect(stack.owner_url.replace("+psycopg", "")) as conn:
        doubled_reviews = conn.execute(
            "SELECT milestone_id, deadline_version, count(*) FROM escalation_review "
            "WHERE milestone_id IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1").fetchall()
        doubled_letters = conn.execute(
            "SELECT decision_id, count(*) FROM letter WHERE decision_id IS NOT NULL "
            "GROUP BY 1 HAVING count(*) > 1").fetchall()
        unapplied = conn.execute(
            "SELECT id, apply_status FROM decision WHERE id = ANY(%s) AND apply_status <> 'done'",
            [list(decisions)]).fetchall()
    if doubled_reviews or doubled_letters or unapplied:
        raise SmokeFailed(f"doubled reviews {doubled_reviews}, doubled letters {doubled_letters}, "
                          f"decisions not applied {unapplied}")
    say(f"{len(reviews)} reviews (one per missed deadline), {len(letters)} letters (one per "
        "decision), every decision in the database applied once")


def check_json_logs(stack: Stack, worker: str) -> None:
    """Every line gunicorn and the surviving worker wrote is a JSON object (the worker's
    banner, printed before logging is set up, aside)."""
    for name in ("gunicorn", worker):
        lines = [line for line in (stack.work / f"{name}.log").read_text().splitlines()
                 if line.strip() and not line.startswith(("Engage worker:", "Worker '"))]
        bad = [line for line in lines if not _is_json(line)]
        if bad or not lines:
            raise SmokeFailed(f"{name} wrote {len(bad)} of {len(lines)} line(s) that are not "
                              f"JSON, e.g. {bad[:3]}")
        say(f"{name}'s log: {len(lines)} lines, each a JSON object")


def _is_json(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def scenario(stack: Stack) -> None:
    today = date.today()
    t0 = time.monotonic()
    reset_databases(stack, create=True)
    migrate_and_grant(stack)
    stack.run(str(BIN / "engage"), "demo-load", "--today", today.isoformat())
    out = stack.run(str(BIN / "engage"), "token", "create", "--org", "groenbank", "--name",
                    "deploy smoke", "--scope", "write", "--user", "anna.devries@groenbank.example")
    token = re.search(r"eng_[A-Za-z0-9_-]+", out)
    if not token:
        raise SmokeFailed(f"no token in: {out}")
    say(f"PostgreSQL: engage_smoke migrated (owner) and served through role {APP_ROLE}; demo data "
        "loaded; API token created")
    start_prefect(stack)
    say(f"Prefect server on PostgreSQL (prefect_smoke) at {stack.prefect_api}")
    start_web(stack)
    start_workers(stack)
    doctor = stack.run(str(BIN / "engage"), "doctor")
    say("engage doctor: " + doctor.strip().splitlines()[-1])

    api = Api(stack.web, token.group(0))
    engagements = start_engagements(api, today)
    ids = {e["id"] for e in engagements}
    reviews = wait_for("the sweep to open a review per engagement",
                       lambda: (found := reviews_for(api, ids)) and len(found) == len(ids) and found,
                       timeout=120, every=2)
    say(f"the sweep opened {len(reviews)} reviews")
    decisions = {}
    started = time.monotonic()
    took = []
    # The last decision's engagement row is held (as a slow database would), so that its
    # run is still at work when its worker is killed: the claim commits, the effect waits.
    # FOR NO KEY UPDATE: recording a decision (a foreign key to the row) is not held up.
    held = psycopg.connect(stack.owner_url.replace("+psycopg", ""), autocommit=False)
    try:
        for review in reviews:
            if review is reviews[-1]:
                held.execute("SELECT id FROM engagement WHERE id = %s FOR NO KEY UPDATE",
                             [review["engagement_id"]])
            t = time.monotonic()
            decision = api("POST", f"/reviews/{review['id']}/decision", expect=(201,), json={
                "kind": "escalate",
                "reason": "No grievance mechanism after 90 days: write to the board."})
            took.append(time.monotonic() - t)
            decisions[decision["id"]] = decision
        say(f"recorded {len(decisions)} decisions (escalate) in "
            f"{time.monotonic() - started:.1f} s ({', '.join(f'{t:.1f}' for t in took)} s), "
            "each answered once Prefect accepted its run")
        killed = kill_the_worker_mid_decision(stack, list(decisions)[-1])
    finally:
        held.rollback()
        held.close()

    def all_applied():
        states = {d: api("GET", f"/reviews/{decisions[d]['review_id']}/decision")["apply_status"]
                  for d in decisions}
        return states if set(states.values()) == {"done"} else None

    wait_for("every decision applied", all_applied, timeout=GRACE_SECONDS + STALE_SECONDS + 120,
             every=2)
    check_nothing_lost_or_doubled(stack, api, ids, decisions)
    killed_run = wait_for("Prefect's record of the killed run", lambda: _get_json(
        f"{stack.prefect_api}/flow_runs/{killed['flow_run']}"), timeout=60, every=2)
    say(f"decision {killed['decision_id']}, whose run died with {killed['worker']}, is applied; "
        f"Prefect shows that run as {killed_run['state']['type']}")
    sweeps = flow_runs(stack, "COMPLETED", deployment="escalation-sweep")
    scheduled = [r for r in sweeps if r.get("auto_scheduled")]
    if not scheduled:
        raise SmokeFailed(f"{len(sweeps)} sweeps completed, none of them scheduled by Prefect's "
                          "scheduler: only the sweeps each worker starts with ran")
    say(f"{len(sweeps)} sweeps completed, {len(scheduled)} of them on the schedule")
    health = requests.get(f"{stack.web}/healthz", timeout=5).json()
    if health["status"] != "ok":
        raise SmokeFailed(f"/healthz after the run: {health}")
    check_json_logs(stack, "worker-b" if killed["worker"] == "worker-a" else "worker-a")
    say(f"scenario passed in {time.monotonic() - t0:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default=os.environ.get("SMOKE_PG", "postgresql://postgres@127.0.0.1:5432"),
                        help="PostgreSQL server (a superuser; databases engage_smoke and "
                             "prefect_smoke are created and dropped)")
    parser.add_argument("--work", default=str(ROOT / "instance" / "smoke"),
                        help="folder for logs and Prefect's home")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    for old in work.glob("*.log"):
        old.unlink()
    stack = Stack(pg=args.pg.rstrip("/"), work=work)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    failed = None
    try:
        scenario(stack)
    except (SmokeFailed, requests.RequestException, psycopg.Error) as exc:
        failed = exc
    finally:
        codes = stack.stop_all()
        say("stopped: " + ", ".join(f"{n} (exit {c})" for n, c in codes.items()))
        leftovers = stack.stop_leftovers()
        if leftovers:
            say(f"ended {leftovers} flow-run process(es) that outlived their worker")
        if not args.keep:
            reset_databases(stack, create=False)
    if failed:
        print(stack.log_tails(), file=sys.stderr)
        say(f"SMOKE FAILED: {failed}")
        return 1
    say("deploy smoke passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
