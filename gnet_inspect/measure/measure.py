"""The one build-and-measure path: parameters, MACs, output sizes and depth of every module.

``measure`` takes a spec (and builds it) or a network ``build_model`` built, checks that the
measurement fits in memory before allocating it, and measures in one eval-mode trace of the
network (what inference runs): fvcore counts it and forward hooks on the same pass keep each
module's output. Each auxiliary head is then traced on the activation its tap produced, so its
training-only cost is counted apart. The rows of the table are read off the modules named by
the row ids. Every command that measures a network goes through here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

import torch
from torch import Tensor, nn

from gnet_inspect.errors import MemoryLimitError, NetworkTypeError
from gnet_inspect.measure.depth import DepthReport, measure_depth
from gnet_inspect.measure.macs import count_macs
from gnet_inspect.measure.memory import (
    available_bytes,
    is_out_of_memory,
    kept_elements,
    require_memory,
)
from gnet_inspect.measure.params import ParamCount, count_params
from gnet_inspect.measure.trace import LayerGraph, kept_mode, recorded_outputs, trace_graph
from gnet_inspect.measure.tree import ModuleTree
from gnet_inspect.model import GoogLeNet, build_model, fill_zeros
from gnet_inspect.spec.notation import Size
from gnet_inspect.spec.schema import NetworkSpec, Row
from gnet_inspect.spec.shapes import infer_shapes

T = TypeVar("T")

__all__ = [
    "Measurement",
    "ModuleMeasure",
    "RowMeasure",
    "measure",
    "network_spec",
]


@dataclass(frozen=True)
class ModuleMeasure:
    """One submodule, by qualified name (``inception_3a.branch3x3.ch3x3.conv``); ``kind`` is
    in the vocabulary of ``measure.levels``."""

    name: str
    kind: str
    params: ParamCount
    macs: int
    other_ops: int
    output: Size | None


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


@dataclass(frozen=True, eq=False)
class Measurement:
    """Every module and every row of a network, measured at one input size (one image), with
    the network it measured (zero weights unless it was given one) and its module tree."""

    spec: NetworkSpec
    input_size: int
    rows: tuple[RowMeasure, ...]
    aux_rows: tuple[RowMeasure, ...]
    modules: dict[str, ModuleMeasure]
    depth: DepthReport
    graph: LayerGraph
    unrecognised: dict[str, int]
    model: GoogLeNet = field(repr=False)
    tree: ModuleTree = field(repr=False)

    def concatenation(self, owner: str) -> Size | None:
        """The output of the concatenation that the module (or fork) ``owner`` runs: its
        branches' outputs on their one grid, channels added up. A module's own output unless
        a residual connection follows (Inception-ResNet projects it back to the input's)."""
        sizes = [self.modules[branch].output for branch in self.tree.branches(owner)]
        if not sizes or any(size is None for size in sizes):
            return None
        first = sizes[0]
        assert first is not None
        return Size(first.height, first.width, sum(s.channels for s in sizes if s is not None))


def network_spec(network: object, caller: str) -> NetworkSpec:
    """The spec of ``network`` (a NetworkSpec, or a GoogLeNet that ``build_model`` built).

    Raises:
        NetworkTypeError: anything else, such as torchvision's own ``googlenet()``.
    """
    if isinstance(network, GoogLeNet):
        return network.spec
    if isinstance(network, NetworkSpec):
        return network
    kind = f"{type(network).__module__}.{type(network).__qualname__}"
    raise NetworkTypeError(
        f"{caller} takes a NetworkSpec (gnet_inspect.load_spec) or a network built from one "
        f"(gnet_inspect.build_model), not a {kind}"
    )


def measure(network: NetworkSpec | GoogLeNet, input_size: int | None = None) -> Measurement:
    """Measures ``network`` on one image of ``input_size`` (the table's own by default).

    A spec is built with zero weights (counting never reads a value); a built network is
    measured as it is, its modes restored and its hooks removed.

    Raises:
        NetworkTypeError: ``network`` is neither a NetworkSpec nor a network built from one.
        InputSizeError: the network cannot take that input size.
        MemoryLimitError: the measurement would not fit in the memory available.
    """
    spec = network_spec(network, "measure()")
    size = input_size or spec.input.height
    infer_shapes(spec, size)  # an input size the network cannot take is refused first
    skeleton = build_model(spec, weights="meta")
    weights = 0 if isinstance(network, GoogLeNet) else _tensor_bytes(skeleton)
    require_memory(
        f"measuring one {size}×{size} image",
        {
            "activations": 4 * kept_elements(spec, size),
            "weights": weights,
        },
        {"activations": _activation_advice(spec, size), "weights": _TOO_WIDE},
    )
    try:
        if isinstance(network, GoogLeNet):
            return _measure_built(network, size)
        fill_zeros(skeleton)
        return _measure_built(skeleton, size)
    except (RuntimeError, MemoryError) as exc:  # the allocator's word, if the estimate was kind
        if not is_out_of_memory(exc):
            raise
        raise MemoryLimitError(
            f"measuring one {size}×{size} image needs more memory than this process can have; "
            f"{_activation_advice(spec, size)}"
        ) from None


# Every module's output is kept while a network is measured: a row's output about four times
# over (its convolutions, their activations, the branches and their concatenation).
_COPIES_PER_ROW = 4


_TOO_WIDE = "the table's layers are too wide to build here; use fewer channels or features"


def _activation_advice(spec: NetworkSpec, size: int) -> str:
    """Advice for activations that do not fit: a smaller input, unless even the table's own
    input size gives activations too large for this machine (then the widest module is named)."""
    native = infer_shapes(spec)
    if size > spec.input.height or 4 * kept_elements(spec, native.input.height) <= (
        available_bytes() or 0
    ):
        return "use a smaller --input-size"
    widest = max(native.outputs, key=lambda qid: _elements(native.outputs[qid]))
    return (
        f"the table's layers are too wide even at its own input size (row '{widest}' outputs "
        f"{native.outputs[widest]}); use fewer channels or a smaller depth_multiplier"
    )


def _elements(size: Size) -> int:
    return size.height * size.width * size.channels


def _tensor_bytes(model: nn.Module) -> int:
    tensors = [*model.parameters(), *model.buffers()]
    return sum(t.numel() * t.element_size() for t in tensors)


def _measure_built(model: GoogLeNet, input_size: int) -> Measurement:
    """Measures a built network; its modes are restored and its hooks removed."""
    spec = model.spec
    image = torch.zeros(1, spec.input.channels, input_size, input_size)
    with kept_mode(model, training=False):
        counted = _count(model, image)
    graph = trace_graph(model, training=True)
    depth = measure_depth(graph)
    tree = ModuleTree(model)
    modules = {
        name: ModuleMeasure(
            name=name,
            kind=tree.kinds[name],
            params=count_params(module),
            macs=counted.macs.get(name, 0),
            other_ops=counted.other_ops.get(name, 0),
            output=counted.sizes.get(name),
        )
        for name, module in model.named_modules()
        if name
    }
    image_size = Size(input_size, input_size, spec.input.channels)
    rows = _rows(spec.rows, None, image_size, modules, depth)
    aux_rows = [
        m for h in spec.aux_heads for m in _rows(h.rows, h.id, counted.sizes[h.tap], modules, depth)
    ]
    return Measurement(
        spec=spec,
        input_size=input_size,
        rows=tuple(rows),
        aux_rows=tuple(aux_rows),
        modules=modules,
        depth=depth,
        graph=graph,
        unrecognised=counted.unrecognised,
        model=model,
        tree=tree,
    )


def _rows(
    rows: tuple[Row, ...],
    head: str | None,
    received: Size,
    modules: dict[str, ModuleMeasure],
    depth: DepthReport,
) -> list[RowMeasure]:
    """The table's rows read off the modules named by their ids; a row without a module
    (the softmax) passes on the size it receives."""
    measured = []
    for row in rows:
        qid = f"{head}.{row.id}" if head else row.id
        module = modules.get(qid)
        if module is not None and module.output is not None:
            received = module.output
        measured.append(
            RowMeasure(
                id=qid,
                head=head,
                params=module.params if module else ParamCount(0, 0),
                macs=module.macs if module else 0,
                other_ops=module.other_ops if module else 0,
                output=received,
                depth=depth.by_row.get(qid, 0),
                depth_with_pooling=depth.by_row_with_pooling.get(qid, 0),
            )
        )
    return measured


@dataclass(frozen=True)
class _Counted:
    macs: dict[str, int]
    other_ops: dict[str, int]
    sizes: dict[str, Size]
    unrecognised: dict[str, int]


def _count(model: GoogLeNet, image: Tensor) -> _Counted:
    """MACs, other ops and output sizes by module name: the main path in one trace, then each
    aux head traced on the activation its tap really produced (training cost, kept apart)."""
    heads = {head.id for head in model.spec.aux_heads}
    main = [name for name, _ in model.named_modules() if name and name.split(".")[0] not in heads]
    with recorded_outputs(model, main) as outputs:
        report = count_macs(model, image)
    macs, other_ops = dict(report.macs), dict(report.other_ops)
    unrecognised = dict(report.unrecognised)
    for head in model.spec.aux_heads:
        module = model.get_submodule(head.id)
        names = [name for name, _ in module.named_modules()]  # "" is the head itself
        with recorded_outputs(module, names) as head_outputs:
            head_report = count_macs(module, outputs[head.tap].detach())

        def qualified(values: dict[str, T], head_id: str = head.id) -> dict[str, T]:
            return {f"{head_id}.{name}".rstrip("."): value for name, value in values.items()}

        outputs.update(qualified(head_outputs))
        macs.update(qualified(head_report.macs))
        other_ops.update(qualified(head_report.other_ops))
        unrecognised.update(head_report.unrecognised)
    sizes = {name: _size(output) for name, output in outputs.items()}
    return _Counted(macs, other_ops, sizes, unrecognised)


def _size(tensor: Tensor) -> Size:
    shape = tuple(int(n) for n in tensor.shape)
    if len(shape) == 2:
        return Size(1, 1, shape[1])
    return Size(shape[2], shape[3], shape[1])
