"""Engage's benchmarks (`make bench`): every target of docs/performance.md, PASS or MISS.

Builds two worlds with `engage bench-data` on PostgreSQL (<prefix>_1k and <prefix>_100k,
dropped and created here), then measures:

- SQL statements per page at 1k and 100k engagements (in-process, test client);
- throughput of each main page ÷ /healthz on one gunicorn (dashboard and engagement page
  against 0.30, measured in --rounds rounds for the spread between runs, the others reported);
- capacity: the mixed reader load stepped up in users until p95 reaches 500 ms or a request
  fails, on the same gunicorn;
- memory: the resident memory of the gunicorn master and each worker, sampled every 10 s
  while the stepping and then a steady load run for --memory-minutes;
- the escalation sweep's time at 100k ÷ at 1k, the same number of milestones due;
- a 100k-line company import ÷ a raw executemany of the same rows;
- the idle cost of `engage demo` and of the production worker with its Prefect server on
  PostgreSQL (tests/bench/idle.py), unless --skip-idle.

The table is printed and the numbers written to a JSON file (--json).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import date, datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]
os.environ.setdefault("ENGAGE_SECRET_KEY", "bench-only-secret")
os.environ["PREFECT_SERVER_EPHEMERAL_ENABLED"] = "false"

import sqlalchemy as sa

from tests.bench import load, measure

FULL = {"orgs": 5000, "users": 50000, "companies": 20000, "engagements": 100000,
        "dialogue": 1000000}
# The main pages, then a few filtered lists (the parameters of common/listing.py's parsers).
PAGES = ["/", "/engagements", "/engagements/{engagement}", "/initiatives",
         "/initiatives/{initiative}", "/companies", "/companies/{company}", "/reviews",
         "/reports", "/votes", "/engagements?overdue=1&initiative={initiative}",
         "/companies?q=holding&sector=Mining", "/reviews?initiative={initiative}&overdue=1"]
# Throughput: the two pages with a target, measured every round; the others once.
TARGETED = {"dashboard": "/", "engagement": "/engagements/{engagement}"}
RATIO_TARGET = 0.30
CAPACITY_TARGET = 100
IDLE_TARGETS = {"busy": 2.0, "review": 60.0, "decision": 10.0}

Row = tuple[str, str, str, bool | None]


def main() -> int:
    args = parse_args()
    began = time.monotonic()
    today = date.fromisoformat(args.today) if args.today else date.today()
    now = datetime(today.year, today.month, today.day, 12, tzinfo=timezone.utc)
    small = {k: max(3, v // 100) for k, v in FULL.items()}
    big = {k: max(3, v * args.scale // 100) for k, v in FULL.items()}
    worlds = {"1k": (f"{args.url}/{args.prefix}_1k", small),
              "100k": (f"{args.url}/{args.prefix}_100k", big)}
    results: dict = {"date": today.isoformat(), "machine": machine(args.url), "worlds": {},
                     "options": vars(args)}
    print(f"Engage benchmarks, {results['machine']['summary']}")

    for name, (url, sizes) in worlds.items():
        if args.reuse:
            continue
        seconds = measure.build_world(url, sizes, today, args.due, args.seed)
        results["worlds"][name] = {"sizes": sizes, "generate_seconds": seconds}
        print(f"world {name}: {sizes['engagements']} engagements generated in {seconds:.1f} s")

    principals = {name: measure.principal(url) for name, (url, _) in worlds.items()}
    rows: list[Row] = []

    counts = {name: measure.count_statements(url, principals[name], PAGES)
              for name, (url, _) in worlds.items()}
    results["statements"] = counts
    for page in PAGES:
        small_n, big_n = counts["1k"][page], counts["100k"][page]
        ok = small_n == big_n and big_n <= 12
        rows.append((f"SQL statements {page}", f"{small_n} → {big_n}", "equal, ≤ 12", ok))

    big_url = worlds["100k"][0]
    p = principals["100k"]
    with measure.Gunicorn(big_url, args.port, args.workers, args.max_requests) as server:
        token = measure.api_token(big_url, p)
        cookie = measure.session_cookie(big_url, p)
        rows += throughput(server.base, cookie, p, args, results)
        rows += capacity_and_memory(server, cookie, token, p, args, results)

    sweep = measure.sweep_times(worlds["1k"][0], big_url, now, args.sweep_repeats)
    results["sweep"] = sweep
    ratio = sweep["min_100k"] / sweep["min_1k"]
    median = sweep["median_100k"] / sweep["median_1k"]
    rows.append(("sweep 100k ÷ 1k (fastest of each)", f"{ratio:.2f}", "≤ 1.5", ratio <= 1.5))
    rows.append(("sweep 100k ÷ 1k (medians)", f"{median:.2f}", "report", None))

    imported = measure.import_companies(f"{args.url}/{args.prefix}_import", args.import_lines)
    results["import"] = imported
    first = imported["import_seconds"] / imported["raw_seconds"]
    again = imported["reimport_seconds"] / imported["raw_seconds"]
    rows.append((f"import {args.import_lines} companies ÷ raw executemany", f"{first:.2f}",
                 "≤ 3", first <= 3))
    rows.append(("re-import (all updates) ÷ raw executemany", f"{again:.2f}", "≤ 3",
                 again <= 3))

    if not args.skip_idle:
        rows += idle_cost(args, results)

    results["table"] = [{"measure": m, "value": v, "target": t, "pass": ok}
                        for m, v, t, ok in rows]
    results["seconds"] = round(time.monotonic() - began)
    print_table(rows)
    misses = sum(ok is False for *_, ok in rows)
    print(f"\n{misses} MISS of {sum(ok is not None for *_, ok in rows)} targets; "
          f"{results['seconds'] // 60} min {results['seconds'] % 60} s")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    print(f"Numbers written to {args.json}")
    return 0


def throughput(base: str, cookie: str, p: dict, args, results: dict) -> list[Row]:
    """Each page hammered by --concurrency users with no think time. /healthz and the two
    targeted pages are measured in each of --rounds rounds (the spread between runs); the
    other pages once, between the first two rounds, against the mean /healthz."""
    def run(path: str) -> dict:
        r = measure.locust_single(base, path.format(**p), cookie, args.duration,
                                  args.concurrency)
        print(f"throughput {path}: {r['rps']:.1f} req/s ({r['failures']} failures)")
        return r

    rounds: list[dict[str, dict]] = []
    others: dict[str, dict] = {}
    for n in range(args.rounds):
        rounds.append({"healthz": run("/healthz")}
                      | {label: run(path) for label, path in TARGETED.items()})
        if n == 0:
            others = {page: run(page) for page in PAGES
                      if page not in TARGETED.values()}
    results["throughput"] = {"rounds": rounds, "others": others}

    rows: list[Row] = []
    healthz = [r["healthz"]["rps"] for r in rounds]
    mean_healthz = statistics.mean(healthz)
    value = spread(healthz, "{:.1f}")
    if not all(r["healthz"]["requests"] for r in rounds):
        value += ", a run answered no request (--duration too short?)"
    rows.append(("throughput /healthz, req/s", value, "report", None))
    for label, path in TARGETED.items():
        ratios = [ratio_of(r[label], r["healthz"]) for r in rounds]
        ratio = statistics.mean(ratios)
        failures = sum(r[label]["failures"] for r in rounds)
        value = f"{ratio:.3f}"
        if len(ratios) > 1:
            value += f" ({min(ratios):.3f}–{max(ratios):.3f} over {len(ratios)} runs)"
        rows.append((f"throughput {label} ÷ /healthz", value, f"≥ {RATIO_TARGET:.2f}",
                     ratio >= RATIO_TARGET and failures == 0))
        rows.append((f"throughput {label}, req/s", spread([r[label]["rps"] for r in rounds],
                                                          "{:.1f}"), "report", None))
    for page, r in others.items():
        value = f"{r['rps'] / mean_healthz if mean_healthz else 0:.3f} ({r['rps']:.1f} req/s)"
        if r["failures"]:
            value += f", {r['failures']} failures"
        if not r["requests"]:
            value += ", no request answered"
        rows.append((f"throughput {page} ÷ /healthz", value, "report", None))
    return rows


def ratio_of(page: dict, healthz: dict) -> float:
    return page["rps"] / healthz["rps"] if healthz["rps"] else 0.0


def spread(values: list[float], fmt: str) -> str:
    """One value, or the mean with the lowest and highest of the runs."""
    if len(values) == 1:
        return fmt.format(values[0])
    return (f"{fmt.format(statistics.mean(values))}, {fmt.format(min(values))}–"
            f"{fmt.format(max(values))} over {len(values)} runs")


def capacity_and_memory(server, cookie: str, token: str, p: dict, args,
                        results: dict) -> list[Row]:
    """The mixed load stepped up until a step is not served, then kept at the capacity
    found (at least the first step) until --memory-minutes have passed since the stepping
    began, the whole time sampling the gunicorn processes' memory."""
    window = args.memory_minutes * 60
    sampler = load.RssSampler(server.process.pid, args.memory_interval)
    sampler.start()

    def step(users: int) -> dict:
        r = measure.locust_mixed(server.base, cookie, token, p, users,
                                 args.ramp_seconds + args.step_seconds, args.ramp_seconds)
        print(f"capacity step {users} users: {r['requests']} requests, {r['failures']} errors, "
              f"p95 {r['p95_ms']} ms, median {r['median_ms']} ms")
        return r

    steps = load.run_steps(step, args.steps)
    served = load.capacity(steps)
    left = window - (time.monotonic() - sampler.started_at)
    steady = None
    if left > 10:
        users = served or min(args.steps)
        steady = measure.locust_mixed(server.base, cookie, token, p, users, int(left))
        steady["users"] = users
        print(f"steady load {users} users for {int(left)} s: {steady['requests']} requests, "
              f"{steady['failures']} errors, p95 {steady['p95_ms']} ms")
    processes = sampler.stop()
    results["capacity"] = {"users": served, "steps": [{"users": u, **r} for u, r in steps]}
    results["memory"] = {"steady": steady, "processes": processes,
                         "minutes": round(max(p["seconds"] for p in processes.values()) / 60, 1),
                         "growth_limit_kib": load.GROWTH_LIMIT_KIB}

    rows: list[Row] = []
    # The steps find the capacity; they are not targets of their own (the row after is):
    # a step past the capacity is expected, and not counted as a MISS.
    for users, r in steps:
        rows.append((f"capacity step {users} users", f"p95 {r['p95_ms']} ms, median "
                     f"{r['median_ms']} ms, {r['failures']} errors of {r['requests']}: "
                     f"{'served' if load.step_passes(r) else 'not served'}",
                     f"step (served: p95 < {load.P95_LIMIT_MS} ms, 0 errors)", None))
    top = " (every step served)" if served == max(args.steps) else ""
    rows.append(("capacity: users served (p95 < 500 ms, no error)", f"{served}{top}",
                 f"≥ {CAPACITY_TARGET}", served >= CAPACITY_TARGET))
    if steady is not None:
        rows.append((f"steady load {steady['users']} users: errors",
                     f"{steady['failures']} of {steady['requests']}", "0",
                     steady["failures"] == 0))
    for name, m in processes.items():
        grew = "—" if m["growth_kib"] is None else f"{m['growth_kib'] / 1024:+.1f}"
        rows.append((f"memory gunicorn {name}, MiB start / peak / end (growth)",
                     f"{m['start_kib'] / 1024:.0f} / {m['peak_kib'] / 1024:.0f} / "
                     f"{m['end_kib'] / 1024:.0f} ({grew})", "report", None))
    minutes = results["memory"]["minutes"]
    largest = max((m["growth_kib"] for m in processes.values() if m["growth_kib"] is not None),
                  default=None)
    rows.append((f"memory growth over {minutes} min of load, largest process",
                 "not judged (under 2 min)" if largest is None else f"{largest / 1024:+.1f} MiB",
                 f"≤ {load.GROWTH_LIMIT_KIB // 1024} MiB", load.memory_passes(processes)))
    return rows


