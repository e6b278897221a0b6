"""The words and colours of a diagram: node titles, layer descriptions, annotations, palette.

Labels are graphviz HTML-like labels (bold title, a description, a grey annotation line);
every number comes from the DiagramGraph and is formatted here, nowhere else.
"""

from __future__ import annotations

from html import escape
from typing import Literal

from gnet_inspect.render.format import si
from gnet_inspect.reports.diagram.nodes import Container, DiagramNode, Layer
from gnet_inspect.spec.branches import RESIDUAL

__all__ = [
    "ANNOTATIONS",
    "KIND_NAMES",
    "PALETTE",
    "Annotation",
    "container_label",
    "describe",
    "fill",
    "node_label",
]

Annotation = Literal["shape", "params", "macs"]
ANNOTATIONS: tuple[Annotation, ...] = ("shape", "params", "macs")

# Pale fills that keep black text readable; one hue per family of layer.
PALETTE: dict[str, str] = {
    "convolution": "#cfe2f3",
    "max pool": "#f4cccc",
    "avg pool": "#fce5cd",
    "adaptive avg pool": "#fce5cd",
    "lrn": "#d9d2e9",
    "batch norm": "#ead1dc",
    "linear": "#d9ead3",
    "dropout": "#e6e6e6",
    "inception": "#fff2cc",
    "concat": "#ffe599",
    "residual": "#d0e0e3",
    "add": "#d0e0e3",
    "relu": "#f3f3f3",
    "flatten": "#f3f3f3",
    "sequence": "#ffffff",
    "input": "#ffffff",
    "output": "#ffffff",
}
KIND_NAMES: dict[str, str] = {
    "convolution": "convolution (+ ReLU)",
    "max pool": "max pooling",
    "avg pool": "average pooling",
    "adaptive avg pool": "adaptive average pooling",
    "lrn": "local response norm.",
    "batch norm": "batch normalisation",
    "linear": "fully connected",
    "dropout": "dropout",
    "inception": "Inception module",
    "concat": "filter concatenation",
    "residual": "residual connection",
    "add": "scaled residual sum",
    "relu": "ReLU",
    "flatten": "flatten",
    "sequence": "mixed layers",
}
ANNOTATION_COLOUR = "#555555"

_POOLS = ("max pool", "avg pool", "adaptive avg pool")
_CONVS = ("convolution", "depthwise convolution")


def fill(kind: str) -> str:
    """The fill colour of a node of ``kind`` (white for a kind the palette does not name)."""
    return PALETTE.get(kind, PALETTE["sequence"])


def node_label(
    node: DiagramNode,
    annotations: tuple[Annotation, ...],
    within: str | None,
    ink: str | None = None,
) -> str:
    """The HTML-like label of a node: title, what it computes, then the chosen annotations.

    The title is the node's name inside the box ``within`` (``branch3x3.ch3x3red`` in the box
    of ``inception_4a``); the input and the outputs, which no module runs, are titled so. On
    a cost-coloured fill the annotations take the text's ``ink`` (black or white, whichever
    reads better on it) rather than the grey, which would not read on every colour.
    """
    if node.role == "context":
        lines = [_describe_node(node)] if node.kind != "inception" else []
        return _html(node.id, lines, _annotations(node.output, None, None, ("shape",)))
    title = node.role if node.role in ("input", "output") else _title(node.id, within)
    lines = _describe_node(node).split("\n") if node.role != "input" else []
    notes = _annotations(node.output, node.params, node.macs, annotations)
    colour = ink or ANNOTATION_COLOUR
    return _html(title, [line for line in lines if line != title], notes, colour=colour)


def container_label(box: Container, annotations: tuple[Annotation, ...], within: str | None) -> str:
    """The label of an opened module: its name (an aux head says it is training only)."""
    title = _title(box.id, within)
    lines = []
    if box.kind == "aux head":
        weight = f", loss × {box.loss_weight:g}" if box.loss_weight is not None else ""
        lines.append(f"auxiliary classifier: training only{weight}")
    notes = _annotations(box.output, box.params, box.macs, annotations)
    return _html(title, lines, notes, align="LEFT")


def describe(layer: Layer) -> str:
    """One layer in the paper's words: ``7×7/2 conv, 64``, ``3×3/2 max pool``, ``dropout 40%``."""
    window = ""
    if layer.kernel is not None:
        stride = f"/{layer.stride}" if layer.stride not in (None, 1) else ""
        width = layer.kernel if layer.kernel_width is None else layer.kernel_width
        window = f"{layer.kernel}×{width}{stride} "
    if layer.kind in _CONVS:
        name = "conv" if layer.kind == "convolution" else "depthwise conv"
        linear = ", linear" if layer.path.endswith(f".{RESIDUAL}.projection") else ""  # no ReLU
        return f"{window}{name}, {layer.channels}{linear}"
    if layer.kind in _POOLS:
        return f"{window}{layer.kind}" if window else layer.kind
    if layer.kind == "linear":
        return f"linear, {layer.channels}"
    if layer.kind == "dropout" and layer.rate is not None:
        return f"dropout {layer.rate:.0%}"
    if layer.kind == "lrn":
        return f"LRN, local size {layer.kernel}"
    if layer.kind == "add" and layer.scale is not None:
        return f"× {layer.scale:g} + input" + (" → ReLU" if layer.relu else "")
    return {"relu": "ReLU", "batch norm": "batch norm"}.get(layer.kind, layer.kind)


