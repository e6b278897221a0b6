"""Parsing one table row into a typed Row: its keys by type, its values checked in place.

Every failure names the file, the row's YAML path (``rows[5].ch3x3``) and what was expected.
"""

from __future__ import annotations

from typing import Literal

from gnet_inspect.spec.branch_rows import parse_branches, parse_residual, pool_padding
from gnet_inspect.spec.limits import MAX_REAL, shown
from gnet_inspect.spec.names import is_free_name
from gnet_inspect.spec.notation import (
    PrintedCount,
    Size,
    Window,
    parse_count,
    parse_size,
    parse_window,
)
from gnet_inspect.spec.schema import (
    ConvRow,
    DropoutRow,
    InceptionRow,
    LinearRow,
    LrnRow,
    ModuleRow,
    PoolRow,
    Printed,
    Row,
    SoftmaxRow,
)
from gnet_inspect.spec.yaml_source import Node

__all__ = [
    "ROW_TYPES",
    "check_ids",
    "parse_row",
    "read_count",
    "read_size",
    "read_type",
    "read_window",
    "row_keys",
]

# ``repeat`` is read (and removed) before a row is parsed: spec/repeats.py.
_COMMON = ("id", "type", "output", "depth", "params", "ops", "paper", "repeat")
# GoogLeNet's module, written in Table 1's columns; the loader expands it (spec.branches).
_SHORTHAND = ("ch1x1", "ch3x3red", "ch3x3", "ch5x5red", "ch5x5", "pool_proj", "ch5x5_kernel")
ROW_TYPES: dict[str, tuple[str, ...]] = {
    "convolution": ("patch", "ch3x3red", "ch3x3", "depth_multiplier", "padding"),
    "max pool": ("patch", "padding"),
    "avg pool": ("patch", "padding"),
    "adaptive avg pool": (),
    "inception": (*_SHORTHAND, "branches", "residual"),
    "lrn": ("size", "alpha", "beta", "k"),
    "dropout": ("p",),
    "linear": ("relu",),
    "softmax": (),
}


def row_keys(kind: str) -> tuple[str, ...]:
    """Every key a row of type ``kind`` may have (``kind`` one of ``ROW_TYPES``)."""
    return _COMMON + ROW_TYPES[kind]


def read_type(node: Node) -> str:
    """A row type, one of ``ROW_TYPES``."""
    kind = node.text()
    if kind not in ROW_TYPES:
        node.fail(f"unknown row type {shown(kind)}; expected one of: {', '.join(ROW_TYPES)}")
    return kind


def parse_row(node: Node) -> tuple[Row, Node]:
    fields = node.mapping()
    if "type" not in fields:
        node.fail(f"missing key 'type'; expected one of: {', '.join(ROW_TYPES)}")
    kind = read_type(fields["type"])
    fields = node.mapping(row_keys(kind))
    for key in ("id", "output"):
        if key not in fields:
            node.fail(f"missing key '{key}' (every row needs one)")
    row_id = fields["id"].text()
    if not is_free_name(row_id):
        fields["id"].fail(
            f"{shown(row_id)} cannot name a module; use lower-case letters, digits and '_', "
            "starting with a letter, "
            "and not an attribute the network already has (such as 'spec' or 'forward')"
        )
    printed = Printed(
        type=kind,
        output=read_size(fields["output"]),
        patch=fields["patch"].text() if "patch" in fields else None,
        depth=fields["depth"].integer(minimum=0) if "depth" in fields else None,
        params=read_count(fields["params"]) if "params" in fields else None,
        ops=read_count(fields["ops"]) if "ops" in fields else None,
        paper=tuple(_cell(c) for c in fields["paper"].items()) if "paper" in fields else None,
    )
    return _ROW_PARSERS[kind](row_id, printed, fields), node


def _cell(node: Node) -> str:
    """One printed cell of a paper's table, as text (YAML reads ``64`` as a number)."""
    return node.text().strip()


def _required(fields: dict[str, Node], key: str, kind: str) -> Node:
    if key not in fields:
        row_id = shown(fields["id"].value)
        fields["id"].fail(f"row {row_id} lacks key '{key}' (a {kind} row needs one)")
    return fields[key]


def _optional_int(fields: dict[str, Node], key: str) -> int | None:
    return fields[key].integer() if key in fields else None


def _conv(row_id: str, printed: Printed, f: dict[str, Node]) -> Row:
    channels = printed.output.channels
    if "ch3x3" in f and f["ch3x3"].integer() != channels:
        f["ch3x3"].fail(f"#3×3 is {f['ch3x3'].value} but the output size says {channels}")
    return ConvRow(
        row_id,
        printed,
        window=read_window(_required(f, "patch", "convolution")),
        channels=channels,
        reduce=_optional_int(f, "ch3x3red"),
        depth_multiplier=_optional_int(f, "depth_multiplier"),
        padding=f["padding"].integer(minimum=0) if "padding" in f else None,
    )


