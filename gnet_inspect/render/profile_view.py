"""What ``gnet-inspect profile`` shows: the latency profile as a View in every output format.

The columns are defined once (``render/columns.py``) for the terminal and for Markdown, and
read the records of ``LatencyProfile.records()`` unchanged; CSV and JSON are those records.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from gnet_inspect.render.columns import Column
from gnet_inspect.render.console import grid, left_out
from gnet_inspect.render.export import markdown_table
from gnet_inspect.render.format import si, significant, singular
from gnet_inspect.render.view import View
from gnet_inspect.reports.profile.result import LatencyProfile

__all__ = [
    "PROFILE_COLUMNS",
    "ms",
    "profile_document",
    "profile_lines",
    "profile_markdown",
    "profile_renderable",
    "profile_view",
    "signed_ms",
]

Record = dict[str, Any]


def ms(value: float) -> str:
    """A latency in milliseconds to three significant digits: ``41.8``, ``0.0151``."""
    return significant(Decimal(repr(value)), 3)


def _ratio(record: Record) -> str:
    if not record["share_macs"]:
        return ""
    return f"{record['share_latency'] / record['share_macs']:.2f}×"


# A narrow terminal keeps the id, the MACs, the median and the two shares; it drops first the
# sample count (the same for every block, and said under the table), then the type (the id
# names the branch), the throughput, the time÷MACs ratio (the two shares beside it give it)
# and last the spread; the roofline's bound goes before all of them.
PROFILE_COLUMNS: tuple[Column[Record], ...] = (
    Column("id", lambda r: r["id"], numeric=False),
    Column("type", lambda r: r["type"], numeric=False, drop=4),
    Column("MACs", lambda r: si(r["macs"]) if r["macs"] else ""),
    Column("median ms", lambda r: ms(r["latency_ms"])),
    Column("p10–p90 ms", lambda r: f"{ms(r['latency_p10_ms'])}–{ms(r['latency_p90_ms'])}", drop=1),
    Column("n", lambda r: str(r["samples"]), drop=5),
    Column("time %", lambda r: f"{100 * r['share_latency']:.1f}"),
    Column("MACs %", lambda r: f"{100 * r['share_macs']:.1f}" if r["macs"] else ""),
    Column("time÷MACs", _ratio, drop=2),
    Column("FLOP/s", lambda r: si(r["flops_per_s"]) if r["macs"] else "", drop=3),
    Column("bound", lambda r: r["bound"], numeric=False, drop=6),
)


def _columns(profile: LatencyProfile) -> tuple[Column[Record], ...]:
    """Every column; ``bound`` only where the profile measured the ceilings it needs."""
    return PROFILE_COLUMNS if profile.ceilings is not None else PROFILE_COLUMNS[:-1]


def _title(profile: LatencyProfile) -> str:
    s = profile.settings
    layout = ", channels-last" if s.channels_last else ""
    return (
        f"{s.network} latency by {singular(s.depth)} (variant {s.variant}), input "
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
        f"{signed_ms(profile.gap_ms)} ms ({100 * profile.gap_share:+.1f}%): positive is time "
        "outside every block, negative is what timing each block adds. The blocks of one "
        f"stamped pass add up to {ms(profile.blocks_per_pass.median_ms)} ms (median).",
        f"Timer: {s.timer}; {s.warmup} warm-up passes of each kind not recorded, then "
        f"{s.repeats} stamped passes interleaved with {s.repeats} plain ones.",
        "MACs per image, as `gnet-inspect table` counts them (convolution and linear "
        "multiply-adds); FLOP/s = 2 × MACs × batch ÷ median; time % is the share of the sum of "
        "block medians, MACs % the share of the MACs; time÷MACs above 1: slower than its "
        "arithmetic share.",
        *_ceiling_lines(profile),
    ]


def _ceiling_lines(profile: LatencyProfile) -> list[str]:
    """The device's measured ceilings and what ``bound`` means, when the profile has them."""
    c = profile.ceilings
    if c is None:
        return []
    return [
        f"Ceilings measured on {profile.settings.device}: compute {si(c.compute_flops_per_s)}"
        f"FLOP/s ({c.compute_how}); bandwidth {si(c.bandwidth_bytes_per_s)}B/s "
        f"({c.bandwidth_how}). bound: memory for a block whose FLOPs per byte of least "
        f"traffic (activations read and written, weights read) fall below the ridge at "
        f"{c.ridge:.3g}, compute above it.",
    ]


def signed_ms(value: float) -> str:
    """A latency difference with its sign: ``+0.249``, ``−1.2``."""
    return ("+" if value >= 0 else "−") + ms(abs(value))


def profile_renderable(profile: LatencyProfile, width: int) -> RenderableType:
    """The whole ``gnet-inspect profile`` view as one rich renderable, fitted to ``width``
    (the least essential columns go first); a module's concatenation is dimmed."""
    records = profile.records()
    table, dropped = grid(_title(profile), _columns(profile), records, width)
    for row, record in zip(table.rows, records):
        if record["kind"] == "concat":
            row.style = "dim"
    lines = [Text(line) for line in profile_lines(profile)]
    return Group(table, *left_out(dropped), *lines)


def profile_markdown(profile: LatencyProfile) -> str:
    """The profile as a Markdown section: a heading, the table, the lines under it."""
    lines = "\n".join(f"- {line}" for line in profile_lines(profile))
    table = markdown_table(_columns(profile), profile.records())
    return f"### {_title(profile)}\n\n{table}\n{lines}\n"


def profile_document(profile: LatencyProfile) -> dict[str, Any]:
    """Settings, the end-to-end latency, the gap and every block, as JSON-ready data."""
    return {**profile.summary(), "blocks": profile.records()}


def profile_view(profile: LatencyProfile) -> View:
    """The latency profile in every output format."""
    return View(
        terminal=lambda width: profile_renderable(profile, width),
        markdown=lambda: profile_markdown(profile),
        records=profile.records,
        document=lambda: profile_document(profile),
    )
