"""Parsing a module row's ``branches`` into the branch graph of ``spec.branches``.

A module's ``branches`` maps each branch's id to its list of layers; each layer is a mapping
with exactly one of ``conv`` (its kernel, ``1×7`` or ``3×3/2``), ``pool`` (``max 3×3/2``) or
``fork`` (a mapping of sub-branches, as ``branches`` is). A module's ``residual`` (Inception-ResNet)
gives its projection's width, its scale and its activation. Every failure names the file, the
YAML path (``rows[9].branches.branch3x3[1].fork``) and what was expected. ``docs/schema.md``
is the reference for table authors.
"""

from __future__ import annotations

from typing import Literal

from gnet_inspect.spec.branches import (
    CONCAT,
    RESIDUAL,
    Branch,
    ConvLayer,
    Fork,
    Layer,
    PoolLayer,
    Residual,
    same_padding,
)
from gnet_inspect.spec.limits import MAX_FORK_DEPTH, MAX_MODULE_LAYERS, MAX_REAL, shown
from gnet_inspect.spec.names import is_free_name
from gnet_inspect.spec.notation import Window, parse_kernel, parse_padding
from gnet_inspect.spec.yaml_source import Node

__all__ = ["LAYER_KINDS", "branch_paths", "parse_branches", "parse_residual", "pool_padding"]

_LAYER_KEYS: dict[str, tuple[str, ...]] = {
    "conv": ("id", "conv", "channels", "padding", "activation"),
    "pool": ("id", "pool", "padding", "rounding", "count_include_pad"),
    "fork": ("id", "fork"),
}
LAYER_KINDS = tuple(_LAYER_KEYS)
_ACTIVATIONS = ("relu", "none")
_POOLS: dict[str, Literal["max", "avg"]] = {"max": "max", "avg": "avg"}


def parse_branches(node: Node) -> tuple[tuple[Branch, ...], dict[str, str]]:
    """The branches of one module (or fork) and the YAML path of each branch and layer,
    keyed by its dotted name inside the row (``branch3x3``, ``branch3x3.fork``)."""
    paths: dict[str, str] = {}
    return _parallel(node, (), paths, "module"), paths


def _is_name(name: str) -> bool:
    return is_free_name(name) and name not in (CONCAT, RESIDUAL)


def parse_residual(node: Node) -> Residual:
    """A module's residual connection: ``{projection: 320, scale: 0.17[, activation: none]}``."""
    fields = node.mapping(("projection", "scale", "activation"))
    for key, what in (("projection", "the 1×1 projection's width"), ("scale", "its factor")):
        if key not in fields:
            node.fail(f"a residual connection needs '{key}' ({what})")
    scale = fields["scale"].number(0, MAX_REAL)
    if scale == 0:
        fields["scale"].fail("expected a positive scale (0 would add nothing to the input)")
    return Residual(fields["projection"].integer(), scale, _activation(fields))


def _activation(fields: dict[str, Node]) -> bool:
    """Whether a layer's ``activation`` (relu, the default, or none) is a ReLU."""
    if "activation" not in fields:
        return True
    name = fields["activation"].text()
    if name not in _ACTIVATIONS:
        fields["activation"].fail(
            f"unknown activation {shown(name)}; expected one of: {', '.join(_ACTIVATIONS)}"
        )
    return name == "relu"


def branch_paths(node: Node) -> dict[str, str]:
    """The YAML path of each branch and layer of a module's ``branches`` that loaded, by its
    dotted name inside the row: where a size error found after parsing is reported."""
    return parse_branches(node)[1]


def _parallel(
    node: Node, within: tuple[str, ...], paths: dict[str, str], what: str
) -> tuple[Branch, ...]:
    entries = node.mapping()
    if len(within) // 2 > MAX_FORK_DEPTH:  # within: branch, fork, branch, fork, …
        node.fail(f"forks nest at most {MAX_FORK_DEPTH} deep inside one another")
    if len(entries) < 2:
        node.fail(
            f"a {what} needs at least two branches, got {len(entries)}; "
            "a single sequence of layers is written as rows (or as one branch's layers)"
        )
    branches = []
    for branch_id, layers in entries.items():
        if not _is_name(branch_id):
            layers.fail(_bad_name("a branch", branch_id))
        here = (*within, branch_id)
        paths[".".join(here)] = layers.path
        branches.append(Branch(branch_id, _layers(layers, here, paths)))
    return tuple(branches)


