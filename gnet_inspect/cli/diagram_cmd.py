"""``gnet-inspect diagram``: the network, or one module, drawn by graphviz from the built model."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from gnet_inspect.cli.app import (
    InputSize,
    Output,
    Reduce,
    ReduceOption,
    SpecFile,
    TableName,
    Variant,
    WhatIfOption,
    app,
    depth_option,
    load,
)
from gnet_inspect.cli.emit import emit
from gnet_inspect.errors import OptionError
from gnet_inspect.render.diagram_shading import COLOR_BY
from gnet_inspect.reports.diagram.tree import DEPTHS

__all__ = ["Direction", "FigureFormat", "diagram"]


class Direction(str, Enum):
    """Which way the figure flows (``--direction``)."""

    TB = "TB"
    LR = "LR"


class FigureFormat(str, Enum):
    """The figure's format (``--format``)."""

    svg = "svg"
    png = "png"
    pdf = "pdf"
    dot = "dot"


ModuleOption = Annotated[
    str | None,
    typer.Option(
        "--module",
        "-m",
        help="Draw one module (a row id such as inception_4a, an aux head such as aux_4a, "
        "or a qualified submodule) with its neighbouring rows. Default: the whole network.",
        show_default=False,
    ),
]
DepthOption = Annotated[
    str | None,
    depth_option(DEPTHS, None, " Default: modules for the network, layers for a module."),
]
FigureFormatOption = Annotated[
    FigureFormat | None,
    typer.Option(
        "--format",
        "-f",
        help="svg, png or pdf (rendered by graphviz's dot), or dot (the DOT source, no graphviz "
        "needed). Default: the one the --output file's suffix names (.svg, .png, .pdf, .dot, "
        ".gv), else svg; a suffix that names another format is refused.",
        show_default=False,
    ),
]
DirectionOption = Annotated[
    Direction,
    typer.Option(case_sensitive=False, help="TB: top to bottom; LR: left to right."),
]
AnnotateOption = Annotated[
    str,
    typer.Option(
        help="What each node shows besides its layer: any of shape, params, macs "
        "(comma-separated), or none.",
    ),
]
LegendOption = Annotated[bool, typer.Option(help="Draw a legend of the colours.")]
ColorByOption = Annotated[
    str | None,
    typer.Option(
        "--color-by",
        metavar=f"[{'|'.join(COLOR_BY)}]",
        help="Colour the nodes by cost on a scale with its legend: MACs, parameters, memory "
        "(weights and output, float32, one image) or latency (from --result). Default: by "
        "layer kind; latency with --result.",
        show_default=False,
    ),
]
ResultOption = Annotated[
    Path | None,
    typer.Option(
        "--result",
        help="A saved profile (gnet-inspect profile --format json -o FILE): draw its network "
        "at its depth, coloured by its latencies, without building the network. With "
        "--variant or --spec, that table is drawn and must be the one profiled.",
        show_default=False,
    ),
]


@app.command()
def diagram(
    module: ModuleOption = None,
    depth: DepthOption = None,
    variant: Variant = None,
    spec: SpecFile = None,
    table: TableName = None,
    input_size: InputSize = None,
    reduce: ReduceOption = Reduce.on,
    whatif: WhatIfOption = None,
    format: FigureFormatOption = None,
    output: Output = None,
    direction: DirectionOption = Direction.TB,
    annotate: AnnotateOption = "shape,params,macs",
    legend: LegendOption = True,
    color_by: ColorByOption = None,
    result: ResultOption = None,
) -> None:
    """Draw the network (Figure 3) or one module (Figure 2) with graphviz.

    Every node carries its measured output shape, params and MACs: the numbers `table` prints.
    """
    from gnet_inspect.measure.levels import pick_level
    from gnet_inspect.render.figure import draw_graph, figure_request

    if depth is not None:
        pick_level(depth, DEPTHS)
    chosen = format.value if format else None
    target = None if output is not None and str(output) == "-" else output  # "-" is stdout
    profile = None
    if result is not None:
        from gnet_inspect.reports.profile.saved import load_profile

        profile = load_profile(result)
        color_by = color_by or "latency"
    request = figure_request(
        chosen, target, annotate, direction.value, legend, sys.stdout.isatty(), color_by, profile
    )
    if profile is not None and module is not None:
        raise OptionError(
            "--module draws one module; a saved profile colours the whole network: leave "
            "out --module, or colour the module by macs, params or memory"
        )
    if profile is not None and depth not in (None, profile.settings.depth):
        raise OptionError(
            f"--depth {depth}: {result} was profiled at depth {profile.settings.depth}; "
            "draw it at that depth, or profile again at this one"
        )
    table_options = (spec, table, variant, input_size, whatif)
    if profile is not None and profile.diagram is not None and not any(table_options):
        if reduce != Reduce.on:
            raise OptionError("--reduce draws from the table; with --result give --variant too")
        emit(draw_graph(profile.diagram, request), output)  # no network built, no torch
        return
    from gnet_inspect.measure.measure import measure
    from gnet_inspect.reports.diagram.graph import diagram_graph

    measured = measure(load(spec, variant, reduce, whatif, table), input_size)
    if profile is not None:
        depth = depth or profile.settings.depth
    graph = diagram_graph(measured, depth, module)
    if profile is not None:
        from gnet_inspect.reports.profile.saved import check_same_table

        check_same_table(profile, graph, str(result))
    emit(draw_graph(graph, request), output)
