"""Locust users for tests/bench/run.py (run headless by it; settings come from the
environment it sets).

BENCH_MODE=single: every user asks for BENCH_PATH again and again, no wait (throughput).
BENCH_MODE=mixed: a signed-in reader's round of pages and API reads, with a short think
time (the 200-user load).
"""

from __future__ import annotations

import os
import random

from locust import FastHttpUser, between, constant, task

COOKIE = os.environ.get("BENCH_COOKIE", "")
TOKEN = os.environ.get("BENCH_TOKEN", "")
ENGAGEMENTS = [int(x) for x in os.environ.get("BENCH_ENGAGEMENTS", "").split(",") if x]
INITIATIVE = os.environ.get("BENCH_INITIATIVE", "")
COMPANY = os.environ.get("BENCH_COMPANY", "")
PAGE = {"Cookie": COOKIE} if COOKIE else {}
API = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}

if os.environ.get("BENCH_MODE", "single") == "single":
    PATH = os.environ.get("BENCH_PATH", "/healthz")

    class Hammer(FastHttpUser):
        wait_time = constant(0)

        @task
        def get(self) -> None:
            self.client.get(PATH, headers=PAGE)

else:
    class Reader(FastHttpUser):
        wait_time = between(0.5, 1.5)

        def page(self, path: str, name: str | None = None) -> None:
            self.client.get(path, headers=PAGE, name=name or path)

        @task(4)
        def dashboard(self) -> None:
            self.page("/")

        @task(6)
        def engagement(self) -> None:
            self.page(f"/engagements/{random.choice(ENGAGEMENTS)}", "/engagements/<id>")

        @task(2)
        def lists(self) -> None:
            self.page(random.choice(["/engagements", "/initiatives", "/companies", "/reviews"]),
                      "lists")

        @task(1)
        def initiative_and_company(self) -> None:
            self.page(f"/initiatives/{INITIATIVE}", "/initiatives/<id>")
            self.page(f"/companies/{COMPANY}", "/companies/<id>")

        @task(3)
        def api(self) -> None:
            self.client.get("/api/v1/engagements", headers=API, name="/api/v1/engagements")
            self.client.get(f"/api/v1/engagements/{random.choice(ENGAGEMENTS)}/milestones",
                            headers=API, name="/api/v1/engagements/<id>/milestones")
