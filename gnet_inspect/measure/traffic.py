"""The least memory traffic of each entry of the inference forward pass: what it must read and
what it must write, read off the traced graph.

An entry (a row, a branch, a layer: ``measure.levels``) must read every activation made
outside it that one of its operations reads, and write every activation it makes that an
operation outside it reads (or that the network returns); each counted once, whatever reads
it. A tensor that an operation passes on unchanged (an in-place ReLU, a flatten, dropout at
inference) is the tensor it was given. Its weights are read once too; they are counted by the
caller, which knows their dtype. Sizes are elements per image; the auxiliary heads do not
run at inference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from gnet_inspect.measure.levels import CONCAT, Level
from gnet_inspect.measure.liveness import ALIASES, node_elements

if TYPE_CHECKING:
    from gnet_inspect.measure.measure import Measurement

__all__ = ["Traffic", "entry_traffic"]


@dataclass(frozen=True)
class Traffic:
    """Activation elements an entry reads and writes, per image."""

    read: int
    written: int


def entry_traffic(measured: Measurement, level: Level) -> dict[str, Traffic]:
    """Each main-path entry's least activation traffic at ``level``, by entry id."""
    nodes = [n for n in measured.graph.nodes if n.head is None]
    image = measured.input_size**2 * measured.spec.input.channels
    storage: dict[str, str] = {}  # node -> the node whose tensor it is
    size: dict[str, int] = {}
    entry: dict[str, str | None] = {}  # storage node -> the entry that made it
    reads: dict[str, set[str]] = {}
    writes: dict[str, set[str]] = {}
    for node in nodes:
        if node.kind == "input":
            storage[node.name], size[node.name], entry[node.name] = node.name, image, None
            continue
        if node.kind in ALIASES and node.inputs:
            storage[node.name] = storage[node.inputs[0]]
            continue
        here = None
        if node.kind != "output":
            here = measured.tree.entry_of(node.module, level, concat=node.kind == CONCAT)
        for name in node.inputs:
            tensor = storage.get(name)
            if tensor is None or entry[tensor] == here:
                continue
            if here is not None:
                reads.setdefault(here, set()).add(tensor)
            if entry[tensor] is not None:
                writes.setdefault(str(entry[tensor]), set()).add(tensor)
        if node.kind == "output":
            continue
        storage[node.name], entry[node.name] = node.name, here
        size[node.name] = node_elements(measured, node)
    ids = {e for e in entry.values() if e is not None}
    return {
        e: Traffic(
            read=sum(size[t] for t in reads.get(e, ())),
            written=sum(size[t] for t in writes.get(e, ())),
        )
        for e in ids
    }