def _pool(row_id: str, printed: Printed, f: dict[str, Node]) -> Row:
    window = read_window(_required(f, "patch", "pool"))
    padding = pool_padding(f.get("padding"), window.kernel)
    kind: Literal["max", "avg"] = "max" if printed.type == "max pool" else "avg"
    return PoolRow(row_id, printed, kind=kind, window=window, padding=padding)


def _adaptive_pool(row_id: str, printed: Printed, f: dict[str, Node]) -> Row:
    grid = printed.output
    if grid.height != grid.width:
        f["output"].fail(f"expected a square output grid for adaptive pooling, got {grid}")
    return PoolRow(row_id, printed, kind="avg", window=None, grid=grid.height)


def _inception(row_id: str, printed: Printed, f: dict[str, Node]) -> Row:
    if "branches" in f:
        shorthand = [key for key in _SHORTHAND if key in f]
        if shorthand:
            f[shorthand[0]].fail(
                "a module gives either its 'branches' or GoogLeNet's columns "
                f"({', '.join(_SHORTHAND)}), not both"
            )
        branches, _ = parse_branches(f["branches"])
        residual = parse_residual(f["residual"]) if "residual" in f else None
        return ModuleRow(row_id, printed, branches=branches, residual=residual)
    if "residual" in f:
        f["residual"].fail("a residual connection needs the module's 'branches' (docs/schema.md)")
    kernel = f["ch5x5_kernel"].integer() if "ch5x5_kernel" in f else 5
    if kernel % 2 == 0:
        f["ch5x5_kernel"].fail(
            f"expected an odd kernel size (the branches must align), got {kernel}"
        )
    return InceptionRow(
        row_id,
        printed,
        ch1x1=_required(f, "ch1x1", "inception").integer(),
        ch3x3red=_optional_int(f, "ch3x3red"),
        ch3x3=_required(f, "ch3x3", "inception").integer(),
        ch5x5red=_optional_int(f, "ch5x5red"),
        ch5x5=_required(f, "ch5x5", "inception").integer(),
        pool_proj=_optional_int(f, "pool_proj"),
        ch5x5_kernel=kernel,
    )


def _lrn(row_id: str, printed: Printed, f: dict[str, Node]) -> Row:
    return LrnRow(
        row_id,
        printed,
        size=_required(f, "size", "lrn").integer(),
        alpha=_required(f, "alpha", "lrn").number(0, MAX_REAL),
        beta=_required(f, "beta", "lrn").number(0, MAX_REAL),
        k=f["k"].number(0, MAX_REAL) if "k" in f else 1.0,
    )


def _dropout(row_id: str, printed: Printed, f: dict[str, Node]) -> Row:
    p = _required(f, "p", "dropout").number(0, 1)
    if p >= 1:
        f["p"].fail("expected a probability below 1 (1 drops everything)")
    return DropoutRow(row_id, printed, p=p)


def _linear(row_id: str, printed: Printed, f: dict[str, Node]) -> Row:
    relu = f["relu"].boolean() if "relu" in f else False
    return LinearRow(row_id, printed, features=printed.output.channels, relu=relu)


def _softmax(row_id: str, printed: Printed, f: dict[str, Node]) -> Row:
    return SoftmaxRow(row_id, printed)


_ROW_PARSERS = {
    "convolution": _conv,
    "max pool": _pool,
    "avg pool": _pool,
    "adaptive avg pool": _adaptive_pool,
    "inception": _inception,
    "lrn": _lrn,
    "dropout": _dropout,
    "linear": _linear,
    "softmax": _softmax,
}


def check_ids(rows: list[tuple[Row, Node]], where: Node) -> None:
    """Refuses an empty list of rows and an id given to two rows (naming both places)."""
    if not rows:
        where.fail("expected at least one row")
    seen: dict[str, str] = {}
    for row, node in rows:
        id_node = node.mapping()["id"]
        if row.id in seen:
            id_node.fail(
                f"duplicate id '{row.id}' (also at {seen[row.id]}); every row needs its own"
            )
        seen[row.id] = id_node.path


def read_size(node: Node) -> Size:
    try:
        return parse_size(node.text())
    except ValueError as exc:
        node.fail(str(exc))


def read_window(node: Node) -> Window:
    try:
        return parse_window(node.text())
    except ValueError as exc:
        node.fail(str(exc))


def read_count(node: Node) -> PrintedCount:
    try:
        return parse_count(node.text())
    except ValueError as exc:
        node.fail(str(exc))
