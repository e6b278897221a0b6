"""``gnet-inspect diagram``: the network, or one module, drawn by graphviz from the built model."""

from __future__ import annotations

import sys
from enum import Enum
from typing import Annotated

import typer

from gnet_inspect.cli.app import (
    InputSize,
    Output,
    Reduce,
    ReduceOption,
    SpecFile,
    Variant,
    app,
    load,
)
from gnet_inspect.cli.emit import emit
from gnet_inspect.errors import OptionError

__all__ = ["Depth", "Direction", "FigureFormat", "diagram"]


class Depth(str, Enum):
    modules = "modules"
    branches = "branches"
    layers = "layers"
    operations = "operations"


class Direction(str, Enum):
    TB = "TB"
    LR = "LR"


class FigureFormat(str, Enum):
    svg = "svg"
    png = "png"
    pdf = "pdf"
    dot = "dot"


FigureFormatOption = Annotated[
    FigureFormat | None,
    typer.Option(
        "--format",
        "-f",
        help="svg, png or pdf (rendered by graphviz's dot), or dot (the DOT source, no graphviz "
        "needed). Default: the --output file's suffix, else svg.",
        show_default=False,
    ),
]


@app.command()
def diagram(
    module: Annotated[
        str | None,
        typer.Option(
            "--module",
            "-m",
            help="Draw one module (a row id such as inception_4a, an aux head such as aux_4a, "
            "or a qualified submodule) with its neighbouring rows. Default: the whole network.",
            show_default=False,
        ),
    ] = None,
    depth: Annotated[
        Depth | None,
        typer.Option(
            help="How far modules are opened: modules (one node per row), branches, layers "
            "(each convolution and pool), operations (ReLU, BatchNorm too). Default: modules "
            "for the network, layers for a module.",
            show_default=False,
        ),
    ] = None,
    variant: Variant = None,
    spec: SpecFile = None,
    input_size: InputSize = None,
    reduce: ReduceOption = Reduce.on,
    format: FigureFormatOption = None,
    output: Output = None,
    direction: Annotated[
        Direction,
        typer.Option(case_sensitive=False, help="TB: top to bottom; LR: left to right."),
    ] = Direction.TB,
    annotate: Annotated[
        str,
        typer.Option(
            help="What each node shows besides its layer: any of shape, params, macs "
            "(comma-separated), or none.",
        ),
    ] = "shape,params,macs",
    legend: Annotated[bool, typer.Option(help="Draw a legend of the colours.")] = True,
) -> None:
    """Draw the network (the paper's Figure 3) or one module (Figure 2) with graphviz, every node
    carrying its measured output shape, params and MACs (the numbers `table` prints)."""
    from gnet_inspect.analysis.diagram_graph import network_diagram
    from gnet_inspect.render.diagram import (
        DiagramStyle,
        diagram_format,
        parse_annotations,
        render_diagram,
        require_dot,
    )

    chosen = diagram_format(format.value if format else None, output)
    require_dot(chosen)
    if chosen in ("png", "pdf") and output is None and sys.stdout.isatty():
        raise OptionError(f"{chosen} is binary; write it to a file with --output FILE.{chosen}")
    style = DiagramStyle(direction.value, parse_annotations(annotate), legend)
    level = depth.value if depth else None
    graph = network_diagram(load(spec, variant, reduce), level, module, input_size)
    emit(render_diagram(graph, chosen, style), output)
