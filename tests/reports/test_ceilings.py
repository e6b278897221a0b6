"""The device's ceilings for the roofline: the formulas, on a clock the test controls, and a
real measurement that must agree with a product and a copy timed here."""

from __future__ import annotations

import time

import pytest
import torch

from gnet_inspect.reports.profile import ceilings


def test_the_ceilings_are_flops_and_bytes_over_the_best_run(monkeypatch):
    # A clock on which each run takes the next of these ms: one untimed run, then five
    # timed, for the product (best 2 ms), then the same for the copy (best 2.5 ms).
    durations = iter([9, 3, 2, 4, 5, 6, 9, 2.5, 6, 5, 3, 4])
    now = [0]

    def clock() -> int:
        return now[0]

    def run_for(fn):
        def timed():
            now[0] += int(next(durations) * 1e6)  # the run "takes" its duration
            return fn()

        return timed

    monkeypatch.setattr(ceilings.time, "perf_counter_ns", clock)
    real_best = ceilings._best
    monkeypatch.setattr(ceilings, "_best", lambda run, device: real_best(run_for(run), device))
    found = ceilings.measure_ceilings(torch.device("cpu"), torch.float32)
    n, copied = ceilings._MATRIX["cpu"], ceilings._COPY_BYTES["cpu"]
    assert found.compute_flops_per_s == pytest.approx(2 * n**3 / 2e-3)
    assert found.bandwidth_bytes_per_s == pytest.approx(2 * copied / 2.5e-3)
    assert found.ridge == pytest.approx(found.compute_flops_per_s / found.bandwidth_bytes_per_s)
    assert f"{n}×{n} float32" in found.compute_how and "best of 5" in found.compute_how


def test_the_measured_ceilings_agree_with_a_product_and_a_copy_timed_here():
    found = ceilings.measure_ceilings(torch.device("cpu"), torch.float32)
    n = ceilings._MATRIX["cpu"]
    a, b = torch.randn(n, n), torch.randn(n, n)
    best = min(_seconds(lambda: a @ b) for _ in range(5))
    # A shared machine: the same arithmetic within a factor of three either way.
    assert 1 / 3 < found.compute_flops_per_s / (2 * n**3 / best) < 3
    source = torch.ones(ceilings._COPY_BYTES["cpu"] // 4)
    target = torch.empty_like(source)
    best = min(_seconds(lambda: target.copy_(source)) for _ in range(5))
    assert 1 / 3 < found.bandwidth_bytes_per_s / (2 * source.nbytes / best) < 3


def _seconds(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start
