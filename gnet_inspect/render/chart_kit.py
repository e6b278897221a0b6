"""What every chart shares: a matplotlib figure made without pyplot, saved to the same bytes for
the same inputs.

No pyplot: a chart is a ``matplotlib.figure.Figure`` of its own, with no global state and no
GUI backend. SVG keeps its text as text (``svg.fonttype: none``), carries no date, and its
ids come from a fixed salt, so the same chart is the same file; PDF and PNG carry no date or
software version either. Each drawn value can carry an id (``gid``) naming what it is, so
that a test can find a bar or a point in the SVG and check it against its number.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, get_args

from gnet_inspect.errors import OptionError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "CHART_FORMATS",
    "COLORS",
    "ChartFormat",
    "draw_chart",
    "pick_chart_format",
    "text_width",
]

ChartFormat = Literal["svg", "png", "pdf"]
CHART_FORMATS: tuple[ChartFormat, ...] = get_args(ChartFormat)

# One colour per measure, the same in every chart (matplotlib's default cycle).
COLORS = {"macs": "#1f77b4", "params": "#ff7f0e", "latency": "#2ca02c", "memory": "#d62728"}
_STYLE: dict[Any, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "gnet-inspect",
    "pdf.fonttype": 42,
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_METADATA: dict[ChartFormat, dict[str, str | None]] = {
    "svg": {"Date": None, "Creator": "gnet-inspect"},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": "gnet-inspect", "Producer": None},
    "png": {"Software": None},
}


def draw_chart(
    size: tuple[float, float],
    margins: tuple[float, float, float, float],
    paint: Callable[[Figure], None],
    format: ChartFormat,
) -> bytes:
    """A chart of ``size`` inches that ``paint`` draws on a fresh figure, in the house style,
    as SVG, PNG or PDF bytes: the same bytes for the same inputs.

    ``margins`` (left, right, top, bottom, in inches) are set, not computed: a layout engine
    draws every text twice to measure it, which costs more than the chart (a chart from a
    saved result must draw in well under a second)."""
    import matplotlib
    from matplotlib.figure import Figure

    buffer = io.BytesIO()
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=size)
        (width, height), (left, right, top, bottom) = size, margins
        figure.subplots_adjust(
            left=left / width, right=1 - right / width, top=1 - top / height, bottom=bottom / height
        )
        paint(figure)
        # PNG: zlib's level 3 of 9, a few percent larger and half the time to write.
        extra: dict[str, Any] = {"pil_kwargs": {"compress_level": 3}} if format == "png" else {}
        figure.savefig(buffer, format=format, metadata=_METADATA[format], dpi=150, **extra)
    return buffer.getvalue()


def text_width(text: str, points: float = 9) -> float:
    """About how wide ``text`` is in inches at ``points`` (DejaVu Sans averages 0.6 em)."""
    return len(text) * points * 0.6 / 72


def pick_chart_format(name: str) -> ChartFormat:
    for known in CHART_FORMATS:
        if known == name:
            return known
    raise OptionError(f"unknown chart format '{name}'; available: {', '.join(CHART_FORMATS)}")
