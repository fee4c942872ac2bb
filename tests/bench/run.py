"""Engage's benchmarks (`make bench`): ratios, each with its target, PASS or MISS.

Builds two worlds with `engage bench-data` on PostgreSQL (bench_1k and bench_100k, dropped
and created here), then measures:

- throughput of the dashboard and the engagement page ÷ /healthz on the same gunicorn;
- SQL statements per page at 1k and 100k engagements (in-process, test client);
- the escalation sweep's time at 100k ÷ at 1k, the same number of milestones due;
- a 100k-line company import ÷ a raw executemany of the same rows;
- 200 users on loopback for a bounded time: requests, errors, p95.

The table is printed and the numbers written to a JSON file (--json).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from datetime import date, datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]
os.environ.setdefault("ENGAGE_SECRET_KEY", "bench-only-secret")
os.environ["PREFECT_SERVER_EPHEMERAL_ENABLED"] = "false"

import sqlalchemy as sa

from tests.bench import measure

FULL = {"orgs": 5000, "users": 50000, "companies": 20000, "engagements": 100000,
        "dialogue": 1000000}
PAGES = ["/", "/engagements", "/engagements/{engagement}", "/initiatives",
         "/initiatives/{initiative}", "/companies", "/companies/{company}", "/reviews",
         "/reports"]


def main() -> int:
    args = parse_args()
    today = date.fromisoformat(args.today) if args.today else date.today()
    now = datetime(today.year, today.month, today.day, 12, tzinfo=timezone.utc)
    small = {k: max(3, v // 100) for k, v in FULL.items()}
    big = {k: max(3, v * args.scale // 100) for k, v in FULL.items()}
    worlds = {"1k": (f"{args.url}/bench_1k", small), "100k": (f"{args.url}/bench_100k", big)}
    results: dict = {"date": today.isoformat(), "machine": machine(args.url), "worlds": {}}
    print(f"Engage benchmarks, {results['machine']['summary']}")

    for name, (url, sizes) in worlds.items():
        if args.reuse:
            continue
        seconds = measure.build_world(url, sizes, today, args.due, args.seed)
        results["worlds"][name] = {"sizes": sizes, "generate_seconds": seconds}
        print(f"world {name}: {sizes['engagements']} engagements generated in {seconds:.1f} s")

    principals = {name: measure.principal(url) for name, (url, _) in worlds.items()}
    rows = []

    counts = {name: measure.count_statements(url, principals[name], PAGES)
              for name, (url, _) in worlds.items()}
    results["statements"] = counts
    for page in PAGES:
        small_n, big_n = counts["1k"][page], counts["100k"][page]
        ok = small_n == big_n and big_n <= 12
        rows.append((f"SQL statements {page}", f"{small_n} → {big_n}", "equal, ≤ 12", ok))

    big_url = worlds["100k"][0]
    with measure.Gunicorn(big_url, args.port, args.workers) as server:
        token = measure.api_token(big_url, principals["100k"])
        cookie = measure.session_cookie(big_url, principals["100k"])
        p = principals["100k"]
        rps = {}
        for label, path in (("healthz", "/healthz"), ("dashboard", "/"),
                            ("engagement", f"/engagements/{p['engagement']}")):
            rps[label] = measure.locust_single(server.base, path, cookie, args.duration,
                                               args.concurrency)
            print(f"throughput {path}: {rps[label]['rps']:.1f} req/s "
                  f"({rps[label]['failures']} failures)")
        results["throughput"] = rps
        for label in ("dashboard", "engagement"):
            ratio = rps[label]["rps"] / rps["healthz"]["rps"]
            ok = ratio >= 0.30 and rps[label]["failures"] == 0
            rows.append((f"throughput {label} ÷ /healthz", f"{ratio:.3f}", "≥ 0.30", ok))
        load = measure.locust_mixed(server.base, cookie, token, p, args.load_users,
                                    args.load_seconds)
        results["load"] = load
        print(f"load: {load['requests']} requests, {load['failures']} errors, "
              f"p95 {load['p95_ms']} ms")
        rows.append((f"{args.load_users} users {args.load_seconds} s: errors",
                     f"{load['failures']} of {load['requests']}", "0", load["failures"] == 0))
        rows.append((f"{args.load_users} users {args.load_seconds} s: p95 / median",
                     f"{load['p95_ms']} / {load['median_ms']} ms", "report", None))

    sweep = measure.sweep_times(worlds["1k"][0], big_url, now, args.sweep_repeats)
    results["sweep"] = sweep
    ratio = sweep["min_100k"] / sweep["min_1k"]
    median = sweep["median_100k"] / sweep["median_1k"]
    rows.append(("sweep 100k ÷ 1k (fastest of each)", f"{ratio:.2f}", "≤ 1.5", ratio <= 1.5))
    rows.append(("sweep 100k ÷ 1k (medians)", f"{median:.2f}", "report", None))

    imported = measure.import_companies(f"{args.url}/bench_import", args.import_lines)
    results["import"] = imported
    first = imported["import_seconds"] / imported["raw_seconds"]
    again = imported["reimport_seconds"] / imported["raw_seconds"]
    rows.append((f"import {args.import_lines} companies ÷ raw executemany", f"{first:.2f}",
                 "≤ 3", first <= 3))
    rows.append(("re-import (all updates) ÷ raw executemany", f"{again:.2f}", "≤ 3",
                 again <= 3))

    results["table"] = [{"measure": m, "value": v, "target": t, "pass": ok}
                        for m, v, t, ok in rows]
    print_table(rows)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    print(f"\nNumbers written to {args.json}")
    return 0


def print_table(rows: list[tuple]) -> None:
    width = max(len(r[0]) for r in rows)
    vwidth = max(len(r[1]) for r in rows)
    print()
    print(f"{'measure':<{width}}  {'value':<{vwidth}}  {'target':<12}  result")
    for measure_, value, target, ok in rows:
        verdict = "-" if ok is None else "PASS" if ok else "MISS"
        print(f"{measure_:<{width}}  {value:<{vwidth}}  {target:<12}  {verdict}")


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
    info = {"cpu": cpu, "cores": os.cpu_count(), "ram_gib": round(mem / 1024 / 1024, 1),
            "postgresql": version, "python": platform.python_version()}
    info["summary"] = (f"{cpu}, {info['cores']} cores, {info['ram_gib']} GiB RAM, "
                       f"PostgreSQL {version}, Python {info['python']}")
    return info


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default=os.environ.get(
        "ENGAGE_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432"),
        help="PostgreSQL server (no database name): bench_* databases are made there")
    p.add_argument("--scale", type=int, default=100,
                   help="the big world in percent of full size (100 = 100k engagements)")
    p.add_argument("--reuse", action="store_true", help="keep the worlds from the last run")
    p.add_argument("--today", help="the worlds' day, YYYY-MM-DD (default: today)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--due", type=int, default=50, help="milestones due for the sweep")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    p.add_argument("--duration", type=int, default=15, help="seconds per throughput run")
    p.add_argument("--concurrency", type=int, default=16, help="users per throughput run")
    p.add_argument("--load-users", type=int, default=200)
    p.add_argument("--load-seconds", type=int, default=60)
    p.add_argument("--sweep-repeats", type=int, default=5)
    p.add_argument("--import-lines", type=int, default=100_000)
    p.add_argument("--json", default=str(ROOT / "instance" / "bench-results.json"))
    return p.parse_args()


if __name__ == "__main__":
    sys.exit(main())
