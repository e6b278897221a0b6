"""The device's ceilings for a roofline, measured by the tool on that device: a large matrix
product for compute, a large copy for memory bandwidth.

Each is the best of several timed runs after a warm-up (a ceiling is what the device can do,
not what it usually does), in the profiled dtype, timed with the host clock on the CPU and
with CUDA events (one synchronisation each) on a GPU. How each was measured is recorded
beside the number.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import nullcontext

import torch

from gnet_inspect.errors import DeviceError
from gnet_inspect.measure.memory import is_out_of_memory
from gnet_inspect.reports.profile.result import Ceilings

__all__ = ["measure_ceilings"]

# Sizes: a product large enough to reach the device's throughput, a copy far larger than its
# caches; both small enough to measure in a fraction of a second.
_MATRIX = {"cpu": 1024, "cuda": 8192}
_COPY_BYTES = {"cpu": 64 * 2**20, "cuda": 1024 * 2**20}
_RUNS = 5


def measure_ceilings(device: torch.device, dtype: torch.dtype) -> Ceilings:
    """Compute (FLOP/s of an n×n by n×n product) and bandwidth (bytes read and written per
    second by a copy) of ``device`` in ``dtype``."""
    kind = "cuda" if device.type == "cuda" else "cpu"
    n, copied = _MATRIX[kind], _COPY_BYTES[kind]
    name = str(dtype).removeprefix("torch.")
    current = torch.cuda.device(device) if kind == "cuda" else nullcontext()
    try:
        with current:  # events record on this device's stream
            matmul_s = _matmul_seconds(n, device, dtype)
            copy_s = _copy_seconds(copied, device, dtype)
    except (RuntimeError, MemoryError) as exc:
        if not is_out_of_memory(exc):
            raise
        raise DeviceError(
            f"measuring {device}'s ceilings (a {n}×{n} product, a {copied // 2**20} MiB copy) "
            "needs more memory than is free there; free some, or profile on another device"
        ) from None
    tf32 = ""
    if kind == "cuda" and dtype == torch.float32:
        tf32 = f", TF32 {'on' if torch.backends.cuda.matmul.allow_tf32 else 'off'} for it"
        tf32 += f" ({'on' if torch.backends.cudnn.allow_tf32 else 'off'} for convolutions)"
    clock = "CUDA events" if kind == "cuda" else "time.perf_counter_ns"
    return Ceilings(
        compute_flops_per_s=2 * n**3 / matmul_s,
        compute_how=f"torch.mm of two {n}×{n} {name} matrices: 2n³ FLOPs, best of {_RUNS} "
        f"runs ({clock}){tf32}",
        bandwidth_bytes_per_s=2 * copied / copy_s,
        bandwidth_how=f"copy_ of {copied // 2**20} MiB of {name}: bytes read and "
        f"written, best of {_RUNS} runs ({clock})",
    )


def _matmul_seconds(n: int, device: torch.device, dtype: torch.dtype) -> float:
    generator = torch.Generator(device).manual_seed(0)
    a = torch.randn(n, n, generator=generator, device=device, dtype=dtype)
    b = torch.randn(n, n, generator=generator, device=device, dtype=dtype)
    product = torch.empty(n, n, device=device, dtype=dtype)
    return _best(lambda: torch.mm(a, b, out=product), device)


def _copy_seconds(size: int, device: torch.device, dtype: torch.dtype) -> float:
    source = torch.ones(
        size // torch.empty((), dtype=dtype).element_size(), device=device, dtype=dtype
    )
    target = torch.empty_like(source)
    return _best(lambda: target.copy_(source), device)


def _best(run: Callable[[], object], device: torch.device) -> float:
    """The shortest of ``_RUNS`` timed calls of ``run``, in seconds, after one untimed."""
    run()
    times = []
    for _ in range(_RUNS):
        if device.type == "cuda":
            start = torch.cuda.Event(enable_timing=True)  # type: ignore[no-untyped-call]
            end = torch.cuda.Event(enable_timing=True)  # type: ignore[no-untyped-call]
            start.record()
            run()
            end.record()
            end.synchronize()
            times.append(float(start.elapsed_time(end)) / 1e3)
        else:
            begin = time.perf_counter_ns()
            run()
            times.append((time.perf_counter_ns() - begin) / 1e9)
    return min(times)
