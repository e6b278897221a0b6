"""One figure as ``gnet-inspect diagram`` asks for it: its options checked first, then drawn.

Every option is resolved before any network is built, so a bad one costs nothing: the format
(``--format``, or the one the output file's suffix names, never one that contradicts it), the
annotations, the direction, and graphviz's ``dot`` where the format needs it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from gnet_inspect.errors import OptionError
from gnet_inspect.render.diagram import (
    FORMATS,
    DiagramFormat,
    DiagramStyle,
    Direction,
    render_diagram,
    require_dot,
)
from gnet_inspect.render.diagram_labels import ANNOTATIONS, Annotation
from gnet_inspect.render.diagram_shading import NEEDS_PROFILE, ColorBy, pick_color_by, shade
from gnet_inspect.reports.diagram.graph import DiagramGraph
from gnet_inspect.reports.profile.result import LatencyProfile

if TYPE_CHECKING:
    from gnet_inspect.measure.measure import Measurement

__all__ = [
    "FigureRequest",
    "diagram_format",
    "draw_figure",
    "draw_graph",
    "figure_request",
    "parse_annotations",
]

_SUFFIXES: dict[str, DiagramFormat] = {".svg": "svg", ".png": "png", ".pdf": "pdf"}
_SUFFIXES |= {".dot": "dot", ".gv": "dot"}
# Figure formats graphviz could write but this tool does not: a file named so is refused rather
# than filled with another format's bytes.
_OTHER_FIGURES = frozenset({".gif", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ps"})
_DIRECTIONS: tuple[Direction, ...] = ("TB", "LR")
_BINARY = ("png", "pdf")
_WRITE_DOT = "or write the DOT source with --format dot"


@dataclass(frozen=True)
class FigureRequest:
    """A figure's resolved options: the format of its bytes, how it is drawn, and what its
    nodes are coloured by (their layer kind when None; a profile gives latencies)."""

    format: DiagramFormat
    style: DiagramStyle
    color_by: ColorBy | None = None
    profile: LatencyProfile | None = None


def figure_request(
    format: str | None = None,
    output: Path | None = None,
    annotate: str = "shape,params,macs",
    direction: str = "TB",
    legend: bool = True,
    to_terminal: bool = False,
    color_by: str | None = None,
    profile: LatencyProfile | None = None,
) -> FigureRequest:
    """Resolves and checks a figure's options, before any work is done.

    Args:
        format: svg, png, pdf or dot; None for the one ``output``'s suffix names, else svg.
        output: the file the figure goes to; None for stdout.
        annotate: ``shape,params,macs`` (any subset) or ``none``, as ``parse_annotations``.
        direction: ``TB`` (top to bottom) or ``LR`` (left to right).
        legend: whether a legend of the colours is drawn.
        to_terminal: whether stdout, the figure's destination without ``output``, is a
            terminal (which a binary figure would garble).
        color_by: ``macs``, ``params``, ``memory`` or ``latency`` (``diagram_shading``);
            None colours by layer kind.
        profile: a latency profile, for ``latency`` (which needs one).

    Raises:
        OptionError: an option is unknown, contradicts another, or sends PNG or PDF bytes to
            a terminal.
        RenderError: the format needs graphviz's ``dot`` and it is not installed.
    """
    chosen = diagram_format(format, output)
    require_dot(chosen, _WRITE_DOT)
    if chosen in _BINARY and output is None and to_terminal:
        raise OptionError(f"{chosen} is binary; write it to a file with --output FILE.{chosen}")
    style = DiagramStyle(_direction(direction), parse_annotations(annotate), legend)
    by = None if color_by is None else pick_color_by(color_by)
    if by == "latency" and profile is None:
        raise OptionError(NEEDS_PROFILE)
    return FigureRequest(chosen, style, by, profile)


def draw_figure(
    measured: Measurement,
    request: FigureRequest,
    depth: str | None = None,
    module: str | None = None,
) -> bytes:
    """Draws the measured network (or its ``module``) as ``request`` says.

    Raises:
        OptionError: ``module`` names no module of the network, or ``depth`` is unknown.
        RenderError: ``dot`` fails.
    """
    from gnet_inspect.reports.diagram.graph import diagram_graph

    return draw_graph(diagram_graph(measured, depth, module), request)


def draw_graph(graph: DiagramGraph, request: FigureRequest) -> bytes:
    """Draws ``graph`` (measured, or saved with a profile) as ``request`` says, coloured by
    cost if it asks.

    Raises:
        RenderError: ``dot`` fails.
    """
    style = request.style
    if request.color_by is not None:
        style = replace(style, shading=shade(graph, request.color_by, request.profile))
    return render_diagram(graph, request.format, style)


def diagram_format(requested: str | None, output: Path | None) -> DiagramFormat:
    """The requested format, else the one the output file's suffix names, else SVG.

    A file without a suffix takes the requested format, or SVG.

    Raises:
        OptionError: ``requested`` is unknown; nothing is requested and the output's suffix
            names no format written here (``.gif``, ``.txt``); or the suffix names another
            format than the one requested.
    """
    suffix = output.suffix.lower() if output is not None else ""
    named = _SUFFIXES.get(suffix)
    if requested is None:
        if suffix and named is None:
            raise OptionError(
                f"cannot tell the format of {output} from its suffix '{suffix}': the formats "
                f"are {', '.join(FORMATS)}; name the file {_suffix_list()}, or give --format"
            )
        return named or "svg"
    chosen = _known_format(requested)
    if output is not None and (named not in (None, chosen) or suffix in _OTHER_FIGURES):
        instead = f", or leave out --format to write {named}" if named else ""
        raise OptionError(
            f"--format {chosen} contradicts the output {output} (a '{suffix}' file); write "
            f"to {output.with_suffix('.' + chosen)}{instead}"
        )
    return chosen


def parse_annotations(text: str) -> tuple[Annotation, ...]:
    """Reads ``shape,params,macs`` (any subset, in any order) or ``none``.

    Raises:
        OptionError: a name is unknown, none is given, or ``none`` comes with others.
    """
    names = [name.strip() for name in text.split(",") if name.strip()]
    if names == ["none"]:
        return ()
    available = f"{', '.join(ANNOTATIONS)} (comma-separated)"
    if "none" in names:
        raise OptionError(
            f"annotation 'none' stands alone, not with others ('{text}'); give either none "
            f"or any of {available}"
        )
    unknown = [name for name in names if name not in ANNOTATIONS]
    if unknown or not names:
        raise OptionError(
            f"unknown annotation '{','.join(unknown) or text}'; available: {available}, or none"
        )
    return tuple(name for name in ANNOTATIONS if name in names)


def _known_format(requested: str) -> DiagramFormat:
    for known in FORMATS:
        if known == requested:
            return known
    raise OptionError(f"unknown format '{requested}'; available: {', '.join(FORMATS)}")


def _direction(text: str) -> Direction:
    for known in _DIRECTIONS:
        if known == text.upper():
            return known
    raise OptionError(f"unknown direction '{text}'; available: {', '.join(_DIRECTIONS)}")


def _suffix_list() -> str:
    suffixes = list(_SUFFIXES)
    return f"{', '.join(suffixes[:-1])} or {suffixes[-1]}"
