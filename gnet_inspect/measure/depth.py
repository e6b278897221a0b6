"""Depth measured on the traced graph: the longest path of layers with parameters.

The paper's rule: "22 layers deep when counting only layers with parameters (or 27 layers if
we also count pooling)". A layer with parameters is a convolution or a linear layer (BatchNorm
rides on its convolution, and a depthwise convolution on the pointwise one that completes its
separable layer, as the paper's depth of 1 for its separable conv1 counts it); pooling means
the max and average pools, in a module or not. Paths
run in parallel inside a module, so the longest one decides, and pools inside a module only
lengthen it where their branch is the longest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from gnet_inspect.measure.trace import PARAM_KINDS, POOL_KINDS, LayerGraph, LayerNode

__all__ = ["BLOCK_RULE", "DepthReport", "measure_depth"]

_NOT_BLOCKS = frozenset({"input", "output", "relu", "flatten"})
BLOCK_RULE = (
    "building blocks: every operation of the inference graph except activations and "
    "reshapes (convolutions, linear layers, pools, normalisations, concatenations, dropout)"
)


@dataclass(frozen=True)
class DepthReport:
    """Depth of a whole network and of each row, and its building blocks by kind."""

    depth: int
    depth_with_pooling: int
    by_row: dict[str, int]
    by_row_with_pooling: dict[str, int]
    blocks: int
    activations: int
    kinds: dict[str, int]


def measure_depth(graph: LayerGraph) -> DepthReport:
    """Measures depth and building blocks of the inference path, and the depth of every row.

    The auxiliary heads are sinks (nothing on the main path reads them), so leaving their nodes
    out of a training-mode graph leaves exactly the inference graph.
    """

    def params(node: LayerNode) -> int:
        return int(node.kind in PARAM_KINDS)

    def params_or_pools(node: LayerNode) -> int:
        return int(node.kind in PARAM_KINDS or node.kind in POOL_KINDS)

    main = LayerGraph(tuple(n for n in graph.nodes if n.head is None), training=False)
    kinds = Counter(node.kind for node in main.nodes if node.kind not in ("input", "output"))
    return DepthReport(
        depth=_longest(main, params, None),
        depth_with_pooling=_longest(main, params_or_pools, None),
        by_row=_by_row(graph, params),
        by_row_with_pooling=_by_row(graph, params_or_pools),
        blocks=sum(n for kind, n in kinds.items() if kind not in _NOT_BLOCKS),
        activations=kinds.get("relu", 0),
        kinds=dict(kinds),
    )


def _longest(graph: LayerGraph, weight: Callable[[LayerNode], int], row: str | None) -> int:
    """Longest path by ``weight``, over the whole graph or the nodes of one row."""
    best: dict[str, int] = {}
    for node in graph.nodes:
        if row is not None and node.row != row:
            continue
        before = [best[name] for name in node.inputs if name in best]
        best[node.name] = weight(node) + max(before, default=0)
    return max(best.values(), default=0)


def _by_row(graph: LayerGraph, weight: Callable[[LayerNode], int]) -> dict[str, int]:
    rows = dict.fromkeys(node.row for node in graph.nodes if node.row is not None)
    return {row: _longest(graph, weight, row) for row in rows}
