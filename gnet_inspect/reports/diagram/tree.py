"""Collapsing a traced network onto its module tree: which drawn node each operation belongs to.

A node is an entry of ``measure.levels`` at the chosen depth (``modules``, ``branches``,
``layers`` or ``operations``), the same entries ``flops`` and ``profile`` list: every traced
operation belongs to the entry that holds its module.

A node is named by its module's qualified name. The nodes no module runs, the input and the
outputs, are named with a leading underscore (``_input``, ``_output``, ``aux_4a._output``),
which no row id can have (the loader takes ``^[a-z][a-z0-9_]*$``), so a row called ``input`` or
``output`` is drawn as a row of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from gnet_inspect.measure.levels import CONCAT, LEVELS, Level

if TYPE_CHECKING:
    from gnet_inspect.measure.measure import Measurement

__all__ = [
    "DEPTHS",
    "INPUT",
    "OUTPUT",
    "DiagramTree",
    "Operation",
    "inside",
    "operations",
    "sink",
]

DEPTHS: tuple[Level, ...] = tuple(level for level in LEVELS if level != "stages")
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


class DiagramTree:
    """A measured network's module tree as a diagram reads it: the node each operation
    belongs to, the modules around a node, and the aux heads' loss weights."""

    def __init__(self, measured: Measurement) -> None:
        self.modules = measured.modules
        self.levels = measured.tree
        self.heads = {head.id: head.loss_weight for head in measured.spec.aux_heads}

    def key(self, operation: Operation, depth: Level, module: str | None = None) -> str:
        """The node ``operation`` belongs to at ``depth``.

        In a view of ``module``, an operation outside it belongs to its row (neighbouring rows
        are drawn whole) and one inside it to ``module`` at least.
        """
        if module is None:
            return self._key(operation, depth)
        if not inside(operation.module, module):
            return self._key(operation, "modules")
        key = self._key(operation, depth)
        return module if module.startswith(key + ".") else key

    def enclosing(self, key: str) -> tuple[str, ...]:
        """The modules around the node ``key``, outermost first."""
        parts = key.split(".")
        prefixes = (".".join(parts[:end]) for end in range(1, len(parts)))
        return tuple(prefix for prefix in prefixes if prefix in self.modules)

    def _key(self, operation: Operation, depth: Level) -> str:
        if operation.kind in ("input", "output"):
            return INPUT if operation.kind == "input" else operation.name
        own = operation.kind == CONCAT  # an Inception module's own operation
        return self.levels.entry_of(operation.module, depth, concat=own)
