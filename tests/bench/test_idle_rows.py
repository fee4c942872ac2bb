"""The benchmark's judgement of the production worker's idle cost (tests/bench/run.py)."""

from __future__ import annotations

from tests.bench import run


def measured(busy: float) -> dict:
    return {"busy_percent": busy, "machine_busy_percent": 3.5,
            "rss_mb": {"engage worker": 180, "prefect server": 250}}


def test_the_production_worker_passes_at_two_percent_and_misses_above():
    (row, *memory) = run.production_idle_rows(measured(2.0), 300)
    assert row[0].startswith("idle production worker") and "5 min" in row[0]
    assert row[1:] == ("2.0 % (machine 3.5 %)", "≤ 2 %", True)
    assert run.production_idle_rows(measured(2.01), 300)[0][3] is False
    assert memory == [("memory production: engage worker, MB", "180", "report", None),
                      ("memory production: prefect server, MB", "250", "report", None)]


def test_a_failed_production_measurement_is_a_miss_with_its_error():
    rows = run.production_idle_rows(None, 300, error=TimeoutError("waited 240 s for the sweep"))
    assert len(rows) == 1
    assert rows[0][1] == "failed: TimeoutError: waited 240 s for the sweep"
    assert rows[0][3] is False


def test_the_idle_measure_takes_the_demo_and_then_the_production_worker(monkeypatch):
    from argparse import Namespace

    from tests.bench import idle

    asked = []
    monkeypatch.setattr(idle, "measure_idle", lambda seconds: asked.append("demo") or {
        "busy_percent": 1.0, "rss_mb": {}, "deadline_latency_seconds": 2.0,
        "decision_latency_seconds": 5.0})
    monkeypatch.setattr(idle, "measure_production_idle", lambda url, prefix, seconds: (
        asked.append((url, prefix, seconds)) or measured(3.0)))
    results: dict = {}
    rows = run.idle_cost(Namespace(idle_seconds=300, url="postgresql+psycopg://pg", prefix="x"),
                         results)
    assert asked == ["demo", ("postgresql+psycopg://pg", "x", 300)]
    assert [ok for _, _, _, ok in rows] == [True, True, True, False, None, None]
    assert results["production_idle"]["busy_percent"] == 3.0
