"""The inference peak of activation memory as the allocator records it, on a CPU or a GPU.

On the CPU, the PyTorch profiler's memory events: each carries the allocator's running total
of bytes allocated since profiling began, and the largest is the peak. On a GPU,
``torch.cuda.max_memory_allocated`` after a reset. Both count only what the forward pass
allocates, so the batch it is given is added back: the result is comparable with
``measure.liveness``'s peak of live activations, input included. What the allocator records
beyond that (a convolution kernel's scratch space, reordered copies of its input) is the gap
between the two.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from gnet_inspect.measure.devices import resolve_device
from gnet_inspect.measure.memory import forward_peak_elements, require_memory
from gnet_inspect.model import build_model

if TYPE_CHECKING:
    from gnet_inspect.measure.measure import Measurement

__all__ = ["MeasuredPeak", "measure_forward_peak"]


@dataclass(frozen=True)
class MeasuredPeak:
    """A measured inference peak of activation bytes (input included), where and how."""

    bytes: int
    device: str
    batch_size: int
    how: str


def measure_forward_peak(
    measured: Measurement, batch_size: int, dtype: torch.dtype, device: str
) -> MeasuredPeak:
    """Runs one inference forward pass of a zero-weight build on ``device`` (``cpu`` or a
    CUDA device) in ``dtype`` and returns the peak its allocator recorded.

    Raises:
        DeviceError: an unknown device, or CUDA asked for where there is none.
        MemoryLimitError: the batch would not fit (checked before allocating).
    """
    spec, size = measured.spec, measured.input_size
    target = resolve_device(device, "--measure")
    element = torch.empty((), dtype=dtype).element_size()
    weights = element * sum(p.numel() for p in measured.model.parameters())
    activations = batch_size * element * forward_peak_elements(measured)
    require_memory(
        f"measuring the peak of a batch of {batch_size}",
        {"activations": activations, "weights": weights},
        {"activations": "use a smaller --batch-size", "weights": "use fewer channels"},
    )
    model = build_model(spec, weights="zeros").eval().to(device=target, dtype=dtype)
    image = torch.zeros(batch_size, spec.input.channels, size, size, device=target, dtype=dtype)
    given = image.numel() * image.element_size()
    with torch.inference_mode():
        if target.type == "cuda":
            torch.cuda.synchronize(target)
            torch.cuda.reset_peak_memory_stats(target)
            before = torch.cuda.memory_allocated(target)
            model(image)
            torch.cuda.synchronize(target)
            peak = torch.cuda.max_memory_allocated(target) - before
            how = "torch.cuda.max_memory_allocated over one forward pass, less what was there"
        else:
            peak = _profiled_peak(model, image)
            how = "the PyTorch profiler's memory events (allocator total) over one forward pass"
    return MeasuredPeak(peak + given, str(target), batch_size, how)


def _profiled_peak(model: torch.nn.Module, image: torch.Tensor) -> int:
    """The largest running total of bytes the CPU allocator reported during one pass."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        model(image)
    with tempfile.TemporaryDirectory() as folder:
        trace = Path(folder) / "trace.json"
        prof.export_chrome_trace(str(trace))
        events = json.loads(trace.read_text(encoding="utf-8"))["traceEvents"]
    totals = [e["args"]["Total Allocated"] for e in events if e.get("name") == "[memory]"]
    return max(totals, default=0)