def idle_cost(args, results: dict) -> list[Row]:
    """tests/bench/idle.py's measure_idle(seconds) runs an idle `engage demo` and returns
    busy_percent, rss_mb ({process: MB}), deadline_latency_seconds and
    decision_latency_seconds (None when it did not happen in its time limit)."""
    try:
        from tests.bench import idle
    except ImportError:
        return [("idle cost", "not measured (tests/bench/idle.py missing)",
                 f"≤ {IDLE_TARGETS['busy']:.0f} % busy", False)]
    try:
        r = idle.measure_idle(seconds=args.idle_seconds)
    except Exception as exc:  # the rest of the run's numbers are printed and kept all the same
        results["idle"] = {"error": repr(exc)}
        return [("idle cost", f"failed: {type(exc).__name__}: {str(exc)[:80]}",
                 f"≤ {IDLE_TARGETS['busy']:.0f} % busy", False)]
    results["idle"] = r
    minutes = args.idle_seconds / 60
    machine_busy = r.get("machine_busy_percent")
    rows: list[Row] = [
        (f"idle engage demo, busy over {minutes:g} min", f"{r['busy_percent']:.1f} %"
         + (f" (machine {machine_busy:.1f} %)" if machine_busy is not None else ""),
         f"≤ {IDLE_TARGETS['busy']:.0f} %", r["busy_percent"] <= IDLE_TARGETS["busy"]),
        latency_row("idle: deadline passed → review opened", r["deadline_latency_seconds"],
                    IDLE_TARGETS["review"]),
        latency_row("idle: decision recorded → carried out", r["decision_latency_seconds"],
                    IDLE_TARGETS["decision"]),
    ]
    for name, mb in r["rss_mb"].items():
        rows.append((f"memory engage demo: {name}, MB", f"{mb:.0f}", "report", None))
    return rows + production_idle_cost(args, results)


