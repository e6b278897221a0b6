"""Where the cost goes: each block's share of the MACs, the parameters and the latency, side by
side, in table order, the auxiliary heads apart.

Shares are of the main path's totals (the inference network), as ``flops`` and ``profile``
give them; an aux head's rows show their MACs and parameters against the same totals and no
latency (they do not run at inference). Each bar carries the id ``bar-<measure>-<block id>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from gnet_inspect.render.chart_kit import COLORS, ChartFormat, draw_chart, text_width
from gnet_inspect.render.format import singular
from gnet_inspect.reports.profile.result import LatencyProfile

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["MEASURES", "ShareRow", "draw_shares", "share_rows"]

MEASURES = ("macs", "params", "latency")
_LABELS = {"macs": "MACs", "params": "parameters", "latency": "latency"}


@dataclass(frozen=True)
class ShareRow:
    """One row of the chart: a block (or an aux head's row) and its shares, in percent (None
    where it has no such share: an aux head's latency)."""

    id: str
    aux: bool
    shares: dict[str, float | None]


def share_rows(profile: LatencyProfile) -> list[ShareRow]:
    """The chart's rows: the blocks in table order, then the aux heads' rows."""
    total_macs, total_params, total_ms = (
        profile.total_macs,
        profile.total_params,
        profile.blocks_sum_ms,
    )

    def percent(value: float, total: float) -> float:
        return 100 * value / total if total else 0.0

    rows = [
        ShareRow(
            b.id,
            False,
            {
                "macs": percent(b.macs, total_macs),
                "params": percent(b.params, total_params),
                "latency": percent(b.latency.median_ms, total_ms),
            },
        )
        for b in profile.blocks
    ]
    rows += [
        ShareRow(
            a.id,
            True,
            {
                "macs": percent(a.macs, total_macs),
                "params": percent(a.params, total_params),
                "latency": None,
            },
        )
        for a in profile.aux
    ]
    return rows


def draw_shares(profile: LatencyProfile, format: ChartFormat) -> bytes:
    """The shares chart of ``profile`` as SVG, PNG or PDF bytes."""
    rows = share_rows(profile)
    height = 1.4 + 0.32 * len(rows) + (0.3 if profile.aux else 0)
    left = 0.25 + max((text_width(row.id) for row in rows), default=0.5)
    margins = (left, 0.2, 0.6, 0.55)
    return draw_chart((7.5, height), margins, lambda f: _paint(f, profile, rows), format)


def _paint(figure: Figure, profile: LatencyProfile, rows: list[ShareRow]) -> None:
    axes = figure.add_subplot()
    bar = 0.8 / len(MEASURES)
    gap = 1 if any(r.aux for r in rows) else 0
    positions = [i + (gap if row.aux else 0) for i, row in enumerate(rows)]
    for m, measure in enumerate(MEASURES):
        drawn = [
            (row, y)
            for row, y in zip(rows, positions, strict=True)
            if row.shares[measure] is not None
        ]
        bars = axes.barh(
            [y - 0.4 + (m + 0.5) * bar for _, y in drawn],
            [row.shares[measure] or 0.0 for row, _ in drawn],
            height=bar,
            color=COLORS[measure],
            label=_LABELS[measure],
        )
        for patch, (row, _) in zip(bars.patches, drawn, strict=True):
            patch.set_gid(f"bar-{measure}-{row.id}")
    axes.set_yticks(positions, [row.id for row in rows])
    axes.invert_yaxis()
    axes.set_xlabel("share of the network's total (%)")
    axes.grid(axis="x", alpha=0.3)
    axes.set_axisbelow(True)
    if gap:
        first_aux = positions[next(i for i, r in enumerate(rows) if r.aux)]
        axes.axhline(first_aux - 1, color="#999999", linewidth=0.8, linestyle="--")
        axes.text(
            axes.get_xlim()[1],
            first_aux - 0.9,
            "auxiliary heads (training only): MACs and parameters",
            ha="right",
            va="top",
            color="#666666",
            fontsize=8,
        )
    axes.legend(loc="lower right", frameon=False)
    s = profile.settings
    axes.set_title(
        f"{s.network} ({s.variant}): where the cost goes, by {singular(s.depth)}\n"
        f"latency on {s.device} ({s.device_name}), {s.dtype}, batch {s.batch_size}",
        loc="left",
        fontsize=10,
    )
