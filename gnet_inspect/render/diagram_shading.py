"""A diagram coloured by cost: each node's fill from a colour scale of its MACs, parameters,
memory or measured latency, and the scale's legend.

The scale runs linearly in value from zero to the largest value drawn (matplotlib's
``YlOrRd``: pale yellow is cheap, dark red is dear; the legend gives the value at five
points of it). A node with no
value (the input, the outputs, an aux head in a latency profile, which does not run at
inference) stays white and the legend says so. Memory is a node's weights and its output
activations, float32, for one image: what it holds, whatever ran it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from gnet_inspect.errors import OptionError
from gnet_inspect.render.format import binary_bytes, si
from gnet_inspect.reports.diagram.graph import DiagramGraph, DiagramNode
from gnet_inspect.reports.profile.result import LatencyProfile

__all__ = [
    "COLOR_BY",
    "LIGHT_INK",
    "NEEDS_PROFILE",
    "NO_VALUE",
    "ColorBy",
    "Shading",
    "pick_color_by",
    "shade",
]

ColorBy = Literal["macs", "params", "memory", "latency"]
COLOR_BY: tuple[ColorBy, ...] = get_args(ColorBy)
NO_VALUE = "#ffffff"
LIGHT_INK = "#ffffff"
"""The text colour on a fill too dark for black (chosen from the fill's luminance)."""
NEEDS_PROFILE = (
    "--color-by latency needs a saved profile: --result FILE, written by "
    "gnet-inspect profile --format json -o FILE"
)
_STOPS = 5
_TITLES: dict[ColorBy, str] = {
    "macs": "MACs per image",
    "params": "parameters",
    "memory": "weights + output, float32, one image",
    "latency": "median latency",
}


@dataclass(frozen=True)
class Shading:
    """Each coloured node's fill and font colour, and the legend: its title and its stops
    (colour and value), lowest first."""

    fills: dict[str, str]
    fonts: dict[str, str]
    title: str
    stops: tuple[tuple[str, str], ...]
    missing: bool
    """Whether some drawn node has no value (and stays white)."""


def pick_color_by(name: str) -> ColorBy:
    for known in COLOR_BY:
        if known == name:
            return known
    raise OptionError(f"unknown --color-by '{name}'; available: {', '.join(COLOR_BY)}")


def shade(graph: DiagramGraph, by: ColorBy, profile: LatencyProfile | None = None) -> Shading:
    """The colours of ``graph``'s nodes by ``by``; ``latency`` reads ``profile``'s medians.

    Raises:
        OptionError: ``latency`` without a profile.
    """
    from matplotlib import colormaps
    from matplotlib.colors import to_hex, to_rgb

    if by == "latency" and profile is None:
        raise OptionError(NEEDS_PROFILE)
    values = {
        node.id: value
        for node in graph.nodes
        if node.role != "context" and (value := _value(node, by, profile)) is not None
    }
    top = max(values.values(), default=0.0) or 1.0
    scale = colormaps["YlOrRd"]
    fills = {node: to_hex(scale(value / top)) for node, value in values.items()}
    fonts = {node: LIGHT_INK if _dark(to_rgb(fill)) else "#000000" for node, fill in fills.items()}
    stops = tuple(
        (to_hex(scale(i / (_STOPS - 1))), _format(by, top * i / (_STOPS - 1), profile))
        for i in range(_STOPS)
    )
    drawn = [n for n in graph.nodes if n.role != "context"]
    title = _TITLES[by] + (f", {profile.settings.device}" if by == "latency" and profile else "")
    return Shading(fills, fonts, title, stops, missing=len(values) < len(drawn))


def _value(node: DiagramNode, by: ColorBy, profile: LatencyProfile | None) -> float | None:
    if node.role != "layer":
        return None
    if by == "macs":
        return None if node.macs is None else float(node.macs)
    if by == "params":
        return None if node.params is None else float(node.params)
    if by == "memory":
        if node.output is None:
            return None
        output = node.output.height * node.output.width * node.output.channels
        return 4.0 * (output + (node.params or 0))
    assert profile is not None
    block = next((b for b in profile.blocks if b.id == node.id), None)
    return None if block is None else block.latency.median_ms


def _format(by: ColorBy, value: float, profile: LatencyProfile | None) -> str:
    if by == "latency":
        return f"{value:.3g} ms"
    if by == "memory":
        return binary_bytes(int(value))
    return si(value)


def _dark(rgb: tuple[float, float, float]) -> bool:
    """Whether white text reads better than black on ``rgb``: by WCAG's contrast ratio, from
    the fill's relative luminance (either ink then has at least 4.5:1, whatever the fill)."""
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return (1.05 / (luminance + 0.05)) > ((luminance + 0.05) / 0.05)
