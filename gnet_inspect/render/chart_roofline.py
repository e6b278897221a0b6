"""The roofline: each block's achieved FLOP/s against its arithmetic intensity, under the
device's measured ceilings.

Intensity is FLOPs per byte of the block's least traffic (activations read and written and
weights read, in the profiled dtype: ``LatencyProfile.intensity``); the roof is the lower of
the measured compute ceiling and bandwidth × intensity. A block left of the ridge point is
memory-bound and drawn in the memory colour. Blocks without multiply-adds (pools,
concatenations) have no FLOPs to place and are named under the chart. Each point carries
the id ``point-<block id>``; the two ceilings ``ceiling-compute`` and ``ceiling-bandwidth``.
"""

from __future__ import annotations

import math
import textwrap
from typing import TYPE_CHECKING, Any

from gnet_inspect.errors import ResultError
from gnet_inspect.render.chart_kit import COLORS, ChartFormat, draw_chart, text_width
from gnet_inspect.render.format import si
from gnet_inspect.reports.profile.result import BlockLatency, Ceilings, LatencyProfile

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["LABEL_POINTS", "draw_roofline", "roofline_points"]

LABEL_POINTS = 7
"""The size of a point's label, in points."""
_LINE = LABEL_POINTS * 1.25  # a label's height, with its leading
_Box = tuple[float, float, float, float]


def roofline_points(profile: LatencyProfile) -> list[tuple[BlockLatency, float, float]]:
    """Each block with FLOPs: the block, its intensity (FLOPs per byte) and its FLOP/s."""
    batch = profile.settings.batch_size
    points = [
        (b, profile.intensity(b), 2 * b.macs * batch / (b.latency.median_ms / 1e3))
        for b in profile.blocks
        if b.macs and b.traffic_bytes and b.latency.median_ms > 0
    ]
    return [p for p in points if math.isfinite(p[2]) and p[1] > 0]


def draw_roofline(profile: LatencyProfile, format: ChartFormat) -> bytes:
    """The roofline of ``profile`` as SVG, PNG or PDF bytes."""
    if profile.ceilings is None:
        raise ResultError("this profile has no measured ceilings to draw a roofline under")
    ceilings = profile.ceilings
    notes = _notes(profile, ceilings)
    margins = (0.8, 0.2, 0.45, 0.7 + 0.11 * len(notes))
    size = (7.5, 5.0 + 0.11 * len(notes))
    return draw_chart(size, margins, lambda f: _paint(f, profile, ceilings, notes), format)


def _notes(profile: LatencyProfile, ceilings: Ceilings) -> list[str]:
    """The lines under the chart: how the ceilings were measured, and what is not placed."""
    placed = {block.id for block, _, _ in roofline_points(profile)}
    unplaced = [b.id for b in profile.blocks if b.id not in placed]
    notes = [f"compute ceiling: {ceilings.compute_how}", f"bandwidth: {ceilings.bandwidth_how}"]
    if unplaced:
        notes.append(f"not placed (no FLOPs, or no time): {', '.join(unplaced)}")
    return [line for note in notes for line in textwrap.wrap(note, 160)]


