"""The levels of ``measure.levels`` found in a built network: its module tree, read once.

``ModuleTree`` knows each module's kind (the layer-kind vocabulary), which modules are one
layer of the paper (convolution and linear units), which are Inception modules, and which
entry at each level holds a module; ``flops``, ``diagram`` and ``profile`` all ask it.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from gnet_inspect.measure.levels import CONCAT, Level
from gnet_inspect.model import (
    AuxClassifier,
    ConvUnit,
    Fork,
    GoogLeNet,
    Inception,
    LinearUnit,
    ResidualConnection,
    ScaledSum,
)

__all__ = ["Entry", "ModuleTree", "is_inception", "module_kind"]

_LEAF_KINDS: tuple[tuple[type[nn.Module], str], ...] = (
    (nn.Linear, "linear"),
    (nn.MaxPool2d, "max pool"),
    (nn.AvgPool2d, "avg pool"),
    (nn.AdaptiveAvgPool2d, "adaptive avg pool"),
    (nn.LocalResponseNorm, "lrn"),
    (nn.BatchNorm2d, "batch norm"),
    (nn.ReLU, "relu"),
    (nn.Dropout, "dropout"),
    (nn.Flatten, "flatten"),
)


def is_inception(module: nn.Module) -> bool:
    """Whether ``module`` is an Inception module: the one predicate every report uses."""
    return isinstance(module, Inception)


def module_kind(module: nn.Module) -> str:
    """The kind of a module of a built network, in the vocabulary above."""
    if isinstance(module, nn.Conv2d):
        return "depthwise convolution" if 1 < module.groups == module.in_channels else "convolution"
    if isinstance(module, ConvUnit):
        return "separable convolution" if hasattr(module, "depthwise") else "convolution"
    if isinstance(module, LinearUnit):
        return "linear"
    if is_inception(module):
        return "inception"
    if isinstance(module, Fork):
        return "fork"
    if isinstance(module, AuxClassifier):
        return "aux head"
    if isinstance(module, ResidualConnection):
        return "residual"
    if isinstance(module, ScaledSum):
        return "add"
    for cls, kind in _LEAF_KINDS:
        if isinstance(module, cls):
            return kind
    return "sequence"


@dataclass(frozen=True)
class Entry:
    """One entry of a level: its id (a module path, or ``<module>.concat``), its row, kind."""

    id: str
    row: str
    kind: str


class ModuleTree:
    """The module tree of a built network, read once: each module's kind, the units that are
    one layer of the paper, the Inception modules, and the rows (aux head rows qualified)."""

    def __init__(self, model: GoogLeNet) -> None:
        modules = {name: module for name, module in model.named_modules() if name}
        self.kinds = {name: module_kind(module) for name, module in modules.items()}
        self.children = {name: [c for c, _ in m.named_children()] for name, m in modules.items()}
        units = (ConvUnit, LinearUnit, ScaledSum)
        self._units = {n for n, m in modules.items() if isinstance(m, units)}
        self.inceptions = {name for name, module in modules.items() if is_inception(module)}
        self.forks = {name for name, module in modules.items() if isinstance(module, Fork)}
        self._splits = self.inceptions | self.forks  # modules whose children are branches
        self.heads = tuple(head for ids in model.taps.values() for head in ids)
        head_rows = [f"{h}.{child}" for h in self.heads for child in self.children[h]]
        self.main_rows: tuple[str, ...] = model.row_ids
        self.rows: tuple[str, ...] = (*model.row_ids, *head_rows)

    def row_of(self, path: str) -> str:
        """The row a module path lies in (``aux_4a.conv`` for ``aux_4a.conv.conv``)."""
        parts = path.split(".")
        return ".".join(parts[: 2 if parts[0] in self.heads and len(parts) > 1 else 1])

    def entry_of(self, path: str, level: Level, concat: bool = False) -> str:
        """The entry at ``level`` holding the module ``path`` (with ``concat``, the
        concatenation that the Inception module ``path`` runs itself)."""
        row = self.row_of(path)
        if level in ("stages", "modules"):
            return row
        if concat:
            return f"{path}.{CONCAT}"
        if level == "operations":
            return path
        if level == "branches":
            return self._branch_of(path, row)
        prefix = row
        for part in path[len(row) + 1 :].split(".") if path != row else []:
            if prefix in self._units:
                return prefix
            prefix = f"{prefix}.{part}"
        return prefix

    def entries(self, row: str, level: Level) -> tuple[Entry, ...]:
        """The entries a row splits into at ``level``, in forward order: a module's (and a
        fork's) concatenation follows its branches."""
        if row not in self.kinds or level in ("stages", "modules"):
            return (Entry(row, row, self.kinds.get(row, "")),)
        found = list(
            dict.fromkeys(self.entry_of(path, level, concat=ends) for path, ends in self._walk(row))
        )
        return tuple(Entry(e, row, self._entry_kind(e, row, level)) for e in found)

    def _entry_kind(self, entry: str, row: str, level: Level) -> str:
        if entry.endswith(f".{CONCAT}") and entry[: -len(CONCAT) - 1] in self._splits:
            return CONCAT
        kind = self.kinds[entry]
        return "branch" if level == "branches" and entry != row and kind != "residual" else kind

    def _branch_of(self, path: str, row: str) -> str:
        """The innermost branch (of the module or of a fork) that ``path`` lies in; the row
        itself for a row that is no module. A branch that forks is no entry of its own: each
        of its layers before the fork is, as each sub-branch of the fork is, so that the
        entries of a module never overlap."""
        if row not in self.inceptions:
            return row
        branch = prefix = row
        for part in path[len(row) + 1 :].split(".") if path != row else []:
            forking = branch == prefix and any(
                f"{prefix}.{child}" in self.forks for child in self.children[prefix]
            )
            if prefix in self._splits or forking:
                branch = f"{prefix}.{part}"
            prefix = f"{prefix}.{part}"
        return branch

    def branches(self, path: str) -> list[str]:
        """The branches of the module or fork ``path``: its children but a residual connection."""
        children = [f"{path}.{child}" for child in self.children.get(path, ())]
        return [child for child in children if self.kinds[child] != "residual"]

    def _walk(self, path: str) -> list[tuple[str, bool]]:
        """The modules without children under ``path`` (itself if it has none), in order,
        each module or fork's branches followed by itself marked as its concatenation (True),
        then its residual connection."""
        children = [f"{path}.{child}" for child in self.children[path]]
        if not children:
            return [(path, False)]
        if path not in self._splits:
            return [leaf for child in children for leaf in self._walk(child)]
        branches = self.branches(path)
        after = [child for child in children if child not in branches]
        inner = [leaf for child in branches for leaf in self._walk(child)]
        return [*inner, (path, True), *(leaf for child in after for leaf in self._walk(child))]
