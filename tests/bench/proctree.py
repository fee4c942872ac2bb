"""CPU and resident memory of a process tree, read from /proc (Linux).

A process's ``utime + stime`` is its own CPU; ``cutime + cstime`` is that of its children
that ended and were waited for. Summing ``utime + stime + cutime + cstime`` over the live
processes of a tree therefore counts every process that ever ran in it (a flow run's
short-lived process lands in its worker's ``cutime`` when the worker reaps it), as long as
the tree's root lives. The difference of two such sums is the tree's CPU in between.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Proc:
    pid: int
    ppid: int
    own: float  # seconds of CPU (user + system)
    children: float  # seconds of CPU of its waited-for children
    rss_mb: float
    label: str


def _read(pid: int) -> Proc | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode()
        with open(f"/proc/{pid}/statm") as f:
            rss_pages = int(f.read().split()[1])
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    rest = stat[stat.rindex(")") + 2:].split()
    ppid = int(rest[1])
    utime, stime, cutime, cstime = (int(x) for x in rest[11:15])
    return Proc(pid, ppid, (utime + stime) / TICKS, (cutime + cstime) / TICKS,
                rss_pages * PAGE / 2**20, label(argv))


def label(argv: list[str]) -> str:
    """A short name for a process of the demo: what it runs, not its path."""
    text = " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(argv[:6]))
    if "server start" in text:
        return "prefect server"
    if " worker" in text:
        return "engage worker"
    if " demo" in text:
        return "engage demo (web)"
    if "prefect.engine" in text or "flow_run" in text or "-m prefect" in text:
        return "flow run"
    return text[:60] or "?"


def tree(root: int | tuple[int, ...]) -> dict[int, Proc]:
    """The live processes descending from ``root`` (itself included), or from each of
    several roots (processes started apart, e.g. a server and a worker)."""
    procs = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            p = _read(int(entry))
            if p is not None:
                procs[p.pid] = p
    members, frontier = {}, list(root) if isinstance(root, tuple) else [root]
    while frontier:
        pid = frontier.pop()
        if pid in procs and pid not in members:
            members[pid] = procs[pid]
            frontier.extend(q.pid for q in procs.values() if q.ppid == pid)
    return members


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all cores since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(x) for x in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


@dataclass
class TreeSample:
    """CPU of a tree over a window, per process (by label) and in total."""

    seconds: float
    cpu_seconds: float
    per_process: dict[str, float] = field(default_factory=dict)
    rss_mb: dict[str, float] = field(default_factory=dict)
    machine_busy_percent: float = 0.0
    processes_started: int = 0

    @property
    def busy_percent(self) -> float:
        """The tree's CPU as a share of all cores over the window."""
        return 100.0 * self.cpu_seconds / (self.seconds * (os.cpu_count() or 1))


def sample(root: int | tuple[int, ...], seconds: float, every: float = 1.0) -> TreeSample:
    """Watch the tree of ``root`` for ``seconds``; CPU per process label (a process's reaped
    children are counted under it, as "<label> (its processes)")."""
    def totals(members: dict[int, Proc]) -> dict[int, tuple[float, float]]:
        return {pid: (p.own, p.children) for pid, p in members.items()}

    first = tree(root)
    start = totals(first)
    labels = {pid: p.label for pid, p in first.items()}
    seen = set(first)
    last = dict(start)
    rss: dict[str, float] = {}
    busy0, all0 = machine_busy()
    t0 = time.monotonic()
    while True:
        left = t0 + seconds - time.monotonic()
        if left <= 0:
            break
        time.sleep(min(every, left))
        now = tree(root)
        for pid, p in now.items():
            labels.setdefault(pid, p.label)
            last[pid] = (p.own, p.children)
            rss[p.label] = max(rss.get(p.label, 0.0), p.rss_mb) if pid in first else rss.get(p.label, 0.0)
            if pid not in first:
                rss[f"{p.label} (peak)"] = max(rss.get(f"{p.label} (peak)", 0.0), p.rss_mb)
        seen.update(now)
    elapsed = time.monotonic() - t0
    busy1, all1 = machine_busy()
    final = tree(root)
    for pid, p in final.items():
        last[pid] = (p.own, p.children)
    per: dict[str, float] = {}
    total = 0.0
    for pid in final:
        own0, ch0 = start.get(pid, (0.0, 0.0))
        own1, ch1 = last[pid]
        name = labels[pid]
        per[name] = per.get(name, 0.0) + own1 - own0
        if ch1 - ch0:
            key = f"{name} (its processes)"
            per[key] = per.get(key, 0.0) + ch1 - ch0
        total += (own1 - own0) + (ch1 - ch0)
    for pid, p in final.items():
        if pid in first:
            rss[p.label] = p.rss_mb
    return TreeSample(seconds=elapsed, cpu_seconds=total, per_process=per, rss_mb=rss,
                      machine_busy_percent=100.0 * (busy1 - busy0) / max(all1 - all0, 1),
                      processes_started=len(seen - set(first)))
