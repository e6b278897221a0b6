"""What inference and a training step keep in memory, per entry of a level and in total.

Per entry: its weights and buffers (BatchNorm's running statistics), its output, and what its
layers save for the backward pass (``measure.training``). In total: the weights, buffers,
gradients and optimizer state, which do not depend on the batch, and the activations, which
grow with it: the peak of live activations over the inference forward pass
(``measure.liveness``) and the bytes saved for backward. A training step's total is what is
alive at the end of its forward pass: weights, buffers, gradients, optimizer state and
everything saved for backward. Optionally (``measure_peak``) the inference peak is measured
too, from the allocator: on the CPU the PyTorch profiler's memory events, on a GPU
``torch.cuda.max_memory_allocated``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import torch

from gnet_inspect.measure.devices import resolve_dtype
from gnet_inspect.measure.levels import CONCAT, Level
from gnet_inspect.measure.liveness import forward_memory
from gnet_inspect.measure.measure import Measurement
from gnet_inspect.measure.optimizers import OptimizerName
from gnet_inspect.measure.peak import MeasuredPeak, measure_forward_peak
from gnet_inspect.measure.training import LOSS, step_memory
from gnet_inspect.reports.flops import BreakdownRow, break_down, stage_members
from gnet_inspect.spec.schema import NetworkSpec
from gnet_inspect.spec.shapes import single_value_norms

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MemoryReport", "MemoryRow", "memory_report"]


@dataclass(frozen=True)
class MemoryRow:
    """One entry: weights and buffers (whatever the batch), its output and what it saves for
    the backward pass (for the whole batch), and its share of the saved bytes."""

    id: str
    row: str
    head: str | None
    kind: str
    output: str
    params: int
    weight_bytes: int
    buffer_bytes: int
    output_bytes: int
    saved_bytes: int
    share_saved: float


@dataclass(frozen=True)
class MemoryReport:
    """A network's memory at one level, for one batch, dtype and optimizer."""

    label: str
    level: Level
    input_size: int
    batch_size: int
    dtype: str
    optimizer: OptimizerName
    rows: tuple[MemoryRow, ...]
    aux_rows: tuple[MemoryRow, ...]
    weight_bytes: int
    inference_weight_bytes: int
    buffer_bytes: int
    gradient_bytes: int
    optimizer_bytes: int
    input_bytes: int
    forward_peak_bytes: int
    forward_peak_entry: str
    outputs_sum_bytes: int
    saved_bytes: int
    loss_saved_bytes: int
    measured_peak: MeasuredPeak | None
    untrainable_at_batch: str | None = None
    """The row whose BatchNorm sees a 1×1 map where the batch is 1: a training step PyTorch
    refuses, whose figures are computed from batches 2 and 3 (``step_memory``)."""

    @property
    def fixed_bytes(self) -> int:
        """What a training step keeps whatever the batch: weights, buffers, gradients and
        optimizer state."""
        return self.weight_bytes + self.buffer_bytes + self.gradient_bytes + self.optimizer_bytes

    @property
    def training_step_bytes(self) -> int:
        """What is alive at the end of a training step's forward pass: the fixed part and
        every activation saved for backward."""
        return self.fixed_bytes + self.saved_bytes

    @property
    def inference_bytes(self) -> int:
        """Inference: the main path's weights and buffers (the aux heads do not run) and the
        peak of live activations."""
        buffers = sum(row.buffer_bytes for row in self.rows)
        return self.inference_weight_bytes + buffers + self.forward_peak_bytes

    def records(self) -> list[dict[str, Any]]:
        return [asdict(row) for row in (*self.rows, *self.aux_rows)]

    def to_frame(self) -> pd.DataFrame:
        """The entries (main path, then aux heads) as a DataFrame indexed by id."""
        import pandas as pd

        return pd.DataFrame.from_records(self.records(), index="id")