def _describe_node(node: DiagramNode) -> str:
    if node.role == "output":
        weight = f", loss × {node.loss_weight:g}" if node.loss_weight is not None else ""
        return f"logits → softmax{weight}"
    if node.kind == "inception":
        return "\n".join(_inception_lines(node))
    return " → ".join(describe(layer) for layer in node.layers if layer.kind != "concat") or (
        "concat" if node.kind == "concat" else node.kind
    )


def _inception_lines(node: DiagramNode) -> list[str]:
    """A collapsed module as its branches: ``1×1: 192 · 3×3: 96→208``. A branch with a fork
    shows its sub-branches side by side (``3x3: 384→(384 ‖ 384)``), and one whose kernels
    are not all square is named by its id (``7x7dbl: 128→128→128→128→192``). A residual
    connection is a last line: ``1×1 conv, 320 → × 0.17 + input → ReLU``."""
    branches: dict[str, list[Layer]] = {}
    for layer in node.layers:
        branch = layer.path[len(node.id) + 1 :].split(".")[0]
        if branch and layer.kind != "concat":
            branches.setdefault(branch, []).append(layer)
    residual = branches.pop(RESIDUAL, [])
    parts = []
    for branch, layers in branches.items():
        convs = [layer for layer in layers if layer.kind in _CONVS]
        forked = any(_within_fork(node.id, branch, layer) for layer in layers)
        square = all(layer.kernel_width is None for layer in convs)
        if layers[0].kind in _POOLS or not convs:
            name = "pool"
        elif forked or not square:
            name = branch.removeprefix("branch").lstrip("_") or branch
        else:
            name = f"{convs[-1].kernel}×{convs[-1].kernel}"
        parts.append(f"{name}: {_widths(node.id, branch, layers, convs)}")
    lines = [" · ".join(parts[i : i + 2]) for i in range(0, len(parts), 2)]
    return [*lines, " → ".join(describe(layer) for layer in residual)] if residual else lines


def _within_fork(module: str, branch: str, layer: Layer) -> str | None:
    """The sub-branch of a fork that ``layer`` lies in (``fork.branch1x3``), if any."""
    inside = layer.path[len(module) + len(branch) + 2 :].split(".")
    return ".".join(inside[:2]) if len(inside) > 2 else None


def _widths(module: str, branch: str, layers: list[Layer], convs: list[Layer]) -> str:
    """A branch's convolution widths in order, a fork's sub-branches in parentheses."""
    items: list[str] = []
    fork: dict[str, list[str]] = {}
    for layer in convs:
        sub = _within_fork(module, branch, layer)
        if sub is None:
            if fork:
                items.append("(" + " ‖ ".join("→".join(w) for w in fork.values()) + ")")
                fork = {}
            items.append(str(layer.channels))
        else:
            fork.setdefault(sub, []).append(str(layer.channels))
    if fork:
        items.append("(" + " ‖ ".join("→".join(w) for w in fork.values()) + ")")
    return "→".join(items) or str(layers[-1].channels)


def _annotations(
    output: object, params: int | None, macs: int | None, chosen: tuple[Annotation, ...]
) -> str:
    notes = []
    if "shape" in chosen and output is not None:
        notes.append(str(output))
    if "params" in chosen and params:
        notes.append(f"{si(params)} params")
    if "macs" in chosen and macs:
        notes.append(f"{si(macs)} MACs")
    return " · ".join(notes)


def _title(node_id: str, within: str | None) -> str:
    if within is not None and node_id.startswith(within + "."):
        return node_id[len(within) + 1 :]
    return node_id


def _html(
    title: str,
    lines: list[str],
    notes: str,
    align: str | None = None,
    colour: str = ANNOTATION_COLOUR,
) -> str:
    body = [f"<B>{escape(title)}</B>"]
    body += [escape(line) for line in lines if line]
    if notes:
        body.append(f'<FONT POINT-SIZE="8" COLOR="{colour}">{escape(notes)}</FONT>')
    if align is None:
        return "<" + "<BR/>".join(body) + ">"
    end = f'<BR ALIGN="{align}"/>'
    return "<" + end.join(body) + end + ">"
