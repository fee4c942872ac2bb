"""The measurements tests/bench/run.py puts together: worlds, statement counts, gunicorn
under locust, the sweep, the import."""

from __future__ import annotations

import csv
import io
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date, datetime
from pathlib import Path
from typing import Self

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
IGNORED = ("SAVEPOINT", "RELEASE", "ROLLBACK")


def _split(url: str) -> tuple[str, str]:
    server, _, name = url.rpartition("/")
    return server, name


def admin(url: str, *statements: str) -> None:
    """Run statements on the server's postgres database, outside a transaction."""
    server, _ = _split(url)
    engine = sa.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    engine.dispose()


def engage(url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": url}
    done = subprocess.run([str(BIN / "engage"), *args], env=env, cwd=ROOT, text=True,
                          capture_output=True, check=False)
    if done.returncode:
        raise RuntimeError(f"engage {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def fresh_database(url: str) -> None:
    _, name = _split(url)
    admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    engage(url, "db", "upgrade")


def build_world(url: str, sizes: dict, today: date, due: int, seed: int) -> float:
    """A fresh database with `engage bench-data`; returns the generation time it printed."""
    fresh_database(url)
    options = [f"--{k}={v}" for k, v in sizes.items()]
    out = engage(url, "bench-data", *options, f"--due={due}", f"--seed={seed}",
                 f"--today={today.isoformat()}")
    return float(re.search(r"generated in ([\d.]+) s", out).group(1))


def principal(url: str) -> dict:
    """Who the pages are read as: a member of the lead organisation of the first active
    collaborative engagement with an open review and a letter (so every section of the
    engagement page has rows), with that organisation's realistic share of the world."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        row = conn.execute(sa.text(
            "SELECT e.id, e.initiative_id, e.company_id, p.organisation_id FROM engagement e "
            "JOIN engagement_participant p ON p.engagement_id = e.id AND p.role = 'lead' "
            "WHERE e.status = 'active' AND e.initiative_id IS NOT NULL "
            "AND EXISTS (SELECT 1 FROM letter l WHERE l.engagement_id = e.id) "
            "AND EXISTS (SELECT 1 FROM escalation_review r WHERE r.engagement_id = e.id "
            "AND r.status = 'open') ORDER BY e.id LIMIT 1")).one()
        user = conn.execute(sa.text(
            "SELECT u.id, u.email, o.slug FROM org_membership m JOIN user_account u "
            "ON u.id = m.user_id JOIN organisation o ON o.id = m.organisation_id "
            "WHERE m.organisation_id = :org AND m.role = 'member' ORDER BY u.id LIMIT 1"),
            {"org": row.organisation_id}).one()
        # The engagements it sees: the access table (migration 0025), which the database's
        # triggers keep equal to the tenancy rule (a participant, or an admitted member of
        # the initiative); an engagement seen for both reasons is listed there twice.
        visible = conn.execute(sa.text(
            "SELECT DISTINCT engagement_id FROM engagement_access WHERE organisation_id = :org "
            "ORDER BY engagement_id"), {"org": row.organisation_id}).scalars().all()
    engine.dispose()
    return {"engagement": row.id, "initiative": row.initiative_id, "company": row.company_id,
            "org_id": row.organisation_id, "user_id": user.id, "email": user.email,
            "slug": user.slug, "visible": list(visible)}


def _app(url: str, **config):
    from engage import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, **config})


def session_cookie(url: str, p: dict) -> str:
    """The session a sign-in would give: a server-side session in the database, and the
    cookie naming it, signed with the app's own serializer (the same ENGAGE_SECRET_KEY as
    the gunicorn under test)."""
    from engage import clock
    from engage.auth import sessions
    from engage.extensions import db

    app = _app(url)
    now = clock.now()
    with app.app_context():
        key = sessions.start(db.session, p["user_id"], now=now,
                             lifetime=app.config["PERMANENT_SESSION_LIFETIME"])
        db.session.commit()
        # An idle pooled connection would keep CREATE DATABASE … TEMPLATE (the sweep) out.
        db.engine.dispose()
    value = app.session_interface.get_signing_serializer(app).dumps(
        {"user_id": p["user_id"], "org_id": p["org_id"], "sso": p["slug"], "sid": key,
         "seen": sessions.stamp(now)})
    return f"{app.config['SESSION_COOKIE_NAME']}={value}"


def count_statements(url: str, p: dict, pages: list[str]) -> dict[str, int]:
    """Statements per page, each page asked twice and the second counted (the first warms
    the app's caches). The render cache is off: a page served from it sends fewer
    statements, but every page is drawn in full after any write, and that is what counts."""
    from engage.extensions import db

    app = _app(url, ENGAGE_RENDER_CACHE=False)
    client = app.test_client()
    name, value = session_cookie(url, p).split("=", 1)
    client.set_cookie(name, value)
    counts = {}
    with app.app_context():
        engine = db.engine
    for page in pages:
        path = page.format(**p)
        statements: list[str] = []

        def listen(conn, cursor, statement, *args, statements=statements):
            if not statement.lstrip().upper().startswith(IGNORED):
                statements.append(statement)

        client.get(path)
        sa.event.listen(engine, "before_cursor_execute", listen)
        try:
            response = client.get(path)
        finally:
            sa.event.remove(engine, "before_cursor_execute", listen)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
        counts[page] = len(statements)
    engine.dispose()
    return counts


def api_token(url: str, p: dict) -> str:
    out = engage(url, "token", "create", f"--org={p['slug']}", "--name=bench",
                 f"--user={p['email']}")
    return out.strip().splitlines()[-1]


class Gunicorn:
    """deploy/gunicorn.conf.py on loopback against one world, for the length of a block."""

    def __init__(self, url: str, port: int, workers: int, max_requests: int = 0) -> None:
        self.url, self.port, self.workers = url, port, workers
        self.max_requests = max_requests
        self.base = f"http://127.0.0.1:{port}"
        self.log = Path(tempfile.gettempdir()) / f"engage-bench-gunicorn-{port}.log"

    def __enter__(self) -> Self:
        env = {**os.environ, "DATABASE_URL": self.url, "ENGAGE_BIND": f"127.0.0.1:{self.port}",
               "ENGAGE_WEB_WORKERS": str(self.workers), "ENGAGE_LOG_LEVEL": "warning",
               # 0: workers are never replaced, so a leak shows in their memory instead of
               # being cut off by the conf's recycling.
               "ENGAGE_WEB_MAX_REQUESTS": str(self.max_requests)}
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py"], cwd=ROOT, env=env,
            stdout=self.log.open("w"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        self.__exit__()
        raise RuntimeError(f"gunicorn did not answer; see {self.log}")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _locust(base: str, env: dict, users: int, seconds: int, ramp: int | None = None) -> dict:
    """One headless locust run. With `ramp` (seconds), users start over that time and the
    statistics are reset once all have started, so only the full load is counted."""
    rate = min(users, 50) if ramp is None else max(1, -(-users // max(ramp, 1)))
    extra = [] if ramp is None else ["--reset-stats"]
    with tempfile.TemporaryDirectory() as tmp:
        prefix = f"{tmp}/run"
        done = subprocess.run(
            [str(BIN / "locust"), "-f", str(LOCUSTFILE), "--headless", "-u", str(users),
             "-r", str(rate), "-t", f"{seconds}s", "-H", base, "--csv", prefix,
             "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "10", *extra],
            env={**os.environ, **env}, cwd=ROOT, check=False, capture_output=True, text=True)
        try:
            with open(f"{prefix}_stats.csv", newline="") as fh:
                rows = list(csv.DictReader(fh))
        except FileNotFoundError:
            raise RuntimeError(f"locust wrote no statistics:\n{done.stderr[-2000:]}") from None
    total = next(r for r in rows if r["Name"] == "Aggregated")

    def ms(value: str) -> int:
        return 0 if value == "N/A" else int(float(value))

    return {
        "requests": int(total["Request Count"]), "failures": int(total["Failure Count"]),
        "rps": float(total["Requests/s"]), "median_ms": ms(total["50%"]),
        "p95_ms": ms(total["95%"]),
        "by_name": {r["Name"]: {"requests": int(r["Request Count"]),
                                "failures": int(r["Failure Count"]),
                                "p95_ms": ms(r["95%"])}
                    for r in rows if r["Name"] != "Aggregated"},
    }


def locust_single(base: str, path: str, cookie: str, seconds: int, users: int) -> dict:
    env = {"BENCH_MODE": "single", "BENCH_PATH": path, "BENCH_COOKIE": cookie}
    _locust(base, env, users, 5)  # warm-up: workers started, caches filled
    return _locust(base, env, users, seconds)


def locust_mixed(base: str, cookie: str, token: str, p: dict, users: int, seconds: int,
                 ramp: int | None = None) -> dict:
    """The mixed reader load (locustfile.py's Reader) for `seconds`, counted after `ramp`."""
    env = {"BENCH_MODE": "mixed", "BENCH_COOKIE": cookie, "BENCH_TOKEN": token,
           "BENCH_ENGAGEMENTS": ",".join(map(str, p["visible"][:500])),
           "BENCH_INITIATIVE": str(p["initiative"]), "BENCH_COMPANY": str(p["company"])}
    return _locust(base, env, users, seconds, ramp)


def _sweep_once(template: str, now: datetime) -> float:
    from engage.escalations.service import sweep
    from engage.extensions import db

    server, name = _split(template)
    copy = f"{name}_sweep"
    # FILE_COPY and a checkpoint: the default WAL_LOG copy would leave a gigabyte of WAL
    # being flushed while the sweep is timed.
    # A template must have no other session; any left on this run's own world go.
    admin(template, f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)',
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
          f"WHERE datname = '{name}' AND pid <> pg_backend_pid()",
          f'CREATE DATABASE "{copy}" TEMPLATE "{name}" STRATEGY FILE_COPY', "CHECKPOINT")
    app = _app(f"{server}/{copy}")
    with app.app_context():
        started = time.perf_counter()
        report = sweep(now)
        seconds = time.perf_counter() - started
        db.engine.dispose()
    if not report.reviews_opened:
        raise RuntimeError(f"the sweep on {name} opened no review")
    admin(template, f'DROP DATABASE "{copy}"')
    return seconds


def sweep_times(small: str, big: str, now: datetime, repeats: int) -> dict:
    """The sweep on fresh copies of each world, alternating, after one warm-up run. Its
    time is mostly per-item inserts and commits (the same at both sizes), so on a shared
    machine the fastest run of each is the fairest estimate; the medians are kept too."""
    _sweep_once(small, now)
    times: dict[str, list[float]] = {"1k": [], "100k": []}
    for _ in range(repeats):
        times["1k"].append(_sweep_once(small, now))
        times["100k"].append(_sweep_once(big, now))
    print(f"sweep 1k {[round(t, 2) for t in times['1k']]} s, "
          f"100k {[round(t, 2) for t in times['100k']]} s")
    for size in ("1k", "100k"):
        times[f"median_{size}"] = statistics.median(times[size])
        times[f"min_{size}"] = min(times[size])
    return times


def _isin(n: int) -> str:
    base = f"XS{n:09d}"
    digits = "".join(str(int(ch, 36)) for ch in base)[::-1]
    total = sum(sum(divmod(2 * int(d), 10)) for d in digits[0::2]) + sum(map(int, digits[1::2]))
    return f"{base}{(10 - total % 10) % 10}"


def _lei(n: int) -> str:
    base = f"5299{n:014d}"
    return f"{base}{98 - int(''.join(str(int(ch, 36)) for ch in base) + '00') % 97:02d}"


def import_companies(url: str, lines: int) -> dict:
    """`engage import companies`' code path (first import, then a re-import that updates
    every row) against a raw psycopg executemany of the same rows."""
    from engage.common.search import fold
    from engage.companies.imports import import_companies as run_import
    from engage.extensions import db
    from engage.tenancy import system_scope

    rows = [(f"Imported Company {n:06d} plc", _isin(n), _lei(n), "NL", "Utilities",
             date(2027, 5, 1 + n % 28)) for n in range(1, lines + 1)]
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["name", "isin", "lei", "country", "sector", "next_agm_on"])
    writer.writerows(r[:5] + (r[5].isoformat(),) for r in rows)
    raw_csv = text.getvalue().encode()
    raw_rows = [(r[0], fold(r[0]), *r[1:]) for r in rows]
    fresh_database(url)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()
        started = time.perf_counter()
        # With the folded sort key (migration 0022), computed beforehand like the CSV.
        cursor.executemany(
            "INSERT INTO company (name, name_key, isin, lei, country, sector, next_agm_on,"
            " controversies, exclusion_reason, created_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, '', '', now())",
            raw_rows)
        conn.commit()
        raw = time.perf_counter() - started
        conn.exec_driver_sql("TRUNCATE company RESTART IDENTITY CASCADE")
        conn.commit()
    engine.dispose()
    app = _app(url)
    seconds = []
    with app.app_context():
        for _ in range(2):
            with system_scope("benchmark import"):
                started = time.perf_counter()
                result = run_import(raw_csv, "companies.csv")
                seconds.append(time.perf_counter() - started)
        db.engine.dispose()
    print(f"import {lines} companies: raw executemany {raw:.2f} s, import {seconds[0]:.2f} s, "
          f"re-import {seconds[1]:.2f} s ({result.updated} updated)")
    return {"lines": lines, "raw_seconds": raw, "import_seconds": seconds[0],
            "reimport_seconds": seconds[1]}
