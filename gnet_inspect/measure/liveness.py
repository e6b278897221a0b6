"""Activation memory of the inference forward pass, computed from the traced graph.

The network is traced with torch.fx and run node by node on the meta device (shapes and
dtypes only, nothing allocated), in execution order. A tensor lives from the operation that
makes it to the last operation that reads it, or, when it is handed to a module, until that
module returns: eager PyTorch keeps a module's input in its ``forward``'s frame (and the
caller keeps it too) for the whole call. An operation that returns its input or a view of it
(an in-place ReLU, a flatten, dropout in eval mode) makes no new memory. At each operation
its output is allocated while its inputs are still alive, then every tensor whose life ends
there is freed: the largest total on the way is the peak. So an Inception module holds its
input and all four branch outputs at the concatenation. The image is the caller's: it lives
throughout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.fx
from torch import Tensor

from gnet_inspect.measure.trace import kept_mode
from gnet_inspect.model import build_model
from gnet_inspect.spec.schema import NetworkSpec

__all__ = ["ForwardMemory", "forward_memory"]


@dataclass(frozen=True)
class ForwardMemory:
    """One image's inference activations: the peak of live bytes, the module whose operation
    reached it (its qualified name; ``""`` for the network's own operations), and the image's
    bytes, which the caller holds throughout and which the peak includes."""

    peak_bytes: int
    peak_module: str
    input_bytes: int


def forward_memory(spec: NetworkSpec, size: int, dtype: torch.dtype) -> ForwardMemory:
    """The peak of live activation bytes over one ``size``×``size`` image's forward pass in
    eval mode, with every tensor in ``dtype`` (pooling indices would be int64, but inference
    keeps none)."""
    model = build_model(spec, weights="meta").to(dtype)
    with kept_mode(model, training=False):
        graph = torch.fx.Tracer().trace(model)
        module = torch.fx.GraphModule(model, graph)
        image = torch.empty(1, spec.input.channels, size, size, device="meta", dtype=dtype)
        values = _Recorder(module).values(image)
    nodes = list(graph.nodes)
    last_use = _lifetimes(nodes)
    ending: dict[int, list[torch.fx.Node]] = {}
    for node, last in last_use.items():
        if node.op not in ("placeholder", "output"):  # the image is the caller's
            ending.setdefault(max(last, nodes.index(node)), []).append(node)
    live: dict[int, int] = {}  # storage -> bytes
    holders: dict[int, int] = {}  # storage -> values alive that hold it
    peak, peak_node = 0, nodes[0]
    for index, node in enumerate(nodes):
        for key, nbytes in values.get(node, ()):
            live[key] = nbytes
            holders[key] = holders.get(key, 0) + 1
        if sum(live.values()) > peak:
            peak, peak_node = sum(live.values()), node
        for done in ending.get(index, ()):
            for key, _ in values.get(done, ()):
                holders[key] -= 1
                if holders[key] == 0:
                    del live[key]
    first = values.get(nodes[0], ())
    return ForwardMemory(peak, _module_of(peak_node), sum(nbytes for _, nbytes in first))


def _lifetimes(nodes: list[torch.fx.Node]) -> dict[torch.fx.Node, int]:
    """The index of the last operation each value must outlive: its last reader, or the last
    operation of the outermost module it was handed into (which holds it until it returns)."""
    index = {node: i for i, node in enumerate(nodes)}
    paths = {node: _module_of(node) for node in nodes}
    end: dict[str, int] = {}
    for node in nodes:
        for scope in _scopes(paths[node]):
            end[scope] = index[node]
    lifetimes = {}
    for node in nodes:
        last = -1
        for user in node.users:
            entered = [s for s in _scopes(paths[user]) if s not in _scopes(paths[node])]
            last = max(last, index[user], *(end[scope] for scope in entered[:1]))
        lifetimes[node] = last
    return lifetimes


def _scopes(path: str) -> list[str]:
    """The modules around an operation, outermost first: ``a``, ``a.b``, ``a.b.c``."""
    parts = path.split(".") if path else []
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def _module_of(node: torch.fx.Node) -> str:
    if node.op == "call_module":
        return str(node.target)
    stack = node.meta.get("nn_module_stack") or {}
    return str(next(reversed(stack.values()))[0]) if stack else ""


class _Recorder(torch.fx.Interpreter):
    """Runs a traced network and records, for each node, the storages of the tensors it
    returns (an in-place or viewing operation returns its input's storage)."""

    def values(self, image: Tensor) -> dict[torch.fx.Node, list[tuple[int, int]]]:
        self._values: dict[torch.fx.Node, list[tuple[int, int]]] = {}
        self._kept: list[Any] = []  # every result, so that no storage is reused: keys stay unique
        with torch.no_grad():
            self.run(image)
        return self._values

    def run_node(self, n: torch.fx.Node) -> Any:
        result = super().run_node(n)
        self._kept.append(result)
        tensors = [result] if isinstance(result, Tensor) else []
        if isinstance(result, (tuple, list)):
            tensors = [item for item in result if isinstance(item, Tensor)]
        if n.op != "output":
            self._values[n] = [_storage(t) for t in tensors]
        return result


def _storage(tensor: Tensor) -> tuple[int, int]:
    storage = tensor.untyped_storage()
    return storage._cdata, storage.nbytes()
