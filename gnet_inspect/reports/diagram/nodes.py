"""What a diagram's nodes and boxes hold: the layers each runs, its kind, output, params, MACs.

``diagram_graph`` decides which nodes there are and how they connect; this module fills each
one in. Kernel sizes, strides and dropout rates are read off the built model; output sizes,
parameters and MACs from the Measurement, the same numbers ``gnet-inspect table`` prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from gnet_inspect.measure.levels import CONCAT
from gnet_inspect.reports.diagram.tree import DiagramTree, Operation, inside
from gnet_inspect.spec.notation import Size

if TYPE_CHECKING:
    from gnet_inspect.measure.measure import Measurement

__all__ = ["Container", "DiagramNode", "Layer", "Role", "diagram_containers", "diagram_nodes"]

Role = Literal["input", "layer", "output", "context"]
# Operations that ride on a layer and describe it only when drawn on their own (a residual
# sum's scaling rides on its sum).
_RIDERS = frozenset({"relu", "batch norm", "flatten", "mul"})
_CONVS = frozenset({"convolution", "depthwise convolution"})


@dataclass(frozen=True)
class Layer:
    """One operation inside a node: ``kernel`` and ``stride`` of a window (an LRN's local size
    as its kernel; ``kernel_width`` where the window is not square, such as a 1×7
    convolution), measured output ``channels``, a dropout ``rate``, and a residual sum's
    ``scale`` and whether a ReLU follows it (``relu``)."""

    path: str
    kind: str
    kernel: int | None = None
    stride: int | None = None
    channels: int | None = None
    rate: float | None = None
    kernel_width: int | None = None
    scale: float | None = None
    relu: bool | None = None


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


def diagram_nodes(
    found: list[Operation],
    keys: dict[str, str],
    tree: DiagramTree,
    measured: Measurement,
    module: str | None,
) -> list[DiagramNode]:
    """One node per distinct key, in order of first appearance, holding its operations.

    Args:
        found: the traced operations, in order.
        keys: the node each operation belongs to (``DiagramTree.key``).
        tree: the module tree, for the boxes around each node and the aux heads' weights.
        measured: the measurement read for outputs, params and MACs.
        module: the module a module view shows; nodes outside it are its context.
    """
    members: dict[str, list[Operation]] = {}
    for operation in found:
        members.setdefault(keys[operation.name], []).append(operation)
    return [_node(key, group, tree, measured, module) for key, group in members.items()]


def diagram_containers(
    nodes: list[DiagramNode], tree: DiagramTree, module: str | None
) -> tuple[Container, ...]:
    """The opened modules around the nodes, in order of first appearance (in a module view,
    only those inside the module)."""
    boxes = []
    for name in dict.fromkeys(parent for node in nodes for parent in node.parents):
        measure = tree.modules[name]
        enclosing = tree.enclosing(name)
        kind = measure.kind if measure.kind in ("inception", "aux head") else None
        if kind is None:
            in_module = bool(enclosing) and enclosing[-1] in tree.levels.inceptions
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


def _node(
    key: str,
    group: list[Operation],
    tree: DiagramTree,
    measured: Measurement,
    module: str | None,
) -> DiagramNode:
    first = group[0]
    role = _role(key, first, module)
    layers = tuple(_layer(atom, measured) for atom in group if atom.kind != "output")
    principal = tuple(layer for layer in layers if layer.kind not in _RIDERS) or layers
    measure = measured.modules.get(key)
    parents = tree.enclosing(key)
    if module is not None:
        parents = tuple(parent for parent in parents if inside(parent, module))
    counted = 0 if role == "layer" else None  # a module's own operation counts nothing
    return DiagramNode(
        id=key,
        kind=_kind(key, role, principal, measured),
        role=role,
        head=first.head,
        parents=() if role == "context" else parents,
        layers=principal,
        output=_output(key, first, group, measured),
        params=measure.params.params if measure else counted,
        macs=measure.macs if measure else counted,
        members=tuple(atom.name for atom in group if atom.kind != "output"),
        loss_weight=tree.heads.get(first.head or "") if role == "output" else None,
    )


def _role(key: str, first: Operation, module: str | None) -> Role:
    if first.kind == "input":
        return "input"
    if first.kind == "output":
        return "output"
    return "context" if module is not None and not inside(key, module) else "layer"


def _kind(key: str, role: Role, layers: tuple[Layer, ...], measured: Measurement) -> str:
    if role in ("input", "output"):
        return role
    measure = measured.modules.get(key)
    if measure is not None and measure.kind in ("inception", "residual"):
        return measure.kind
    kinds = {layer.kind for layer in layers}
    if kinds <= _CONVS:
        return "convolution"
    return kinds.pop() if len(kinds) == 1 else "sequence"


def _output(
    key: str, first: Operation, group: list[Operation], measured: Measurement
) -> Size | None:
    source = measured.graph.by_name()[first.inputs[0]] if first.kind == "output" else first
    if source.kind == "input":  # the input node, or an output that returns the input itself
        size = measured.input_size
        return Size(size, size, measured.spec.input.channels)
    if first.kind == "output":
        return measured.modules[source.module].output
    if key.endswith(f".{CONCAT}"):  # its branches', not the module's (a residual follows)
        return measured.concatenation(key.removesuffix(f".{CONCAT}"))
    measure = measured.modules.get(key) or measured.modules.get(group[-1].module)
    return measure.output if measure else None


def _layer(atom: Operation, measured: Measurement) -> Layer:
    """The layer an atom runs, read off the built module (windows) and the measurement."""
    measure = measured.modules.get(atom.module)
    channels = measure.output.channels if measure and measure.output else None
    if atom.kind in ("input", "concat") or atom.module not in measured.modules:
        return Layer(atom.module, atom.kind, channels=channels)
    built = measured.model.get_submodule(atom.module)
    kernel = getattr(built, "kernel_size", getattr(built, "size", None))
    stride = getattr(built, "stride", None)
    return Layer(
        path=atom.module,
        kind=atom.kind,
        kernel=_first(kernel),
        stride=_first(stride),
        channels=channels,
        rate=getattr(built, "p", None),
        kernel_width=_width(kernel),
        scale=getattr(built, "scale", None),
        relu=getattr(built, "activation", None),
    )


def _width(value: object) -> int | None:
    """A window's width where it differs from its height; None for a square one."""
    if isinstance(value, tuple) and value[1] != value[0]:
        return int(value[1])
    return None


def _first(value: object) -> int | None:
    """A window's height (a square window's side), given as an int or an (h, w) tuple."""
    if isinstance(value, tuple):
        return int(value[0])
    return int(value) if isinstance(value, int) else None
