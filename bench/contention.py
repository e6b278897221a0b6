"""The benches' guard against a shared machine: other processes' CPU time during a
measurement is read from /proc (Linux), and a measurement that shared the CPU is run again
once the machine is quiet, up to a limit."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

__all__ = ["QUIET", "TRIES", "uncontended"]

T = TypeVar("T")

QUIET = 0.05  # at most 5% of the machine's CPU time used by other processes
TRIES = 6


def _busy_ticks() -> tuple[int, int]:
    """CPU ticks used by every process on the machine, and by this one (all its threads)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    own = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    return user + nice + system + irq + softirq + steal, int(own[11]) + int(own[12])


def _others_share(since: tuple[int, int], seconds: float) -> float:
    """The share of the machine's CPU time other processes used since ``since``."""
    busy, own = _busy_ticks()
    capacity = seconds * os.sysconf("SC_CLK_TCK") * (os.cpu_count() or 1)
    return max(0.0, (busy - since[0]) - (own - since[1])) / capacity


def _wait_until_quiet(limit_s: float = 300) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        start = _busy_ticks()
        time.sleep(1)
        if _others_share(start, 1) <= QUIET:
            return


def uncontended(label: str, run: Callable[[], T], log: list[str]) -> T:
    """``run()`` once the machine is quiet, again while other processes took more than QUIET
    of the CPU meanwhile (at most TRIES times; the log says how it went)."""
    for attempt in range(1, TRIES + 1):
        _wait_until_quiet()
        start, began = _busy_ticks(), time.monotonic()
        result = run()
        share = _others_share(start, time.monotonic() - began)
        if share <= QUIET or attempt == TRIES:
            log.append(f"{label}: other processes {100 * share:.1f}% of the CPU, try {attempt}")
            return result
    raise AssertionError("unreachable")
