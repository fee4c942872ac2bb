"""The benchmark's judgements: when a capacity step is served, what capacity a run of steps
shows, and how a process's memory growth is read from its samples (tests/bench/load.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from tests.bench import load


def result(p95: int, failures: int = 0, requests: int = 1000) -> dict:
    return {"requests": requests, "failures": failures, "p95_ms": p95, "median_ms": p95 // 2}


def test_a_step_is_served_below_the_p95_limit_with_no_error():
    assert load.step_passes(result(499))
    assert not load.step_passes(result(500))
    assert not load.step_passes(result(120, failures=1))
    assert not load.step_passes(result(0, requests=0))  # nothing answered proves nothing


def test_stepping_stops_at_the_first_step_not_served_and_keeps_it():
    p95 = {25: 80, 50: 150, 75: 320, 100: 700, 150: 200}
    asked = []

    def run(users):
        asked.append(users)
        return result(p95[users])

    steps = load.run_steps(run, [150, 25, 100, 50, 75])
    assert asked == [25, 50, 75, 100]
    assert [u for u, _ in steps] == [25, 50, 75, 100]
    assert load.capacity(steps) == 75


def test_capacity_is_zero_when_the_first_step_fails_and_the_top_when_all_pass():
    assert load.capacity([(25, result(900)), (50, result(100))]) == 0
    assert load.capacity([(25, result(100)), (50, result(200))]) == 50
    # A later served step does not count past an earlier failure.
    assert load.capacity([(25, result(100)), (50, result(100, failures=2)),
                          (75, result(100))]) == 25


def series(values: list[int], every: float = 10.0) -> list[tuple[float, int]]:
    return [(i * every, v) for i, v in enumerate(values)]


def test_growth_is_the_last_minute_against_the_first():
    # 10 minutes at 10 s: a flat 200 MiB with one spike in the first minute and one late.
    values = [200_000] * 61
    values[2], values[50] = 260_000, 250_000
    g = load.growth(series(values))
    assert g["start_kib"] == 200_000 and g["peak_kib"] == 260_000 and g["end_kib"] == 200_000
    assert g["growth_kib"] == 0  # medians: a sample caught mid-request does not decide
    assert load.memory_passes({"worker 1": g})


def test_steady_growth_beyond_the_limit_misses():
    # +400 KiB a sample (10 s): medians at the 3rd and the 57th sample, ≈21 MiB apart.
    g = load.growth(series([150_000 + 400 * i for i in range(61)]))
    assert g["growth_kib"] == 400 * 57 - 400 * 3
    assert g["growth_kib"] > load.GROWTH_LIMIT_KIB
    ok = load.growth(series([150_000] * 61))
    assert not load.memory_passes({"master 1": ok, "worker 2": g})
    assert load.memory_passes({"master 1": ok})


def test_a_short_run_is_not_judged():
    g = load.growth(series([100_000, 200_000, 300_000]))
    assert g["growth_kib"] is None and g["peak_kib"] == 300_000
    assert not load.memory_passes({"worker 1": g})


def test_the_sampler_reads_a_process_and_its_children():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert child.pid in load.children(os.getpid())
        sampler = load.RssSampler(os.getpid(), interval=0.05)
        sampler.start()
        time.sleep(0.2)
        processes = sampler.stop()
    finally:
        child.kill()
        child.wait()
    assert processes[f"master {os.getpid()}"]["peak_kib"] > 1000
    assert processes[f"worker {child.pid}"]["samples"] >= 2
    assert load.rss_kib(child.pid) is None
