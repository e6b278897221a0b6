"""Drawing a DiagramGraph with graphviz: DOT source, and SVG, PNG or PDF through ``dot``.

The DOT source is built from the graph in its own order, so the same graph and style give the
same bytes on every run (and ``dot`` then gives the same SVG). Auxiliary heads are drawn as
dashed, grey-boxed side branches: they run in training only. The main path is kept straight
(one graphviz group, heavier edges) so the side branches hang off it.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
from dataclasses import dataclass
from html import escape
from itertools import pairwise
from typing import Literal, get_args

import graphviz

from gnet_inspect.errors import RenderError
from gnet_inspect.render.diagram_labels import (
    ANNOTATIONS,
    KIND_NAMES,
    Annotation,
    container_label,
    fill,
    node_label,
)
from gnet_inspect.render.diagram_shading import NO_VALUE, Shading
from gnet_inspect.reports.diagram.graph import Container, DiagramGraph, DiagramNode

__all__ = [
    "DOT_TIMEOUT_S",
    "FORMATS",
    "LEGEND",
    "MISSING_DOT",
    "TIMEOUT_VARIABLE",
    "DiagramFormat",
    "DiagramStyle",
    "Direction",
    "render_diagram",
    "require_dot",
    "to_dot",
]

DiagramFormat = Literal["svg", "png", "pdf", "dot"]
FORMATS: tuple[DiagramFormat, ...] = get_args(DiagramFormat)
Direction = Literal["TB", "LR"]
# Generous: the largest figure here (every operation) takes dot well under a second.
DOT_TIMEOUT_S = 120.0
TIMEOUT_VARIABLE = "GNET_INSPECT_DOT_TIMEOUT"
MISSING_DOT = (
    "graphviz's 'dot' program was not found on PATH; install graphviz (apt-get install "
    "graphviz, brew install graphviz or conda install graphviz)"
)
# The legend's node id: a leading underscore, which no row id has (see analysis.collapse).
LEGEND = "_legend"
# DejaVu Sans lays out (its arrows are legible); browsers without it fall back to narrower faces.
FONT = "DejaVu Sans,Helvetica,Arial,sans-serif"
INK = "#333333"
AUX_INK = "#777777"


@dataclass(frozen=True)
class DiagramStyle:
    """How a graph is drawn: the direction of flow, the annotations on nodes, a legend or not."""

    direction: Direction = "TB"
    annotations: tuple[Annotation, ...] = ANNOTATIONS
    legend: bool = True
    shading: Shading | None = None
    """Fills by cost (``diagram_shading``) instead of by layer kind, and their scale's legend."""


def require_dot(format: DiagramFormat, alternative: str = "") -> None:
    """Fails early, before any network is built, when ``format`` needs ``dot`` and it is missing.

    Args:
        format: the figures' format; ``dot`` (the DOT source) needs no graphviz.
        alternative: what else the caller's command can do, appended to the message
            (``diagram`` can write the DOT source; ``docs`` cannot).

    Raises:
        RenderError: saying how to install graphviz (or that ``GNET_INSPECT_DOT_TIMEOUT`` is
            no number of seconds).
    """
    if format == "dot":
        return
    if shutil.which("dot") is None:
        raise RenderError(MISSING_DOT + (f", {alternative}" if alternative else ""))
    _dot_timeout()  # a bad setting fails here too, before any work


def render_diagram(graph: DiagramGraph, format: DiagramFormat, style: DiagramStyle) -> bytes:
    """The figure as bytes: DOT source as is, or SVG, PNG or PDF rendered by ``dot``.

    Raises:
        RenderError: ``dot`` is not installed, fails on the source, or runs past its time
            (``GNET_INSPECT_DOT_TIMEOUT`` seconds, by default 120).
    """
    source = to_dot(graph, style).encode()
    if format == "dot":
        return source
    return _run_dot(source, format, _dot_timeout())


def _run_dot(source: bytes, format: DiagramFormat, timeout_s: float) -> bytes:
    # The command graphviz.pipe runs (so the bytes are the same), with a time limit: dot is
    # killed when it runs past it, and when this process is interrupted.
    command = ["dot", "-Kdot", f"-T{format}"]
    try:
        done = subprocess.run(command, input=source, capture_output=True, timeout=timeout_s)  # noqa: S603
    except FileNotFoundError:
        raise RenderError(MISSING_DOT) from None
    except subprocess.TimeoutExpired:
        raise RenderError(
            f"dot did not render {format} within {timeout_s:g} s and was stopped; raise "
            f"{TIMEOUT_VARIABLE} (seconds) for a larger figure, or write the DOT source with "
            "--format dot"
        ) from None
    except OSError as exc:
        raise RenderError(f"cannot run dot: {exc.strerror or exc}") from None
    if done.returncode != 0:
        stderr = done.stderr.decode(errors="replace").strip()
        if stderr:
            detail = stderr.splitlines()[0]
        elif done.returncode < 0:
            detail = f"stopped by signal {-done.returncode}"
        else:
            detail = f"exit status {done.returncode}"
        raise RenderError(f"dot could not render {format}: {detail}")
    if not done.stdout:
        raise RenderError(f"dot rendered no {format} (it wrote nothing and said nothing)")
    return bytes(done.stdout)


