"""The graph a diagram draws: the traced network collapsed to a chosen depth, its edges, a view.

Every node stands for a set of traced operations (``members``) and every edge for at least one
real data dependency between them, so a figure shows what the network computes. How deep the
module tree is opened is ``tree``'s; what each node holds (its layers, shapes, parameters and
MACs, read from the Measurement that ``gnet-inspect table`` prints) is ``nodes``';
which nodes and edges there are, and which a module view keeps, is decided here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from gnet_inspect.errors import OptionError
from gnet_inspect.measure.levels import Level, pick_level
from gnet_inspect.reports.diagram.nodes import (
    Container,
    DiagramNode,
    Layer,
    diagram_containers,
    diagram_nodes,
)
from gnet_inspect.reports.diagram.tree import (
    DEPTHS,
    INPUT,
    OUTPUT,
    DiagramTree,
    Operation,
    inside,
    operations,
    sink,
)

if TYPE_CHECKING:
    from gnet_inspect.measure.measure import Measurement

__all__ = [
    "DEPTHS",
    "INPUT",
    "OUTPUT",
    "Container",
    "DiagramEdge",
    "DiagramGraph",
    "DiagramNode",
    "Layer",
    "diagram_graph",
    "sink",
]


@dataclass(frozen=True)
class DiagramEdge:
    """A data dependency: ``target`` reads what ``source`` computes."""

    source: str
    target: str


@dataclass(frozen=True)
class DiagramGraph:
    """What a figure shows, in drawing order: nodes topologically, then edges, then boxes."""

    network: str
    label: str
    input_size: int
    depth: Level
    module: str | None
    nodes: tuple[DiagramNode, ...]
    edges: tuple[DiagramEdge, ...]
    containers: tuple[Container, ...]

    def node(self, node_id: str) -> DiagramNode:
        """The node called ``node_id``.

        Raises:
            KeyError: no node has that id.
        """
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)


def diagram_graph(
    measured: Measurement, depth: str | None = None, module: str | None = None
) -> DiagramGraph:
    """The whole network, or the module called ``module`` with its neighbouring rows.

    Args:
        measured: the measurement (its traced graph, shapes, params and MACs, and the built
            network, read for kernel sizes and strides).
        depth: how far the module tree is opened; ``modules`` for the whole network and
            ``layers`` for one module by default.
        module: a row id (``inception_4a``), an aux head id or any qualified submodule name.

    Raises:
        OptionError: ``module`` names no module of the network, or ``depth`` is unknown.
    """
    chosen = _depth(depth, module)
    _check_module(measured, module)
    found = operations(measured)
    tree = DiagramTree(measured)
    keys = {operation.name: tree.key(operation, chosen, module) for operation in found}
    edges = _edges(found, keys, module)
    kept = {node_id for edge in edges for node_id in (edge.source, edge.target)}
    nodes = [
        node
        for node in diagram_nodes(found, keys, tree, measured, module)
        if module is None or node.id in kept or inside(node.id, module)
    ]
    return DiagramGraph(
        network=measured.spec.name,
        label=measured.spec.label,
        input_size=measured.input_size,
        depth=chosen,
        module=module,
        nodes=tuple(nodes),
        edges=edges,
        containers=diagram_containers(nodes, tree, module),
    )


def _edges(
    found: list[Operation], keys: dict[str, str], module: str | None
) -> tuple[DiagramEdge, ...]:
    """One edge per pair of distinct nodes with a data dependency, in the order first met; in
    a module view, only those that touch the module."""
    edges: dict[tuple[str, str], None] = {}
    for operation in found:
        for name in operation.inputs:
            edge = (keys[name], keys[operation.name])
            if edge[0] != edge[1] and (module is None or any(inside(k, module) for k in edge)):
                edges[edge] = None
    return tuple(DiagramEdge(*edge) for edge in edges)


def _depth(depth: str | None, module: str | None) -> Level:
    return pick_level(depth or ("layers" if module else "modules"), DEPTHS)


def _check_module(measured: Measurement, module: str | None) -> None:
    if module is not None and module not in measured.modules:
        rows = ", ".join(_row_modules(measured))
        raise OptionError(
            f"unknown module '{module}'; available: {rows} (or a submodule of one, such as "
            f"{_example_submodule(measured)})"
        )


def _row_modules(measured: Measurement) -> list[str]:
    rows = [row.id for row in measured.rows if row.id in measured.modules]
    return rows + [head.id for head in measured.spec.aux_heads]


def _example_submodule(measured: Measurement) -> str:
    nested = [name for name in measured.modules if name.count(".") == 1]
    inception = [name for name in nested if name.split(".")[0] in measured.tree.inceptions]
    return (inception or nested or ["none"])[0]
