"""Measuring a built network row by row: parameters, MACs, output sizes and depth.

One eval-mode trace of the network gives every row's MACs (fvcore) and output size (forward
hooks on the same pass); each auxiliary head is then traced on the activation its tap really
produced, so training-only cost stays apart from inference cost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from gnet_inspect.analysis.depth import DepthReport, measure_depth
from gnet_inspect.analysis.graph import kept_mode, trace_graph
from gnet_inspect.analysis.macs import count_macs
from gnet_inspect.analysis.params import ParamCount, count_params
from gnet_inspect.model import GoogLeNet, build_model
from gnet_inspect.notation import Size
from gnet_inspect.shapes import infer_shapes, qualified_rows
from gnet_inspect.spec import NetworkSpec, Row

__all__ = ["RowMeasure", "Measurement", "measure", "measure_model", "recorded_sizes"]


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
def recorded_sizes(model: nn.Module, names: list[str]) -> Iterator[dict[str, Size]]:
    """Records the output size of each named submodule while the block runs; removes its hooks."""
    sizes: dict[str, Size] = {}

    def hook(name: str) -> Callable[[nn.Module, object, Tensor], None]:
        return lambda _module, _inputs, output: sizes.__setitem__(name, _size(output))

    handles = [model.get_submodule(name).register_forward_hook(hook(name)) for name in names]
    try:
        yield sizes
    finally:
        for handle in handles:
            handle.remove()


def measure(spec: NetworkSpec, input_size: int | None = None) -> Measurement:
    """Builds ``spec`` and measures every row on one image of ``input_size`` (the table's own
    by default). Raises InputSizeError if the network cannot take that size."""
    size = input_size or spec.input.height
    infer_shapes(spec, size)
    return measure_model(build_model(spec, weights="zeros"), size)


def measure_model(model: GoogLeNet, input_size: int) -> Measurement:
    """Measures an already built network; its modes are restored afterwards.

    One training-mode trace reaches every row, the auxiliary heads included; convolution and
    linear MACs do not depend on the mode, and the heads are reported apart from the main path.
    """
    spec = model.spec
    image = torch.zeros(1, spec.input.channels, input_size, input_size)
    names = [qid for qid, _, _ in qualified_rows(spec) if _has_module(model, qid)]
    with kept_mode(model, training=True):
        with recorded_sizes(model, names) as sizes:
            report = count_macs(model, image)
    depth = measure_depth(trace_graph(model, training=True))

    def walk(prefix: str, rows: tuple[Row, ...], received: Size, head: str | None) -> list[RowMeasure]:
        measured = []
        for row in rows:
            qid = prefix + row.id
            received = sizes.get(qid, received)  # a row without a module passes its input on
            module = model.get_submodule(qid) if qid in sizes else None
            measured.append(
                RowMeasure(
                    id=qid,
                    head=head,
                    params=count_params(module) if module is not None else ParamCount(0, 0),
                    macs=report.macs.get(qid, 0),
                    other_ops=report.other_ops.get(qid, 0),
                    output=received,
                    depth=depth.by_row.get(qid, 0),
                    depth_with_pooling=depth.by_row_with_pooling.get(qid, 0),
                )
            )
        return measured

    rows = walk("", spec.rows, _size(image), None)
    aux_rows = [m for h in spec.aux_heads for m in walk(f"{h.id}.", h.rows, sizes[h.tap], h.id)]
    return Measurement(spec, input_size, tuple(rows), tuple(aux_rows), depth, report.unrecognised)


def _has_module(model: nn.Module, qid: str) -> bool:
    try:
        model.get_submodule(qid)
    except AttributeError:
        return False
    return True


def _size(tensor: Tensor) -> Size:
    if tensor.dim() == 2:
        return Size(1, 1, tensor.shape[1])
    return Size(tensor.shape[2], tensor.shape[3], tensor.shape[1])
