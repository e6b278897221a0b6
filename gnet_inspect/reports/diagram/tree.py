"""Collapsing a traced network onto its module tree: which drawn node each operation belongs to.

Depth opens the module tree level by level: ``modules`` keeps one node per table row (an aux
head's rows are rows too), ``branches`` opens a row into its children (an Inception module into
its four branches and its concat, conv2 into its two convolutions), ``layers`` opens those once
more, and ``operations`` keeps every traced operation. A convolution or linear unit
(convolution, [BatchNorm,] ReLU) is one layer of the paper and opens only at ``operations``.

A node is named by its module's qualified name. The nodes no module runs, the input and the
outputs, are named with a leading underscore (``_input``, ``_output``, ``aux_4a._output``),
which no row id can have (the loader takes ``^[a-z][a-z0-9_]*$``), so a row called ``input`` or
``output`` is drawn as a row of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from gnet_inspect.measure.measure import Measurement

__all__ = [
    "DEPTHS",
    "INPUT",
    "OUTPUT",
    "Depth",
    "ModuleTree",
    "Operation",
    "inside",
    "operations",
    "sink",
]

Depth = Literal["modules", "branches", "layers", "operations"]
DEPTHS: tuple[Depth, ...] = ("modules", "branches", "layers", "operations")
_UNITS = frozenset({"ConvUnit", "LinearUnit"})
INPUT = "_input"
OUTPUT = "_output"


@dataclass(frozen=True)
class Operation:
    """A traced operation (its fx node name), or an output: one per tensor the model returns,
    named by ``sink``."""

    name: str
    kind: str
    module: str
    head: str | None
    inputs: tuple[str, ...]


def operations(measured: Measurement) -> list[Operation]:
    """The traced operations in order, the model's output replaced by one per returned tensor."""
    graph = measured.graph
    by_name = graph.by_name()
    found = [
        Operation(node.name, node.kind, node.module, node.head, node.inputs)
        for node in graph.nodes
        if node.kind != "output"
    ]
    returned = [name for node in graph.nodes if node.kind == "output" for name in node.inputs]
    for name in returned:
        source = by_name[name]
        if source.kind != "output":  # the packing of the outputs is no tensor of its own
            target = sink(source.head)
            found.append(Operation(target, "output", target, source.head, (name,)))
    return found


def sink(head: str | None) -> str:
    """The output node of the logits (``head`` None) or of the aux head ``head``."""
    return OUTPUT if head is None else f"{head}.{OUTPUT}"


def inside(key: str, module: str | None) -> bool:
    """Whether the node or module ``key`` lies in ``module`` (or is it)."""
    return module is not None and (key == module or key.startswith(module + "."))


class ModuleTree:
    """The module tree of a measured network: its leaves, units, containers and aux heads."""

    def __init__(self, measured: Measurement) -> None:
        self.modules = measured.modules
        self.containers = {name.rsplit(".", 1)[0] for name in measured.modules if "." in name}
        self.heads = {head.id: head.loss_weight for head in measured.spec.aux_heads}

    def key(self, operation: Operation, depth: Depth, module: str | None = None) -> str:
        """The node ``operation`` belongs to when the tree is opened to ``depth``.

        In a view of ``module``, an operation outside it belongs to its row (neighbouring rows
        are drawn whole) and one inside it to ``module`` at least.
        """
        level = DEPTHS.index(depth)
        if module is None:
            return self._key(operation, level)
        if not inside(operation.module, module):
            return self._key(operation, 0)
        key = self._key(operation, level)
        return module if module.startswith(key + ".") else key

    def enclosing(self, key: str) -> tuple[str, ...]:
        """The modules around the node ``key``, outermost first."""
        parts = key.split(".")
        prefixes = (".".join(parts[:end]) for end in range(1, len(parts)))
        return tuple(prefix for prefix in prefixes if prefix in self.modules)

    def _key(self, operation: Operation, level: int) -> str:
        if operation.kind in ("input", "output"):
            return INPUT if operation.kind == "input" else operation.name
        parts = operation.module.split(".")
        # An operation of a container itself (an Inception module's concat), once it is open.
        own = f"{operation.module}.{operation.kind.replace(' ', '_')}"
        if level == len(DEPTHS) - 1:
            return own if operation.module in self.containers else operation.module
        row = 2 if parts[0] in self.heads else 1  # an aux head's rows are aux_4a.conv, ...
        for end in range(row, len(parts) + 1):
            prefix = ".".join(parts[:end])
            if end >= row + level or prefix not in self.containers:
                return prefix
            if self.modules[prefix].kind in _UNITS:
                return prefix
        return own
