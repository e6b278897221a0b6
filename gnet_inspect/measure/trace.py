"""The built network's data-flow graph, traced with torch.fx: every layer and every real edge.

Each node's kind is in the vocabulary of ``measure.levels``.

Depth and the diagrams both read this graph, so what they show is what the network computes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.fx
from torch import Tensor, nn

from gnet_inspect.measure.levels import CONCAT
from gnet_inspect.measure.tree import module_kind

__all__ = [
    "PARAM_KINDS",
    "POOL_KINDS",
    "LayerGraph",
    "LayerNode",
    "kept_mode",
    "recorded_outputs",
    "trace_graph",
]

PARAM_KINDS = frozenset({"convolution", "linear"})
POOL_KINDS = frozenset({"max pool", "avg pool", "adaptive avg pool"})


@dataclass(frozen=True)
class LayerNode:
    """One operation: its fx name, the module path it runs in, its kind and what it reads."""

    name: str
    module: str
    kind: str
    row: str | None
    head: str | None
    inputs: tuple[str, ...]


@dataclass(frozen=True)
class LayerGraph:
    """The nodes of a traced network in topological order (inputs before users)."""

    nodes: tuple[LayerNode, ...]
    training: bool

    def by_name(self) -> dict[str, LayerNode]:
        return {node.name: node for node in self.nodes}


@contextmanager
def kept_mode(model: nn.Module, training: bool) -> Iterator[nn.Module]:
    """Puts ``model`` in training or eval mode for the block, then restores every submodule."""
    modes = [(module, module.training) for module in model.modules()]
    model.train(training)
    try:
        yield model
    finally:
        for module, mode in modes:
            module.training = mode


def trace_graph(model: nn.Module, training: bool = False) -> LayerGraph:
    """Traces ``model`` (a built GoogLeNet) in eval or training mode into a LayerGraph.

    Training mode includes the auxiliary heads. The model's modes are restored afterwards.
    """
    with kept_mode(model, training):
        graph = torch.fx.Tracer().trace(model)
    aux_ids = {h for ids in getattr(model, "taps", {}).values() for h in ids}
    nodes = []
    for node in graph.nodes:
        module = _module_path(node)
        nodes.append(
            LayerNode(
                name=node.name,
                module=module,
                kind=_kind(model, node),
                row=_row_of(module, aux_ids),
                head=module.split(".")[0] if module.split(".")[0] in aux_ids else None,
                inputs=tuple(arg.name for arg in node.all_input_nodes),
            )
        )
    return LayerGraph(tuple(nodes), training)


def _module_path(node: torch.fx.Node) -> str:
    if node.op == "call_module":
        return str(node.target)
    stack = node.meta.get("nn_module_stack") or {}
    return str(next(reversed(stack.values()))[0]) if stack else ""


def _kind(model: nn.Module, node: torch.fx.Node) -> str:
    if node.op in ("placeholder", "output"):
        return "input" if node.op == "placeholder" else "output"
    if node.op == "call_module":
        return module_kind(model.get_submodule(str(node.target)))
    if node.target is torch.cat:
        return CONCAT
    if isinstance(node.target, type):  # packing the outputs (GoogLeNetOutput): no operation
        return "output"
    return getattr(node.target, "__name__", str(node.target))


def _row_of(module: str, aux_ids: set[str]) -> str | None:
    if not module:
        return None
    parts = module.split(".")
    if parts[0] in aux_ids and len(parts) > 1:
        return f"{parts[0]}.{parts[1]}"
    return parts[0]


@contextmanager
def recorded_outputs(model: nn.Module, names: list[str]) -> Iterator[dict[str, Tensor]]:
    """Keeps the output of each named submodule while the block runs; removes its hooks.

    Nothing is read from the outputs inside the hooks, so a tracer recording the forward pass
    sees no extra operations.
    """
    outputs: dict[str, Tensor] = {}

    def hook(name: str) -> Callable[[nn.Module, object, Tensor], None]:
        return lambda _module, _inputs, output: outputs.__setitem__(name, output)

    handles = [model.get_submodule(name).register_forward_hook(hook(name)) for name in names]
    try:
        yield outputs
    finally:
        for handle in handles:
            handle.remove()