def _paint(figure: Figure, profile: LatencyProfile, ceilings: Ceilings, notes: list[str]) -> None:
    from matplotlib.ticker import FuncFormatter, NullFormatter

    axes = figure.add_subplot()
    axes.set_xscale("log")
    axes.set_yscale("log")
    for axis in (axes.xaxis, axes.yaxis):  # plain labels: mathtext's 10ⁿ costs more to lay out
        axis.set_major_formatter(FuncFormatter(lambda value, _: si(value)))
        axis.set_minor_formatter(NullFormatter())
    points = roofline_points(profile)
    intensities = [i for _, i, _ in points] + [ceilings.ridge]
    low, high = min(intensities) / 4, max(intensities) * 4
    ridge = ceilings.ridge
    (bandwidth,) = axes.plot(
        [low, ridge],
        [ceilings.bandwidth_bytes_per_s * low, ceilings.compute_flops_per_s],
        color="#555555",
        label=f"memory bandwidth {si(ceilings.bandwidth_bytes_per_s)}B/s",
    )
    bandwidth.set_gid("ceiling-bandwidth")
    (compute,) = axes.plot(
        [ridge, high],
        [ceilings.compute_flops_per_s] * 2,
        color="#000000",
        label=f"compute {si(ceilings.compute_flops_per_s)}FLOP/s",
    )
    compute.set_gid("ceiling-compute")
    for block, intensity, rate in points:
        memory_bound = intensity < ridge
        (point,) = axes.plot(
            [intensity],
            [rate],
            marker="o",
            linestyle="none",
            markersize=5,
            color=COLORS["memory"] if memory_bound else COLORS["macs"],
        )
        point.set_gid(f"point-{block.id}")
    axes.set_xlim(low, high)
    _label(figure, axes, points)
    axes.plot([], [], "o", color=COLORS["macs"], label="compute-bound block")
    axes.plot([], [], "o", color=COLORS["memory"], label="memory-bound block")
    axes.set_xlabel("arithmetic intensity (FLOPs per byte of least traffic)")
    axes.set_ylabel("achieved FLOP/s")
    axes.grid(which="major", alpha=0.3)
    axes.legend(loc="lower right", frameon=False, fontsize=8)
    s = profile.settings
    axes.set_title(
        f"{s.network} ({s.variant}) roofline on {s.device} ({s.device_name}), {s.dtype}, "
        f"batch {s.batch_size}",
        loc="left",
        fontsize=10,
    )
    figure.text(0.01, 0.01, "\n".join(notes), ha="left", va="bottom", fontsize=6, color="#666666")


def _label(figure: Figure, axes: Any, points: list[tuple[BlockLatency, float, float]]) -> None:
    """Names every point, each label where it overlaps no other label and no point: to the
    right of its point, else to the left, else a line higher or lower (further each time),
    with a thin leader line once it has moved off its point's line. Text sizes are estimated
    (``text_width``), not measured: a layout pass would draw every text twice."""
    axes.get_ylim()  # settles the autoscaled limits that the transform below reads
    scale = 72 / figure.dpi  # display pixels to points
    where = {
        block.id: tuple(v * scale for v in axes.transData.transform((x, y)))
        for block, x, y in points
    }
    markers = [(px - 3, py - 3, px + 3, py + 3) for px, py in where.values()]
    placed: list[_Box] = []
    for block, x, y in sorted(points, key=lambda p: (-p[2], p[1])):  # from the top
        px, py = where[block.id]
        width = text_width(block.id, LABEL_POINTS) * 72
        for dx, dy in _offsets(width):
            box = (px + dx, py + dy, px + dx + width, py + dy + _LINE)
            if not any(_overlap(box, other) for other in (*placed, *markers)):
                break
        else:
            dx, dy = _offsets(width)[0]
            box = (px + dx, py + dy, px + dx + width, py + dy + _LINE)
        placed.append(box)
        moved = abs(dy - 2) > _LINE / 2
        axes.annotate(
            block.id,
            (x, y),
            xytext=(dx, dy),
            textcoords="offset points",
            fontsize=LABEL_POINTS,
            ha="left",
            va="bottom",
            gid=f"label-{block.id}",
            arrowprops={"arrowstyle": "-", "color": "#999999", "lw": 0.5} if moved else None,
        )


def _offsets(width: float) -> list[tuple[float, float]]:
    """Where a label may go, from its point, in points: right, left, then a line up or down."""
    steps = [0, *(k * sign for k in range(1, 9) for sign in (1, -1))]
    return [(dx, 2 + k * _LINE) for k in steps for dx in (4.0, -4.0 - width)]


def _overlap(a: _Box, b: _Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