def production_idle_cost(args, results: dict) -> list[Row]:
    """tests/bench/idle.py's measure_production_idle: the production worker and its Prefect
    server (deploy/systemd) idle on fresh PostgreSQL databases."""
    from tests.bench import idle

    try:
        r = idle.measure_production_idle(args.url, args.prefix, seconds=args.idle_seconds)
    except Exception as exc:  # a MISS row with its error; the run's other rows stand
        results["production_idle"] = {"error": repr(exc)}
        return production_idle_rows(None, args.idle_seconds, error=exc)
    results["production_idle"] = r
    return production_idle_rows(r, args.idle_seconds)


def production_idle_rows(r: dict | None, seconds: float,
                         error: BaseException | None = None) -> list[Row]:
    """The production worker's idle rows: busy % against the target, memory reported."""
    label = f"idle production worker + Prefect server (PostgreSQL), busy over {seconds / 60:g} min"
    target = f"≤ {IDLE_TARGETS['busy']:.0f} %"
    if r is None:
        return [(label, f"failed: {type(error).__name__}: {str(error)[:80]}", target, False)]
    machine_busy = r.get("machine_busy_percent")
    rows: list[Row] = [(
        label, f"{r['busy_percent']:.1f} %"
        + (f" (machine {machine_busy:.1f} %)" if machine_busy is not None else ""),
        target, r["busy_percent"] <= IDLE_TARGETS["busy"])]
    for name, mb in r["rss_mb"].items():
        rows.append((f"memory production: {name}, MB", f"{mb:.0f}", "report", None))
    return rows