def memory_report(
    measured: Measurement,
    level: Level,
    *,
    batch_size: int = 1,
    dtype: str = "float32",
    optimizer: OptimizerName = "momentum",
    measure_peak: str | None = None,
) -> MemoryReport:
    """The memory of ``measured``'s network at ``level`` for ``batch_size`` images in
    ``dtype``, trained with ``optimizer``; ``measure_peak`` names a device (``cpu``, ``cuda``)
    to measure the inference peak on as well, at this batch."""
    torch_dtype = resolve_dtype(dtype)
    element = torch.empty((), dtype=torch_dtype).element_size()
    spec, size = measured.spec, measured.input_size
    forward = forward_memory(measured, element)
    step = step_memory(spec, size, torch_dtype, optimizer, batch_size)
    flops = break_down(measured, level)
    members = stage_members(measured) if level == "stages" else {}
    buffers = _buffer_bytes(measured, torch_dtype)

    def entry(row: BreakdownRow, saved_total: int) -> MemoryRow:
        prefixes = members.get(row.id, (row.id,))
        saved = _inside(step.saved, prefixes)
        output = _output_elements(measured, row.id, row.row, members)
        return MemoryRow(
            id=row.id,
            row=row.row,
            head=row.head,
            kind=row.kind,
            output=row.output,
            params=row.params,
            weight_bytes=element * row.params,
            buffer_bytes=_inside(buffers, prefixes),
            output_bytes=batch_size * element * output,
            saved_bytes=saved,
            share_saved=saved / saved_total if saved_total else 0.0,
        )

    saved_total = sum(step.saved.values())
    peak = forward.peak_module
    return MemoryReport(
        label=spec.label,
        level=level,
        input_size=size,
        batch_size=batch_size,
        dtype=dtype,
        optimizer=optimizer,
        rows=tuple(entry(row, saved_total) for row in flops.rows),
        aux_rows=tuple(entry(row, saved_total) for row in flops.aux_rows),
        weight_bytes=step.weight_bytes,
        inference_weight_bytes=element * flops.params,
        buffer_bytes=step.buffer_bytes,
        gradient_bytes=step.gradient_bytes,
        optimizer_bytes=step.optimizer_bytes,
        input_bytes=batch_size * forward.input_bytes,
        forward_peak_bytes=batch_size * forward.peak_bytes,
        forward_peak_entry=_entry_of(measured, peak, level, members) if peak else "input",
        outputs_sum_bytes=batch_size * element * _outputs_sum(measured),
        saved_bytes=saved_total,
        loss_saved_bytes=step.saved.get(LOSS, 0),
        measured_peak=(
            measure_forward_peak(measured, batch_size, torch_dtype, measure_peak)
            if measure_peak
            else None
        ),
        untrainable_at_batch=_untrainable(spec, size, batch_size),
    )


def _untrainable(spec: NetworkSpec, size: int, batch_size: int) -> str | None:
    rows = single_value_norms(spec, size) if batch_size == 1 else ()
    return rows[0] if rows else None


def _inside(values: dict[str, int], prefixes: tuple[str, ...]) -> int:
    """The sum of ``values`` whose module lies under one of ``prefixes``."""
    return sum(
        value
        for name, value in values.items()
        if any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)
    )


def _output_elements(
    measured: Measurement, entry: str, row: str, members: dict[str, tuple[str, ...]]
) -> int:
    """An entry's output: its module's; for a concatenation, the branches' it joins; for a
    stage, its last row's; nothing for a row without a module (the softmax)."""
    if entry in members:
        entry = members[entry][-1]
    if entry.endswith(f".{CONCAT}"):
        output = measured.concatenation(entry.removesuffix(f".{CONCAT}"))
    else:
        module = measured.modules.get(entry)
        output = module.output if module is not None else None
    return 0 if output is None else output.height * output.width * output.channels


def _outputs_sum(measured: Measurement) -> int:
    """Every leaf layer's output over the inference pass (the aux heads do not run), summed:
    torchinfo's 'forward/backward pass size' adds up its layers' outputs like this (and counts
    them twice); it is no peak of live memory."""
    heads = set(measured.tree.heads)
    leaves = [
        m
        for name, m in measured.modules.items()
        if not measured.tree.children.get(name) and name.split(".")[0] not in heads
    ]
    return sum(m.output.height * m.output.width * m.output.channels for m in leaves if m.output)


def _buffer_bytes(measured: Measurement, dtype: torch.dtype) -> dict[str, int]:
    """Each module's own buffers in ``dtype`` (floating ones convert, counters stay int64)."""
    element = torch.empty((), dtype=dtype).element_size()
    result: dict[str, int] = {}
    for name, module in measured.model.named_modules():
        own = list(module.buffers(recurse=False))
        if own:
            result[name] = sum(
                b.numel() * (element if b.is_floating_point() else b.element_size()) for b in own
            )
    return result


def _entry_of(
    measured: Measurement, module: str, level: Level, members: dict[str, tuple[str, ...]]
) -> str:
    """The entry at ``level`` that holds ``module``."""
    if level == "stages":
        row = measured.tree.row_of(module)
        return next((stage for stage, rows in members.items() if row in rows), row)
    return measured.tree.entry_of(module, level)
