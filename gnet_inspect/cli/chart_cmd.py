"""``gnet-inspect chart``: pictures of a saved profile or lineage, drawn without building a
network."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from gnet_inspect.cli.app import Output, app
from gnet_inspect.cli.emit import emit

__all__ = ["ChartKind", "chart"]


class ChartKind(str, Enum):
    """Which chart (``--kind``)."""

    shares = "shares"
    roofline = "roofline"
    errors = "errors"
    stages = "stages"


_LINEAGE_KINDS = (ChartKind.errors, ChartKind.stages)


@app.command()
def chart(
    result: Annotated[
        Path,
        typer.Argument(
            help="A saved profile (gnet-inspect profile --format json -o FILE) or lineage "
            "(gnet-inspect lineage --format json -o FILE).",
            show_default=False,
        ),
    ],
    kind: Annotated[
        ChartKind,
        typer.Option(
            "--kind",
            help="Of a profile: shares (each block's share of the MACs, parameters and "
            "latency, the aux heads apart) or roofline (achieved FLOP/s against arithmetic "
            "intensity under the device's measured ceilings). Of a lineage: errors (each "
            "generation's printed error against its MACs, and its latency when timed) or "
            "stages (each generation's MACs by grid size, stacked).",
        ),
    ] = ChartKind.shares,
    format: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            metavar="[svg|png|pdf]",
            help="Default: the one the --output file's suffix names, else svg.",
            show_default=False,
        ),
    ] = None,
    output: Output = None,
) -> None:
    """Draw a saved profile's or lineage's charts: where the cost goes, its roofline, what each
    generation bought. No torch needed."""
    from gnet_inspect.errors import OptionError
    from gnet_inspect.render.chart_kit import pick_chart_format
    from gnet_inspect.render.figure import diagram_format
    from gnet_inspect.reports.profile.saved import load_profile

    target = None if output is not None and str(output) == "-" else output
    chosen = diagram_format(format, target)
    if chosen == "dot":
        raise OptionError("a chart is svg, png or pdf; dot is for diagrams")
    chart_format = pick_chart_format(chosen)
    if chart_format != "svg" and target is None and sys.stdout.isatty():
        raise OptionError(f"{chosen} is binary; write it to a file with --output FILE.{chosen}")
    if kind in _LINEAGE_KINDS:
        from gnet_inspect.render.chart_lineage import draw_errors, draw_stages
        from gnet_inspect.reports.lineage.saved import load_lineage

        lineage = load_lineage(result)
        draw = draw_errors if kind == ChartKind.errors else draw_stages
        emit(draw(lineage, chart_format), output)
        return
    profile = load_profile(result)
    if kind == ChartKind.roofline:
        from gnet_inspect.render.chart_roofline import draw_roofline

        emit(draw_roofline(profile, chart_format), output)
    else:
        from gnet_inspect.render.chart_shares import draw_shares

        emit(draw_shares(profile, chart_format), output)