def _dot_timeout() -> float:
    """The time ``dot`` has, in seconds: ``GNET_INSPECT_DOT_TIMEOUT``, else 120."""
    value = os.environ.get(TIMEOUT_VARIABLE, "").strip()
    if not value:
        return DOT_TIMEOUT_S
    try:
        timeout_s = float(value)
    except ValueError:
        timeout_s = math.nan
    if not 0 < timeout_s < math.inf:
        raise RenderError(f"{TIMEOUT_VARIABLE}={value!r} is no number of seconds above 0")
    return timeout_s


def to_dot(graph: DiagramGraph, style: DiagramStyle) -> str:
    """The DOT source of ``graph``: one node per graph node, a box per drawn module."""
    dot = graphviz.Digraph(name=_name(graph))
    dot.attr(
        rankdir=style.direction,
        label=_title(graph),
        labelloc="t",
        fontname=FONT,
        fontsize="13",
        nodesep="0.3",
        ranksep="0.3",
        newrank="true",
    )
    dot.attr("node", shape="box", style="rounded,filled", fontname=FONT, fontsize="10")
    dot.attr("node", color=INK, penwidth="0.8", margin="0.12,0.05")
    dot.attr("edge", color=INK, arrowsize="0.6", penwidth="0.8")
    layout = _Layout(graph)
    layout.fill(dot, None, style)
    for edge in graph.edges:
        source, target = graph.node(edge.source), graph.node(edge.target)
        dot.edge(edge.source, edge.target, **_edge_attrs(source, target))
    if style.legend:
        _legend(dot, graph, style.shading)
    return str(dot.source)


class _Layout:
    """Which modules get a box, what lies directly in each, and which nodes sit side by side.

    Inception modules, aux heads and opened rows get a box; the branches inside a module do
    not (the paper's Figure 2 draws none, and graphviz orders boxed branches unreliably). The
    parallel nodes that read one source (an Inception module's branches) are put on one rank
    in the graph's order, so the branches read 1×1, 3×3, 5×5, pool as in Figure 2.
    """

    def __init__(self, graph: DiagramGraph) -> None:
        self.boxes = {box.id: box for box in graph.containers if _boxed(box)}
        self.children: dict[str | None, list[Container]] = {}
        for box in self.boxes.values():
            self.children.setdefault(self.within(box.parents), []).append(box)
        self.members: dict[str | None, list[DiagramNode]] = {}
        for node in graph.nodes:
            self.members.setdefault(self.within(node.parents), []).append(node)
        self.rows: dict[str | None, list[list[str]]] = {}
        for group in _fan_outs(graph):
            self.rows.setdefault(self.within(graph.node(group[0]).parents), []).append(group)

    def within(self, parents: tuple[str, ...]) -> str | None:
        """The innermost box among ``parents``."""
        return next((parent for parent in reversed(parents) if parent in self.boxes), None)

    def fill(self, dot: graphviz.Digraph, box_id: str | None, style: DiagramStyle) -> None:
        """Adds what lies directly in the box ``box_id`` (the root for None), then its boxes."""
        for node in self.members.get(box_id, []):
            ink = style.shading.fonts.get(node.id) if style.shading is not None else None
            label = node_label(node, style.annotations, box_id, ink)
            dot.node(node.id, label=label, **_node_attrs(node, style.shading))
        for group in self.rows.get(box_id, []):
            with dot.subgraph() as row:
                row.attr(rank="same")
                for source, target in pairwise(group):
                    row.edge(source, target, style="invis")
        for box in self.children.get(box_id, []):
            with dot.subgraph(name=f"cluster_{box.id}") as cluster:
                label = container_label(box, style.annotations, self.within(box.parents))
                cluster.attr(label=label, **_box_attrs(box))
                self.fill(cluster, box.id, style)


def _boxed(box: Container) -> bool:
    return box.kind in ("inception", "aux head") or not box.parents


