"""Pictures of a saved lineage: the printed error against the measured cost, one point per
generation, and where each generation spends its MACs by grid size.

``errors``: each generation's printed top-1 and top-5 error (%) against its MACs (G), and
against its measured forward latency (ms) when the lineage was timed; each point carries the id
``<x>-<top1|top5>-<table>`` (x: ``macs`` or ``latency``), a generation whose table prints no
such rate has no point. ``stages``: one bar per generation, its stages stacked in order, each
segment the stage's MACs (G) with the id ``stage-<table>-<grid>``, coloured by grid size (the
same grid the same colour in every bar). Drawn without torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gnet_inspect.render.chart_kit import COLORS, ChartFormat, draw_chart, text_width
from gnet_inspect.reports.lineage.result import Generation, Lineage

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["RATES", "draw_errors", "draw_stages", "error_points"]

RATES = ("top1", "top5")
_MARKERS = {"top1": ("o", COLORS["macs"]), "top5": ("s", COLORS["params"])}
_NAMES = {"top1": "top-1 error", "top5": "top-5 error"}


def error_points(lineage: Lineage, rate: str) -> list[tuple[Generation, float]]:
    """The generations that print ``rate`` (``top1`` or ``top5``), and the rate (%)."""
    points = []
    for g in lineage.generations:
        value = getattr(g.error, rate) if g.error is not None else None
        if value is not None:
            points.append((g, value))
    return points


def draw_errors(lineage: Lineage, format: ChartFormat) -> bytes:
    """The printed error against MACs (and against latency when timed), as SVG, PNG or PDF."""
    panels = 2 if lineage.timed else 1
    return draw_chart(
        (4.6 * panels + 0.6, 4.2),
        (0.6, 0.25, 0.65, 1.05),
        lambda figure: _paint_errors(figure, lineage, panels),
        format,
    )


def _paint_errors(figure: Figure, lineage: Lineage, panels: int) -> None:
    axes_macs = figure.add_subplot(1, panels, 1)
    _scatter(axes_macs, lineage, "macs", lambda g: g.macs / 1e9)
    axes_macs.set_xlabel("multiply-adds per image (G), measured")
    axes_macs.set_ylabel("printed single-model error (%)")
    if panels == 2:
        axes_latency = figure.add_subplot(1, 2, 2, sharey=axes_macs)
        _scatter(
            axes_latency, lineage, "latency", lambda g: g.latency.median_ms if g.latency else 0
        )
        timed = lineage.generations[0].latency
        assert timed is not None
        axes_latency.set_xlabel(
            f"forward latency (ms), batch {timed.batch_size} on {timed.device}, measured"
        )
    # lower left: below the lowest printed error and left of the cheapest network
    axes_macs.legend(loc="lower left", ncol=2, frameon=False, fontsize=8)
    figure.suptitle(
        "What each generation bought: printed error against measured cost",
        x=0.01,
        ha="left",
        fontsize=10,
    )
    sources = [f"{g.table}: {g.error.source}" for g in lineage.generations if g.error]
    figure.text(0.01, 0.01, "\n".join(sources), ha="left", va="bottom", fontsize=6, color="#666666")


def _scatter(axes: Any, lineage: Lineage, name: str, x_of: Any) -> None:
    for rate in RATES:
        marker, color = _MARKERS[rate]
        points = error_points(lineage, rate)
        for index, (generation, value) in enumerate(points):
            (point,) = axes.plot(
                [x_of(generation)], [value], marker=marker, linestyle="none", color=color
            )
            point.set_gid(f"{name}-{rate}-{generation.table}")
            axes.annotate(  # above and below in turn: neighbours' labels never meet
                _short(generation.table),
                (x_of(generation), value),
                xytext=(5, 4 if index % 2 == 0 else -10),
                textcoords="offset points",
                fontsize=7,
            )
        if len(points) > 1:  # the generations in order, joined
            axes.plot(
                [x_of(g) for g, _ in points],
                [v for _, v in points],
                color=color,
                alpha=0.35,
                linewidth=0.8,
            )
        axes.plot([], [], marker=marker, linestyle="none", color=color, label=_NAMES[rate])
    furthest = max((x_of(g) for g in lineage.generations), default=1.0)
    axes.set_ylim(bottom=0)
    axes.set_xlim(0, 1.25 * furthest)  # room for the last point's label
    axes.grid(alpha=0.3)


def _short(label: str, most: int = 32) -> str:
    """A table's label on a chart: cut (with …) past ``most`` characters, so that a long file
    name leaves room for the plot."""
    return label if len(label) <= most else label[: most - 1] + "…"


def draw_stages(lineage: Lineage, format: ChartFormat) -> bytes:
    """Each generation's MACs by stage, stacked, as SVG, PNG or PDF bytes."""
    left = 0.3 + max(text_width(_short(g.table)) for g in lineage.generations)
    height = 1.6 + 0.45 * len(lineage.generations)
    return draw_chart(
        (7.5, height), (left, 1.5, 0.55, 0.55), lambda f: _paint_stages(f, lineage), format
    )


def _paint_stages(figure: Figure, lineage: Lineage) -> None:
    from matplotlib import colormaps

    axes = figure.add_subplot()
    grids = sorted(
        {s.grid for g in lineage.generations for s in g.stages},
        key=lambda grid: -int(grid.split("×")[0]),
    )
    palette = colormaps["viridis"]
    colour = {grid: palette(i / max(1, len(grids) - 1)) for i, grid in enumerate(grids)}
    for y, generation in enumerate(lineage.generations):
        start = 0.0
        for stage in generation.stages:
            width = stage.macs / 1e9
            (bar,) = axes.barh(
                [y], [width], left=start, color=colour[stage.grid], height=0.6
            ).patches
            bar.set_gid(f"stage-{generation.table}-{stage.grid}")
            start += width
    axes.set_yticks(range(len(lineage.generations)), [_short(g.table) for g in lineage.generations])
    axes.invert_yaxis()
    axes.set_xlabel("multiply-adds per image (G), by the grid size the stage outputs")
    axes.grid(axis="x", alpha=0.3)
    axes.set_axisbelow(True)
    for grid in grids:
        axes.barh([0], [0], color=colour[grid], label=grid)
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)
    axes.set_title(
        "Where each generation spends its multiply-adds, stage by stage", loc="left", fontsize=10
    )
