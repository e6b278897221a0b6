"""Measuring a built network row by row: parameters, MACs, output sizes and depth.

One eval-mode trace of the network gives every row's MACs (fvcore) and output size (forward
hooks on the same pass); each auxiliary head is then traced on the activation its tap really
produced, so training-only cost stays apart from inference cost.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from gnet_inspect.analysis.depth import DepthReport, measure_depth
from gnet_inspect.analysis.graph import kept_mode, trace_graph
from gnet_inspect.analysis.macs import MacReport, count_macs
from gnet_inspect.analysis.params import ParamCount, count_params
from gnet_inspect.model import GoogLeNet, build_model
from gnet_inspect.notation import Size
from gnet_inspect.shapes import infer_shapes
from gnet_inspect.spec import NetworkSpec

__all__ = ["RowMeasure", "Measurement", "measure", "recorded_outputs"]


@dataclass(frozen=True)
class RowMeasure:
    """What was measured for one row (``head`` is its aux head's id, None on the main path)."""

    id: str
    head: str | None
    params: ParamCount
    macs: int
    other_ops: int
    output: Size
    depth: int
    depth_with_pooling: int


@dataclass(frozen=True)
class Measurement:
    """Every row of a network measured at one input size (one image)."""

    spec: NetworkSpec
    input_size: int
    rows: tuple[RowMeasure, ...]
    aux_rows: tuple[RowMeasure, ...]
    depth: DepthReport
    unrecognised: dict[str, int]


@contextmanager
def recorded_outputs(model: nn.Module, names: list[str]) -> Iterator[dict[str, Tensor]]:
    """Records the output of each named submodule while the block runs; removes its hooks."""
    outputs: dict[str, Tensor] = {}
    handles = [
        model.get_submodule(name).register_forward_hook(
            lambda _m, _i, out, name=name: outputs.__setitem__(name, out)
        )
        for name in names
    ]
    try:
        yield outputs
    finally:
        for handle in handles:
            handle.remove()


def measure(spec: NetworkSpec, input_size: int | None = None) -> Measurement:
    """Builds ``spec`` and measures every row on one image of ``input_size`` (the table's own
    by default). Raises InputSizeError if the network cannot take that size."""
    size = input_size or spec.input.height
    infer_shapes(spec, size)
    with torch.device("cpu"):
        model = build_model(spec)
    return measure_model(model, size)


def measure_model(model: GoogLeNet, input_size: int) -> Measurement:
    """Measures an already built network; its modes are restored afterwards."""
    spec = model.spec
    image = torch.zeros(1, spec.input.channels, input_size, input_size)
    with kept_mode(model, training=False):
        with recorded_outputs(model, list(model.row_ids)) as outputs:
            report = count_macs(model, image)
        depth = measure_depth(trace_graph(model, training=True))
        rows = _rows(model, None, report, outputs, depth, image)
        aux_rows: list[RowMeasure] = []
        unrecognised = dict(report.unrecognised)
        for head in spec.aux_heads:
            module = model.get_submodule(head.id)
            names = [name for name, _ in module.named_children()]
            with recorded_outputs(module, names) as head_outputs:
                head_report = count_macs(module, outputs[head.tap].detach())
            aux_rows += _rows(model, head.id, head_report, head_outputs, depth, outputs[head.tap])
            unrecognised.update(head_report.unrecognised)
    return Measurement(spec, input_size, tuple(rows), tuple(aux_rows), depth, unrecognised)


def _rows(
    model: GoogLeNet,
    head: str | None,
    report: MacReport,
    outputs: dict[str, Tensor],
    depth: DepthReport,
    received: Tensor,
) -> list[RowMeasure]:
    spec_rows = model.spec.rows if head is None else _head(model.spec, head).rows
    parent = model if head is None else model.get_submodule(head)
    prefix = "" if head is None else f"{head}."
    measured = []
    last = received
    for row in spec_rows:
        present = row.id in parent._modules
        last = outputs[row.id] if present else last
        module = parent.get_submodule(row.id) if present else nn.Identity()
        qid = prefix + row.id
        measured.append(
            RowMeasure(
                id=qid,
                head=head,
                params=count_params(module),
                macs=report.macs.get(row.id, 0),
                other_ops=report.other_ops.get(row.id, 0),
                output=_size(last),
                depth=depth.by_row.get(qid, 0),
                depth_with_pooling=depth.by_row_with_pooling.get(qid, 0),
            )
        )
    return measured


def _head(spec: NetworkSpec, head_id: str):  # noqa: ANN202 - a spec.AuxHead
    return next(head for head in spec.aux_heads if head.id == head_id)


def _size(tensor: Tensor) -> Size:
    if tensor.dim() == 2:
        return Size(1, 1, tensor.shape[1])
    return Size(tensor.shape[2], tensor.shape[3], tensor.shape[1])