def _fan_outs(graph: DiagramGraph) -> list[list[str]]:
    """Groups of two or more nodes that read the same source, lie in the same module and aux
    head, and do not read each other: parallel branches, in the graph's order. A node that
    reads two sources (a residual sum: its shortcut and its projection) joins, not branches."""
    groups: dict[tuple[str, tuple[str, ...], str | None], list[str]] = {}
    sources: dict[str, set[str]] = {}
    for edge in graph.edges:
        sources.setdefault(edge.target, set()).add(edge.source)
    for edge in graph.edges:
        target = graph.node(edge.target)
        if target.role == "layer" and len(sources[target.id]) == 1:
            groups.setdefault((edge.source, target.parents[:1], target.head), []).append(target.id)
    linked = {(edge.source, edge.target) for edge in graph.edges}
    return [
        group
        for group in groups.values()
        if len(group) > 1 and not any((a, b) in linked for a in group for b in group)
    ]


def _node_attrs(node: DiagramNode, shading: Shading | None) -> dict[str, str]:
    if node.role == "context":
        return {"style": "rounded,dashed", "color": AUX_INK, "fontcolor": AUX_INK}
    attrs = {"fillcolor": fill(node.kind)}
    if shading is not None:
        attrs = {"fillcolor": shading.fills.get(node.id, NO_VALUE)}
        if node.id in shading.fonts:
            attrs["fontcolor"] = shading.fonts[node.id]
    if node.role in ("input", "output"):
        attrs |= {"shape": "box", "style": "filled", "penwidth": "1.2"}
    if node.head is not None:
        attrs |= {"style": f"{attrs.get('style', 'rounded,filled')},dashed", "color": AUX_INK}
    elif not node.parents:
        attrs["group"] = "main"
    return attrs


def _box_attrs(box: Container) -> dict[str, str]:
    common = {"fontname": FONT, "fontsize": "10", "labeljust": "l", "penwidth": "0.8"}
    if box.kind == "aux head":
        return common | {"style": "dashed,filled", "color": AUX_INK, "fillcolor": "#f4f4f4"}
    return common | {"style": "rounded,filled", "color": INK, "fillcolor": "#fffbeb"}


def _edge_attrs(source: DiagramNode, target: DiagramNode) -> dict[str, str]:
    if target.head is not None:
        return {"style": "dashed", "color": AUX_INK}
    if source.role == "context" or target.role == "context":
        return {"style": "dashed", "color": AUX_INK}
    main = not source.parents and not target.parents and source.head is None
    return {"weight": "8"} if main else {}


def _legend(dot: graphviz.Digraph, graph: DiagramGraph, shading: Shading | None) -> None:
    """One table node: a swatch per layer kind drawn (or the cost scale's stops), and the
    training-only style."""
    drawn = [node for node in graph.nodes if node.role != "context"]
    if shading is not None:
        rows = [f'<TR><TD COLSPAN="2" ALIGN="LEFT"><B>{escape(shading.title)}</B></TD></TR>']
        swatches = [*reversed(shading.stops)] + (
            [(NO_VALUE, "no value")] if shading.missing else []
        )
        rows += [
            f'<TR><TD BORDER="1" BGCOLOR="{colour}" WIDTH="18"> </TD>'
            f'<TD ALIGN="LEFT">{escape(text)}</TD></TR>'
            for colour, text in swatches
        ]
    else:
        kinds = [kind for kind in KIND_NAMES if any(node.kind == kind for node in drawn)]
        names = KIND_NAMES | ({"convolution": "convolution"} if graph.depth == "operations" else {})
        rows = [
            f'<TR><TD BORDER="1" BGCOLOR="{fill(kind)}" WIDTH="18"> </TD>'
            f'<TD ALIGN="LEFT">{names[kind]}</TD></TR>'
            for kind in kinds
        ]
    if any(node.head is not None for node in drawn):
        rows.append(
            '<TR><TD BORDER="1" STYLE="dashed" BGCOLOR="#f4f4f4" WIDTH="18"> </TD>'
            '<TD ALIGN="LEFT">training only (aux head)</TD></TR>'
        )
    if not rows:  # nothing to explain (a network of no layers): an empty table is no DOT
        return
    table = (
        '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="3" CELLPADDING="2" COLOR="#999999">'
        + "".join(rows)
        + "</TABLE>>"
    )
    dot.node(LEGEND, label=table, shape="plaintext", style="", fontsize="9")
    first = next((n.id for n in graph.nodes if not n.parents), None)
    if first is not None:
        with dot.subgraph() as top:
            top.attr(rank="same")
            top.node(first)
            top.node(LEGEND)


def _name(graph: DiagramGraph) -> str:
    return graph.network.lower() + (f"_{graph.module}" if graph.module else "")


def _title(graph: DiagramGraph) -> str:
    what = graph.module or "whole network"
    size = graph.input_size
    return f"{graph.network} ({graph.label}): {what}, depth: {graph.depth}, input {size}×{size}"
