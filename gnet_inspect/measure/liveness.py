"""Activation memory of the inference forward pass, computed from the traced graph.

The traced network's operations are walked in execution order, each with the size its module
measured. A tensor lives from the operation that makes it to the last operation that reads
it, or, when it is handed to a module, until that module returns: eager PyTorch keeps a
module's input in its ``forward``'s frame (and the caller keeps it too) for the whole call.
An operation that returns its input or a view of it (an in-place ReLU, a flatten, dropout in
eval mode) makes no new memory. At each operation its output is allocated while its inputs
are still alive, then every tensor whose life ends there is freed: the largest total on the
way is the peak. So an Inception module holds its input and all four branch outputs at the
concatenation. The image is the caller's: it lives throughout. The auxiliary heads do not run
at inference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from gnet_inspect.measure.levels import CONCAT
from gnet_inspect.measure.trace import LayerNode

if TYPE_CHECKING:
    from gnet_inspect.measure.measure import Measurement

__all__ = ["ALIASES", "ForwardMemory", "forward_memory", "node_elements"]

# Operations whose output is their input or a view of it: no new memory.
ALIASES = frozenset({"relu", "dropout", "flatten"})


@dataclass(frozen=True)
class ForwardMemory:
    """One image's inference activations: the peak of live bytes, the module whose operation
    reached it (its qualified name), and the image's bytes, which the caller holds throughout
    and which the peak includes."""

    peak_bytes: int
    peak_module: str
    input_bytes: int


def forward_memory(measured: Measurement, element_bytes: int) -> ForwardMemory:
    """The peak of live activation bytes over one image's inference forward pass, every
    tensor ``element_bytes`` to a number."""
    nodes = [n for n in measured.graph.nodes if n.head is None and n.kind != "output"]
    image = measured.input_size**2 * measured.spec.input.channels * element_bytes
    storage: dict[str, str] = {}  # node -> the node whose tensor it returns
    size: dict[str, int] = {}
    for node in nodes:
        if node.kind in ALIASES and node.inputs:
            storage[node.name] = storage[node.inputs[0]]
            continue
        storage[node.name] = node.name
        size[node.name] = (
            image if node.kind == "input" else element_bytes * node_elements(measured, node)
        )
    ending: dict[int, list[str]] = {}
    for node, last in _lifetimes(nodes).items():
        if node.kind != "input":  # the image is the caller's
            ending.setdefault(last, []).append(node.name)
    live: dict[str, int] = {}  # storage -> values alive that hold it
    peak, peak_node = 0, nodes[0]
    for index, node in enumerate(nodes):
        owner = storage[node.name]
        live[owner] = live.get(owner, 0) + 1
        total = sum(size[key] for key in live)
        if total > peak:
            peak, peak_node = total, node
        for done in ending.get(index, ()):
            owner = storage[done]
            live[owner] -= 1
            if live[owner] == 0:
                del live[owner]
    return ForwardMemory(peak, peak_node.module, image)


def node_elements(measured: Measurement, node: LayerNode) -> int:
    """What an operation's output holds, from its module's measured output (a concatenation's
    is the branches' it joins)."""
    module = measured.modules.get(node.module)
    if module is None or module.output is None:
        return 0
    output = measured.concatenation(node.module) if node.kind == CONCAT else module.output
    if output is not None and (node.kind == CONCAT or not measured.tree.children.get(node.module)):
        return output.height * output.width * output.channels
    return 0


def _lifetimes(nodes: list[LayerNode]) -> dict[LayerNode, int]:
    """The index of the last operation each value must outlive: its last reader, or the last
    operation of the outermost module it was handed into (which holds it until it returns)."""
    index = {node.name: i for i, node in enumerate(nodes)}
    end: dict[str, int] = {}
    for node in nodes:
        for scope in _scopes(node.module):
            end[scope] = index[node.name]
    last = {node.name: index[node.name] for node in nodes}
    by_name = {node.name: node for node in nodes}
    for user in nodes:
        for name in user.inputs:
            if name not in by_name:
                continue
            entered = [s for s in _scopes(user.module) if s not in _scopes(by_name[name].module)]
            last[name] = max(last[name], index[user.name], *(end[s] for s in entered[:1]))
    return {node: last[node.name] for node in nodes}


def _scopes(path: str) -> list[str]:
    """The modules around an operation, outermost first: ``a``, ``a.b``, ``a.b.c``."""
    parts = path.split(".") if path else []
    return [".".join(parts[: i + 1]) for i in range(len(parts))]
