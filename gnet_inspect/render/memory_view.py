"""What ``gnet-inspect memory`` shows: bytes per entry, and the totals of inference and of a
training step, in every output format."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from gnet_inspect.render.columns import Column
from gnet_inspect.render.console import grid, left_out
from gnet_inspect.render.export import markdown_table
from gnet_inspect.render.format import binary_bytes, grouped, singular
from gnet_inspect.render.view import View
from gnet_inspect.reports.memory import MemoryReport, MemoryRow

__all__ = ["MEMORY_COLUMNS", "memory_lines", "memory_view"]

_AUX_TITLE = "Auxiliary heads (training only)"


def _bytes(value: int) -> str:
    return binary_bytes(value) if value else ""


MEMORY_COLUMNS: tuple[Column[MemoryRow], ...] = (
    Column("id", lambda r: r.id, numeric=False),
    Column("type", lambda r: r.kind, numeric=False, drop=2),
    Column("output", lambda r: r.output, numeric=False, drop=3),
    Column("weights", lambda r: _bytes(r.weight_bytes)),
    Column("buffers", lambda r: _bytes(r.buffer_bytes), drop=4),
    Column("output bytes", lambda r: _bytes(r.output_bytes)),
    Column("saved for backward", lambda r: _bytes(r.saved_bytes)),
    Column("% saved", lambda r: f"{r.share_saved:.1%}" if r.saved_bytes else "", drop=1),
)


def _title(report: MemoryReport) -> str:
    return (
        f"Memory by {singular(report.level)} ({report.label}, batch {report.batch_size} × "
        f"{report.input_size}×{report.input_size}, {report.dtype}, {report.optimizer})"
    )


def memory_lines(report: MemoryReport) -> list[str]:
    """The totals under the table: inference, a training step, what grows with the batch."""
    r = report
    lines = [
        f"Weights {binary_bytes(r.weight_bytes)} ({grouped(r.weight_bytes)} bytes, aux heads "
        f"included) · buffers {binary_bytes(r.buffer_bytes)} · gradients "
        f"{binary_bytes(r.gradient_bytes)} · {r.optimizer} state "
        f"{binary_bytes(r.optimizer_bytes)}: {binary_bytes(r.fixed_bytes)} whatever the batch.",
        f"Inference: peak of live activations {binary_bytes(r.forward_peak_bytes)} "
        f"({grouped(r.forward_peak_bytes)} bytes, the input's {binary_bytes(r.input_bytes)} "
        f"included), reached in {r.forward_peak_entry}; with the main path's weights and "
        f"buffers (the aux heads do not run) {binary_bytes(r.inference_bytes)}.",
        f"Training step: {binary_bytes(r.saved_bytes)} saved for backward "
        f"({grouped(r.saved_bytes)} bytes; the loss's {binary_bytes(r.loss_saved_bytes)} "
        f"included); with the fixed part {binary_bytes(r.training_step_bytes)} alive at the "
        "end of the forward pass."
        + (
            f" Such a step cannot run on one image: the BatchNorm of row "
            f"'{r.untrainable_at_batch}' sees a 1×1 map (PyTorch refuses it in training mode); "
            "these are what it would save, from steps on 2 and 3 images."
            if r.untrainable_at_batch
            else ""
        ),
        f"Grows with the batch: the activations ({binary_bytes(r.forward_peak_bytes)} at the "
        f"inference peak, {binary_bytes(r.saved_bytes)} saved for training, for "
        f"{r.batch_size} image(s)); not: weights, buffers, gradients, optimizer state.",
        f"torchinfo's convention, for comparison: every layer's output summed is "
        f"{binary_bytes(r.outputs_sum_bytes)}; a sum of outputs is no peak (most outputs are "
        "freed before the next ones exist) and not what training saves (pooling indices, "
        "dropout masks, BatchNorm statistics; an in-place ReLU's output once).",
    ]
    if r.measured_peak is not None:
        m = r.measured_peak
        gap = m.bytes - r.forward_peak_bytes
        lines.append(
            f"Measured on {m.device}: inference peak {binary_bytes(m.bytes)} ({m.how}), "
            f"{'+' if gap >= 0 else '−'}{binary_bytes(abs(gap))} against the computed peak: "
            "what the kernels allocate besides their outputs (scratch space, reordered "
            "copies), or frees earlier than the graph says."
        )
    lines.append(
        "Bytes in the chosen dtype (pooling indices int64); saved tensors as autograd keeps "
        "them on the CPU (a GPU keeps a one-byte dropout mask), each storage once."
    )
    return lines


def memory_renderable(report: MemoryReport, width: int) -> RenderableType:
    """The memory view for a terminal of ``width`` columns."""
    table, dropped = grid(_title(report), MEMORY_COLUMNS, report.rows, width)
    parts: list[RenderableType] = [table, *left_out(dropped)]
    parts += [Text(line) for line in memory_lines(report)]
    if report.aux_rows:
        parts.append(grid(_AUX_TITLE, MEMORY_COLUMNS, report.aux_rows, width)[0])
    return Group(*parts)


def memory_markdown(report: MemoryReport) -> str:
    """The memory view as a Markdown section."""
    parts = [f"### {_title(report)}\n", markdown_table(MEMORY_COLUMNS, report.rows)]
    parts += ["\n".join(f"- {line}" for line in memory_lines(report)) + "\n"]
    if report.aux_rows:
        parts += [f"#### {_AUX_TITLE}\n", markdown_table(MEMORY_COLUMNS, report.aux_rows)]
    return "\n".join(parts)


def memory_document(report: MemoryReport) -> dict[str, Any]:
    """The whole report as JSON-ready data."""
    records = report.records()
    r = report
    return {
        "network": r.label,
        "level": r.level,
        "input_size": r.input_size,
        "batch_size": r.batch_size,
        "dtype": r.dtype,
        "optimizer": r.optimizer,
        "totals": {
            "weight_bytes": r.weight_bytes,
            "buffer_bytes": r.buffer_bytes,
            "gradient_bytes": r.gradient_bytes,
            "optimizer_bytes": r.optimizer_bytes,
            "fixed_bytes": r.fixed_bytes,
            "input_bytes": r.input_bytes,
            "forward_peak_bytes": r.forward_peak_bytes,
            "forward_peak_entry": r.forward_peak_entry,
            "inference_weight_bytes": r.inference_weight_bytes,
            "inference_bytes": r.inference_bytes,
            "saved_bytes": r.saved_bytes,
            "loss_saved_bytes": r.loss_saved_bytes,
            "training_step_bytes": r.training_step_bytes,
            "outputs_sum_bytes": r.outputs_sum_bytes,
        },
        "measured_peak": asdict(r.measured_peak) if r.measured_peak else None,
        "rows": [x for x in records if x["head"] is None],
        "aux_rows": [x for x in records if x["head"] is not None],
    }


def memory_view(report: MemoryReport) -> View:
    """The memory report in every output format."""
    return View(
        terminal=lambda width: memory_renderable(report, width),
        markdown=lambda: memory_markdown(report),
        records=report.records,
        document=lambda: memory_document(report),
    )