def latency_row(label: str, seconds: float | None, limit: float) -> Row:
    if seconds is None:
        return (label, "did not happen in time", f"≤ {limit:.0f} s", False)
    return (label, f"{seconds:.1f} s", f"≤ {limit:.0f} s", seconds <= limit)


def print_table(rows: list[Row]) -> None:
    width = max(len(r[0]) for r in rows)
    vwidth = max(len(r[1]) for r in rows)
    twidth = max(len(r[2]) for r in rows)
    print()
    print(f"{'measure':<{width}}  {'value':<{vwidth}}  {'target':<{twidth}}  result")
    for measure_, value, target, ok in rows:
        verdict = "-" if ok is None else "PASS" if ok else "MISS"
        print(f"{measure_:<{width}}  {value:<{vwidth}}  {target:<{twidth}}  {verdict}")


def machine(url: str) -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), 0)
    engine = sa.create_engine(f"{url}/postgres")
    with engine.connect() as conn:
        version = conn.exec_driver_sql("SHOW server_version").scalar()
    engine.dispose()
    load_avg = os.getloadavg()
    info = {"cpu": cpu, "cores": os.cpu_count(), "ram_gib": round(mem / 1024 / 1024, 1),
            "postgresql": version, "python": platform.python_version(),
            "load_average": [round(x, 2) for x in load_avg]}
    info["summary"] = (f"{cpu}, {info['cores']} cores, {info['ram_gib']} GiB RAM, "
                       f"PostgreSQL {version}, Python {info['python']}, "
                       f"load average {load_avg[0]:.2f} at start")
    return info


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default=os.environ.get(
        "ENGAGE_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432"),
        help="PostgreSQL server (no database name): the databases are made there")
    p.add_argument("--prefix", default="bench",
                   help="database names: PREFIX_1k, PREFIX_100k, PREFIX_import")
    p.add_argument("--scale", type=int, default=100,
                   help="the big world in percent of full size (100 = 100k engagements)")
    p.add_argument("--reuse", action="store_true", help="keep the worlds from the last run")
    p.add_argument("--today", help="the worlds' day, YYYY-MM-DD (default: today)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--due", type=int, default=50, help="milestones due for the sweep")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    p.add_argument("--max-requests", type=int, default=0,
                   help="gunicorn's worker recycling (0: off, so memory growth shows)")
    p.add_argument("--duration", type=int, default=15, help="seconds per throughput run")
    p.add_argument("--concurrency", type=int, default=16, help="users per throughput run")
    p.add_argument("--rounds", type=int, default=2,
                   help="throughput rounds of /healthz, dashboard and engagement page")
    p.add_argument("--steps", type=lambda s: [int(x) for x in s.split(",")],
                   default=list(load.STEPS), help="capacity steps, users, comma-separated")
    p.add_argument("--step-seconds", type=int, default=45,
                   help="seconds each capacity step is counted, after its ramp")
    p.add_argument("--ramp-seconds", type=int, default=5, help="seconds to start a step's users")
    p.add_argument("--memory-minutes", type=float, default=10,
                   help="minutes of load (stepping, then steady) while memory is sampled")
    p.add_argument("--memory-interval", type=float, default=10, help="seconds between samples")
    p.add_argument("--sweep-repeats", type=int, default=5)
    p.add_argument("--import-lines", type=int, default=100_000)
    p.add_argument("--skip-idle", action="store_true", help="leave out the idle cost")
    p.add_argument("--idle-seconds", type=int, default=300, help="idle measurement window")
    p.add_argument("--json", default=str(ROOT / "instance" / "bench-results.json"))
    return p.parse_args()


if __name__ == "__main__":
    sys.exit(main())
