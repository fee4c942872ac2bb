"""Capacity by stepping the user count, and resident memory sampled from /proc while the
load runs (tests/bench/run.py puts them together; the decisions here are plain functions,
tested in tests/bench/test_load.py)."""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

# Concurrent users per step: fine steps up to the target (100), coarser above it.
STEPS = (25, 50, 75, 100, 150, 200, 300, 400)
P95_LIMIT_MS = 500
# A process's resident memory may end this much above its first minute's level. At the
# load's ≈20 requests per second per worker, a leak of 1 KiB per request grows a worker by
# ≈12 MiB in ten minutes, so 10 MiB catches leaks of that size; below it is the noise of
# glibc's per-thread arenas (four threads per worker), a few MiB up and down.
GROWTH_LIMIT_KIB = 10 * 1024
MINUTE = 60.0


def step_passes(result: dict) -> bool:
    """A step is served when it answered requests, none failed, and its p95 stayed under
    the limit."""
    return result["requests"] > 0 and result["failures"] == 0 \
        and result["p95_ms"] < P95_LIMIT_MS


def run_steps(run: Callable[[int], dict], users: Iterable[int]) -> list[tuple[int, dict]]:
    """Run `run(users)` for each count in increasing order until the first step that is
    not served (it is kept: it shows where the limit is)."""
    done = []
    for count in sorted(users):
        result = run(count)
        done.append((count, result))
        if not step_passes(result):
            break
    return done


def capacity(steps: Sequence[tuple[int, dict]]) -> int:
    """The largest user count served, every smaller step served too; 0 if the first failed."""
    served = 0
    for count, result in sorted(steps, key=lambda s: s[0]):
        if not step_passes(result):
            break
        served = count
    return served


def rss_kib(pid: int) -> int | None:
    """VmRSS of a live process in KiB; None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return None


def children(pid: int) -> list[int]:
    """The direct children of a process, from /proc/*/stat (field 4 is the parent)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may itself contain spaces or parentheses.
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


class RssSampler(threading.Thread):
    """Every `interval` seconds, the resident memory of a process and each of its children
    (a gunicorn master and its workers), by pid, until stopped."""

    def __init__(self, pid: int, interval: float = 10.0) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.series: dict[str, list[tuple[float, int]]] = {}
        self._stopped = threading.Event()
        self.started_at = time.monotonic()

    def sample(self) -> None:
        at = time.monotonic() - self.started_at
        for role, pid in [("master", self.pid)] + [("worker", c) for c in children(self.pid)]:
            value = rss_kib(pid)
            if value is not None:
                self.series.setdefault(f"{role} {pid}", []).append((at, value))

    def run(self) -> None:
        while not self._stopped.is_set():
            self.sample()
            self._stopped.wait(self.interval)

    def stop(self) -> dict[str, dict]:
        self._stopped.set()
        self.join()
        self.sample()
        return {name: growth(series) for name, series in self.series.items()}


def growth(series: Sequence[tuple[float, int]], window: float = MINUTE) -> dict:
    """Start, peak and end of one process's samples (seconds, KiB), and its growth: the
    median of the last minute's samples minus the median of the first minute's (medians,
    so that one sample caught mid-request does not decide). A process seen for less than
    two windows has no growth to judge (None)."""
    first_at, last_at = series[0][0], series[-1][0]
    values = [v for _, v in series]
    out = {"start_kib": values[0], "peak_kib": max(values), "end_kib": values[-1],
           "seconds": round(last_at - first_at, 1), "samples": len(series),
           "growth_kib": None}
    if last_at - first_at >= 2 * window:
        head = statistics.median(v for t, v in series if t <= first_at + window)
        tail = statistics.median(v for t, v in series if t >= last_at - window)
        out.update(first_minute_kib=head, last_minute_kib=tail, growth_kib=tail - head)
    return out


def memory_passes(processes: dict[str, dict]) -> bool:
    """No process grew by more than the limit, and at least one was watched long enough to
    judge (a short run proves nothing)."""
    judged = [p["growth_kib"] for p in processes.values() if p["growth_kib"] is not None]
    return bool(judged) and max(judged) <= GROWTH_LIMIT_KIB
