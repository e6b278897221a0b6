"""The graph a diagram draws: the traced network collapsed to a chosen depth, with its measures.

Every node stands for a set of traced operations (``members``) and every edge for at least one
real data dependency between them, so a figure shows what the network computes. How deep the
module tree is opened is ``collapse``'s; shapes, parameters and MACs are read from the
Measurement, the same numbers ``gnet-inspect table`` prints, and nothing is counted here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from gnet_inspect.analysis.collapse import (
    DEPTHS,
    Depth,
    ModuleTree,
    Operation,
    inside,
    operations,
)
from gnet_inspect.errors import OptionError
from gnet_inspect.notation import Size

if TYPE_CHECKING:
    from torch import nn

    from gnet_inspect.analysis.measure import Measurement
    from gnet_inspect.model import GoogLeNet
    from gnet_inspect.spec import NetworkSpec

__all__ = [
    "DEPTHS",
    "Container",
    "Depth",
    "DiagramEdge",
    "DiagramGraph",
    "DiagramNode",
    "Layer",
    "build_and_measure",
    "diagram_graph",
    "network_diagram",
]

Role = Literal["input", "layer", "output", "context"]
# Operations that ride on a layer and describe it only when drawn on their own.
_RIDERS = frozenset({"relu", "batch norm", "flatten"})
_CONVS = frozenset({"conv", "depthwise conv"})


@dataclass(frozen=True)
class Layer:
    """One operation inside a node: ``kernel`` and ``stride`` of a window (an LRN's local size
    as its kernel), measured output ``channels`` and a dropout ``rate``."""

    path: str
    kind: str
    kernel: int | None = None
    stride: int | None = None
    channels: int | None = None
    rate: float | None = None


@dataclass(frozen=True)
class DiagramNode:
    """A drawn node: a module (or a module's own operation, such as an Inception concat), the
    input, an output (logits and the loss they feed) or, in a module view, a neighbouring row.

    ``parents`` are the opened modules around it, outermost first; ``head`` is the aux head it
    belongs to (training only); ``params`` counts every learnable number (biases included).
    """

    id: str
    kind: str
    role: Role
    head: str | None
    parents: tuple[str, ...]
    layers: tuple[Layer, ...]
    output: Size | None
    params: int | None
    macs: int | None
    members: tuple[str, ...]
    loss_weight: float | None = None


@dataclass(frozen=True)
class DiagramEdge:
    """A data dependency: ``target`` reads what ``source`` computes."""

    source: str
    target: str


@dataclass(frozen=True)
class Container:
    """An opened module, drawn as a box around its nodes (an aux head is always one)."""

    id: str
    kind: str
    head: str | None
    parents: tuple[str, ...]
    output: Size | None
    params: int
    macs: int
    loss_weight: float | None = None


@dataclass(frozen=True)
class DiagramGraph:
    """What a figure shows, in drawing order: nodes topologically, then edges, then boxes."""

    network: str
    label: str
    input_size: int
    depth: Depth
    module: str | None
    nodes: tuple[DiagramNode, ...]
    edges: tuple[DiagramEdge, ...]
    containers: tuple[Container, ...]

    def node(self, node_id: str) -> DiagramNode:
        return next(node for node in self.nodes if node.id == node_id)


def build_and_measure(
    spec: NetworkSpec, input_size: int | None = None
) -> tuple[GoogLeNet, Measurement]:
    """Builds ``spec`` and measures it as ``measure`` does, keeping the model for its layers."""
    from gnet_inspect.analysis.measure import measure_model
    from gnet_inspect.model import build_model
    from gnet_inspect.shapes import infer_shapes

    size = input_size or spec.input.height
    infer_shapes(spec, size)
    model = build_model(spec, weights="zeros")
    return model, measure_model(model, size)


def network_diagram(
    spec: NetworkSpec,
    depth: str | None = None,
    module: str | None = None,
    input_size: int | None = None,
) -> DiagramGraph:
    """Builds and measures ``spec``, then collapses it as ``diagram_graph`` does."""
    model, measured = build_and_measure(spec, input_size)
    return diagram_graph(measured, model, depth, module)


def diagram_graph(
    measured: Measurement, model: nn.Module, depth: str | None = None, module: str | None = None
) -> DiagramGraph:
    """The whole network, or the module called ``module`` with its neighbouring rows.

    Args:
        measured: the measurement of ``model`` (its traced graph, shapes, params and MACs).
        model: the built network, read for kernel sizes and strides.
        depth: how far the module tree is opened; ``modules`` for the whole network and
            ``layers`` for one module by default.
        module: a row id (``inception_4a``), an aux head id or any qualified submodule name.

    Raises:
        OptionError: ``module`` names no module of the network, or ``depth`` is unknown.
    """
    chosen = _depth(depth, module)
    if module is not None and module not in measured.modules:
        rows = ", ".join(_row_modules(measured))
        raise OptionError(
            f"unknown module '{module}'; available: {rows} (or a submodule of one, such as "
            f"{_example_submodule(measured)})"
        )
    found = operations(measured)
    tree = ModuleTree(measured)
    keys = {operation.name: tree.key(operation, chosen, module) for operation in found}
    edges: dict[tuple[str, str], None] = {}
    for operation in found:
        for name in operation.inputs:
            edge = (keys[name], keys[operation.name])
            if edge[0] != edge[1] and (module is None or any(inside(k, module) for k in edge)):
                edges[edge] = None
    kept = {node_id for edge in edges for node_id in edge}
    nodes = [
        node
        for node in _nodes(found, keys, tree, measured, model, module)
        if module is None or node.id in kept or inside(node.id, module)
    ]
    return DiagramGraph(
        network=measured.spec.name,
        label=measured.spec.label,
        input_size=measured.input_size,
        depth=chosen,
        module=module,
        nodes=tuple(nodes),
        edges=tuple(DiagramEdge(*edge) for edge in edges),
        containers=_containers(nodes, tree, module),
    )


def _depth(depth: str | None, module: str | None) -> Depth:
    wanted = depth or ("layers" if module else "modules")
    for known in DEPTHS:
        if known == wanted:
            return known
    raise OptionError(f"unknown depth '{depth}'; available: {', '.join(DEPTHS)}")


def _row_modules(measured: Measurement) -> list[str]:
    rows = [row.id for row in measured.rows if row.id in measured.modules]
    return rows + [head.id for head in measured.spec.aux_heads]


def _example_submodule(measured: Measurement) -> str:
    nested = [name for name in measured.modules if name.count(".") == 1]
    inception = [
        name for name in nested if measured.modules[name.split(".")[0]].kind == "Inception"
    ]
    return (inception or nested or ["none"])[0]


def _containers(
    nodes: list[DiagramNode], tree: ModuleTree, module: str | None
) -> tuple[Container, ...]:
    """The opened modules around the nodes, in order of first appearance (in a module view,
    only those inside the module)."""
    boxes = []
    for name in dict.fromkeys(parent for node in nodes for parent in node.parents):
        measure = tree.modules[name]
        enclosing = tree.enclosing(name)
        kind = {"Inception": "inception", "AuxClassifier": "aux head"}.get(measure.kind)
        if kind is None:
            in_module = bool(enclosing) and tree.modules[enclosing[-1]].kind == "Inception"
            kind = "branch" if in_module else "sequence"
        parents = enclosing if module is None else tuple(p for p in enclosing if inside(p, module))
        top = name.split(".")[0]
        boxes.append(
            Container(
                id=name,
                kind=kind,
                head=top if top in tree.heads else None,
                parents=parents,
                output=measure.output,
                params=measure.params.params,
                macs=measure.macs,
                loss_weight=tree.heads.get(name),
            )
        )
    return tuple(boxes)


def _nodes(
    found: list[Operation],
    keys: dict[str, str],
    tree: ModuleTree,
    measured: Measurement,
    model: nn.Module,
    module: str | None,
) -> list[DiagramNode]:
    members: dict[str, list[Operation]] = {}
    for operation in found:
        members.setdefault(keys[operation.name], []).append(operation)
    nodes = []
    for key, group in members.items():
        first = group[0]
        role: Role = "layer"
        if first.kind in ("input", "output"):
            role = "input" if first.kind == "input" else "output"
        elif module is not None and not inside(key, module):
            role = "context"
        layers = tuple(_layer(atom, measured, model) for atom in group if atom.kind != "output")
        principal = tuple(layer for layer in layers if layer.kind not in _RIDERS) or layers
        measure = measured.modules.get(key)
        parents = tree.enclosing(key)
        if module is not None:
            parents = tuple(parent for parent in parents if inside(parent, module))
        nodes.append(
            DiagramNode(
                id=key,
                kind=_kind(key, role, principal, measured),
                role=role,
                head=first.head,
                parents=() if role == "context" else parents,
                layers=principal,
                output=_output(key, first, group, measured),
                params=measure.params.params if measure else (0 if role == "layer" else None),
                macs=measure.macs if measure else (0 if role == "layer" else None),
                members=tuple(atom.name for atom in group if atom.kind != "output"),
                loss_weight=tree.heads.get(first.head or "") if role == "output" else None,
            )
        )
    return nodes


def _kind(key: str, role: Role, layers: tuple[Layer, ...], measured: Measurement) -> str:
    if role in ("input", "output"):
        return role
    measure = measured.modules.get(key)
    if measure is not None and measure.kind == "Inception":
        return "inception"
    kinds = {layer.kind for layer in layers}
    if kinds <= _CONVS:
        return "conv"
    return kinds.pop() if len(kinds) == 1 else "sequence"


def _output(
    key: str, first: Operation, group: list[Operation], measured: Measurement
) -> Size | None:
    if first.kind == "input":
        size = measured.input_size
        return Size(size, size, measured.spec.input.channels)
    if first.kind == "output":
        source = measured.graph.by_name()[first.inputs[0]]
        return measured.modules[source.module].output
    measure = measured.modules.get(key) or measured.modules.get(group[-1].module)
    return measure.output if measure else None


def _layer(atom: Operation, measured: Measurement, model: nn.Module) -> Layer:
    """The layer an atom runs, read off the built module (windows) and the measurement."""
    measure = measured.modules.get(atom.module)
    channels = measure.output.channels if measure and measure.output else None
    if atom.kind in ("input", "concat") or atom.module not in measured.modules:
        return Layer(atom.module, atom.kind, channels=channels)
    built = model.get_submodule(atom.module)
    kernel = getattr(built, "kernel_size", getattr(built, "size", None))
    stride = getattr(built, "stride", None)
    return Layer(
        path=atom.module,
        kind=atom.kind,
        kernel=_first(kernel),
        stride=_first(stride),
        channels=channels,
        rate=getattr(built, "p", None),
    )


def _first(value: object) -> int | None:
    """A square window's side, given as an int or an (h, w) tuple."""
    if isinstance(value, tuple):
        return int(value[0])
    return int(value) if isinstance(value, int) else None
