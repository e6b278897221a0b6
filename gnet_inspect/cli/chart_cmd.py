"""``gnet-inspect chart``: pictures of a saved profile, drawn without building the network."""

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


@app.command()
def chart(
    result: Annotated[
        Path,
        typer.Argument(
            help="A saved profile: gnet-inspect profile --format json -o FILE.",
            show_default=False,
        ),
    ],
    kind: Annotated[
        ChartKind,
        typer.Option(
            "--kind",
            help="shares: each block's share of the MACs, parameters and latency, the aux "
            "heads apart; roofline: achieved FLOP/s against arithmetic intensity under the "
            "device's measured ceilings.",
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
    """Draw a saved profile's charts: where the cost goes, or its roofline. No torch needed."""
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
    profile = load_profile(result)
    if kind == ChartKind.roofline:
        from gnet_inspect.render.chart_roofline import draw_roofline

        emit(draw_roofline(profile, chart_format), output)
    else:
        from gnet_inspect.render.chart_shares import draw_shares

        emit(draw_shares(profile, chart_format), output)