def _layers(node: Node, within: tuple[str, ...], paths: dict[str, str]) -> tuple[Layer, ...]:
    items = list(node.items())
    if not items:
        node.fail("expected at least one layer in a branch (conv, pool or fork)")
    layers: list[Layer] = []
    seen: dict[str, str] = {}
    for item in items:
        if len(paths) > 2 * MAX_MODULE_LAYERS:  # a path per branch and per layer
            item.fail(f"a module has at most {MAX_MODULE_LAYERS} layers, forks' included")
        layer = _layer(item, within, paths)
        if layer.id in seen:
            item.fail(
                f"a second layer called '{layer.id}' in this branch (also at {seen[layer.id]}); "
                "give each its own 'id'"
            )
        seen[layer.id] = item.path
        paths[".".join((*within, layer.id))] = item.path
        layers.append(layer)
    return tuple(layers)


def _layer(node: Node, within: tuple[str, ...], paths: dict[str, str]) -> Layer:
    fields = node.mapping()
    kinds = [kind for kind in LAYER_KINDS if kind in fields]
    if len(kinds) != 1:
        given = ", ".join(shown(key) for key in fields) or "nothing"
        node.fail(
            f"expected a layer with exactly one of {', '.join(LAYER_KINDS)} (the layer's "
            f"kind), got keys {given}"
        )
    kind = kinds[0]
    fields = node.mapping(_LAYER_KEYS[kind])
    if kind == "conv":
        return _conv(fields)
    if kind == "pool":
        return _pool(fields)
    layer_id = _id(fields, "fork")
    branches = _parallel(fields["fork"], (*within, layer_id), paths, "fork")
    return Fork(layer_id, branches)


def _id(fields: dict[str, Node], default: str) -> str:
    if "id" not in fields:
        return default
    layer_id = fields["id"].text()
    if not _is_name(layer_id):
        fields["id"].fail(_bad_name("a layer", layer_id))
    return layer_id


def _conv(fields: dict[str, Node]) -> ConvLayer:
    kh, kw, stride = _kernel(fields["conv"])
    if "channels" not in fields:
        fields["conv"].fail("a conv layer needs 'channels', the number of filters")
    kernel = (kh, kw)
    padding = _padding(fields["padding"]) if "padding" in fields else same_padding(kernel)
    return ConvLayer(
        _id(fields, f"conv{kh}x{kw}"),
        fields["channels"].integer(),
        kernel,
        stride,
        padding,
        _activation(fields),
    )


def _pool(fields: dict[str, Node]) -> PoolLayer:
    node = fields["pool"]
    kind, _, patch = node.text().strip().partition(" ")
    if kind not in _POOLS:
        node.fail(f"expected a pool like 'max 3×3/2' or 'avg 3×3/1', got {shown(node.value)}")
    kh, kw, stride = _kernel(node, patch)
    if kh != kw:
        node.fail(f"expected a square pool window, got {shown(patch)}")
    padding = pool_padding(fields.get("padding"), kh)
    ceil = None
    if "rounding" in fields:
        rounding = fields["rounding"].text()
        if rounding not in ("ceil", "floor"):
            fields["rounding"].fail(f"expected 'ceil' or 'floor', got {shown(rounding)}")
        ceil = rounding == "ceil"
    include = fields["count_include_pad"].boolean() if "count_include_pad" in fields else True
    return PoolLayer(
        _id(fields, f"{kind}pool"), _POOLS[kind], Window(kh, stride), padding, ceil, include
    )


def pool_padding(node: Node | None, kernel: int) -> int:
    """A pool's padding (0 when not given): at most half its window, as PyTorch requires."""
    padding = node.integer(minimum=0) if node is not None else 0
    if node is not None and padding > kernel // 2:
        node.fail(
            f"a {kernel}×{kernel} pool pads at most {kernel // 2} (half its window), got {padding}"
        )
    return padding


def _kernel(node: Node, text: str | None = None) -> tuple[int, int, int]:
    try:
        return parse_kernel(node.text() if text is None else text)
    except ValueError as exc:
        node.fail(str(exc))


def _padding(node: Node) -> tuple[int, int]:
    """``1`` (both axes) or ``0×3`` (height × width)."""
    if isinstance(node.value, int) and not isinstance(node.value, bool):
        pad = node.integer(minimum=0)
        return pad, pad
    try:
        return parse_padding(node.text())
    except ValueError as exc:
        node.fail(str(exc))


def _bad_name(what: str, name: str) -> str:
    return (
        f"{shown(name)} cannot name {what}; use lower-case letters, digits and '_', "
        f"starting with a letter ('{CONCAT}' names the concatenation, '{RESIDUAL}' the "
        "residual connection)"
    )
