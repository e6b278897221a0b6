"""The latency profile for people and machines: a rich table, Markdown, CSV and JSON.

The columns and the lines under the table are defined once here for the terminal and for
Markdown; the numbers come from ``LatencyProfile.records()`` unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from gnet_inspect.profiling.latency import LatencyProfile
from gnet_inspect.render.export import to_csv, to_json
from gnet_inspect.render.format import si, significant

__all__ = [
    "PROFILE_COLUMNS",
    "profile_csv",
    "profile_json",
    "profile_lines",
    "profile_markdown",
    "profile_renderable",
]

Record = dict[str, Any]


@dataclass(frozen=True)
class ProfileColumn:
    """A column of the profile table: its header and how a block's record fills it."""

    header: str
    cell: Callable[[Record], str]
    numeric: bool = True


def ms(value: float) -> str:
    """A latency in milliseconds to three significant digits: ``41.8``, ``0.0151``."""
    return significant(Decimal(repr(value)), 3)


def _ratio(record: Record) -> str:
    if not record["macs_share"]:
        return ""
    return f"{record['latency_share'] / record['macs_share']:.2f}×"


PROFILE_COLUMNS = (
    ProfileColumn("block", lambda r: r["block"], numeric=False),
    ProfileColumn("type", lambda r: r["type"], numeric=False),
    ProfileColumn("MACs", lambda r: si(r["macs"]) if r["macs"] else ""),
    ProfileColumn("median ms", lambda r: ms(r["latency_ms"])),
    ProfileColumn("p10–p90 ms", lambda r: f"{ms(r['latency_p10_ms'])}–{ms(r['latency_p90_ms'])}"),
    ProfileColumn("n", lambda r: str(r["samples"])),
    ProfileColumn("time %", lambda r: f"{100 * r['latency_share']:.1f}"),
    ProfileColumn("MACs %", lambda r: f"{100 * r['macs_share']:.1f}" if r["macs"] else ""),
    ProfileColumn("time÷MACs", _ratio),
    ProfileColumn("FLOP/s", lambda r: si(r["flops_per_s"]) if r["macs"] else ""),
)


def _title(profile: LatencyProfile) -> str:
    s = profile.settings
    layout = ", channels-last" if s.channels_last else ""
    return (
        f"{s.network} latency by {s.depth[:-1]} (variant {s.variant}), input "
        f"{s.input_size}×{s.input_size}×{s.channels}, batch {s.batch_size}, {s.dtype}{layout}, "
        f"{s.device}"
    )


def profile_lines(profile: LatencyProfile) -> list[str]:
    """The lines under the table: where it ran, the end-to-end pass, the gap, conventions."""
    s, whole = profile.settings, profile.end_to_end
    threads = f", {s.threads} threads" if s.device == "cpu" else ""
    seconds = whole.median_ms / 1e3
    throughput = 2 * profile.total_macs * s.batch_size / seconds if seconds else 0.0
    images = s.batch_size / seconds if seconds else 0.0
    return [
        f"Ran on {s.device} ({s.device_name}{threads}) with torch {s.torch_version}.",
        f"End to end, timed apart with no hooks: {ms(whole.median_ms)} ms median "
        f"(p10 {ms(whole.p10_ms)}, p90 {ms(whole.p90_ms)}; {whole.samples} passes) · "
        f"{si(throughput)}FLOP/s · {images:.1f} images/s.",
        f"Sum of the block medians: {ms(profile.blocks_sum_ms)} ms; gap to end to end "
        f"{_signed_ms(profile.gap_ms)} ms ({100 * profile.gap_share:+.1f}%): positive is time "
        "outside every block, negative is what timing each block adds. The blocks of one "
        f"stamped pass add up to {ms(profile.blocks_per_pass.median_ms)} ms (median).",
        f"Timer: {s.timer}; {s.warmup} warm-up passes of each kind not recorded, then "
        f"{s.repeats} stamped passes interleaved with {s.repeats} plain ones.",
        "MACs per image, as `gnet-inspect table` counts them (convolution and linear "
        "multiply-adds); FLOP/s = 2 × MACs × batch ÷ median; time % is the share of the sum of "
        "block medians, MACs % the share of the MACs; time÷MACs above 1: slower than its "
        "arithmetic share.",
    ]


def _signed_ms(value: float) -> str:
    return ("+" if value >= 0 else "−") + ms(abs(value))


def profile_renderable(profile: LatencyProfile, width: int) -> RenderableType:
    """The whole ``gnet-inspect profile`` view as one rich renderable (``width`` is unused:
    every column is needed to read the split)."""
    records = profile.records()
    table = Table(title=_title(profile), title_justify="left", header_style="bold", pad_edge=False)
    for column in PROFILE_COLUMNS:
        table.add_column(column.header, justify="right" if column.numeric else "left")
    for record in records:
        style = "dim" if record["kind"] == "concat" else ""
        table.add_row(*(column.cell(record) for column in PROFILE_COLUMNS), style=style)
    return Group(table, *(Text(line) for line in profile_lines(profile)))


def profile_markdown(profile: LatencyProfile) -> str:
    """The profile as a Markdown section: a heading, the table, the lines under it."""
    columns = PROFILE_COLUMNS
    header = "| " + " | ".join(c.header for c in columns) + " |"
    rule = "|" + "|".join("---:" if c.numeric else "---" for c in columns) + "|"
    body = [
        "| " + " | ".join(c.cell(r).replace("|", "\\|") for c in columns) + " |"
        for r in profile.records()
    ]
    lines = "\n".join(f"- {line}" for line in profile_lines(profile))
    return f"### {_title(profile)}\n\n" + "\n".join([header, rule, *body]) + f"\n\n{lines}\n"


def profile_csv(profile: LatencyProfile) -> str:
    """One CSV row per block: the records of ``LatencyProfile.to_frame()``."""
    return to_csv(profile.records())


def profile_json(profile: LatencyProfile) -> str:
    """Settings, the end-to-end latency, the gap and every block, as JSON."""
    return to_json({**profile.summary(), "blocks": profile.records()})
