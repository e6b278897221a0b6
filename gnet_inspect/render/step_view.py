"""What ``gnet-inspect profile --pass train`` shows: the training-step profile as a View.

One table, a block a row in forward order (each aux head's rows after its tap), its forward
and backward time beside its forward and backward MACs; under it the loss and the optimizer,
the sums against the whole step timed apart, and the order backward ran the blocks in. CSV
and JSON are ``StepProfile.records()``.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from gnet_inspect.render.columns import Column
from gnet_inspect.render.console import grid, left_out
from gnet_inspect.render.export import markdown_table
from gnet_inspect.render.format import si, singular
from gnet_inspect.render.profile_view import ms, signed_ms
from gnet_inspect.render.view import View
from gnet_inspect.reports.profile.result import LatencyStats
from gnet_inspect.reports.profile.step_result import StepProfile

__all__ = ["STEP_COLUMNS", "step_lines", "step_view"]

Record = dict[str, Any]


def _backward_macs(record: Record) -> int:
    return int(record["backward_input_macs"]) + int(record["backward_weight_macs"])


def _spread(record: Record, side: str) -> str:
    if record[f"{side}_ms"] is None:
        return ""
    return f"{ms(record[f'{side}_p10_ms'])}–{ms(record[f'{side}_p90_ms'])}"


# A narrow terminal keeps the id, the medians and the two shares; it drops first the type,
# then the throughputs, then the spreads.
STEP_COLUMNS: tuple[Column[Record], ...] = (
    Column("id", lambda r: r["id"], numeric=False),
    Column("type", lambda r: r["type"], numeric=False, drop=5),
    Column("fwd MACs", lambda r: si(r["macs"]) if r["macs"] else ""),
    Column("bwd MACs", lambda r: si(_backward_macs(r)) if _backward_macs(r) else ""),
    Column("fwd ms", lambda r: ms(r["forward_ms"])),
    Column("fwd p10–p90", lambda r: _spread(r, "forward"), drop=1),
    Column("bwd ms", lambda r: ms(r["backward_ms"]) if r["backward_ms"] is not None else "–"),
    Column("bwd p10–p90", lambda r: _spread(r, "backward"), drop=2),
    Column("time %", lambda r: f"{100 * r['share_time']:.1f}"),
    Column("MACs %", lambda r: f"{100 * r['share_macs']:.1f}" if r["share_macs"] else ""),
    Column("fwd FLOP/s", lambda r: si(r["forward_flops_per_s"]) if r["macs"] else "", drop=3),
    Column(
        "bwd FLOP/s",
        lambda r: si(r["backward_flops_per_s"]) if _backward_macs(r) else "",
        drop=4,
    ),
)


def _title(profile: StepProfile) -> str:
    s = profile.settings
    layout = ", channels-last" if s.channels_last else ""
    return (
        f"{s.network} training step by {singular(s.depth)} (variant {s.variant}), input "
        f"{s.input_size}×{s.input_size}×{s.channels}, batch {s.batch_size}, {s.dtype}{layout}, "
        f"{profile.optimizer}, {s.device}"
    )


def _stats(stats: LatencyStats) -> str:
    return f"{ms(stats.median_ms)} ms (p10 {ms(stats.p10_ms)}, p90 {ms(stats.p90_ms)})"


def step_lines(profile: StepProfile) -> list[str]:
    """The lines under the table: the parts that are no block, the sums against the whole
    step, the backward order, where it ran and the conventions."""
    s, whole = profile.settings, profile.end_to_end
    threads = f", {s.threads} threads" if s.device == "cpu" else ""
    seconds = whole.median_ms / 1e3
    images = s.batch_size / seconds if seconds else 0.0
    throughput = 2 * profile.step_macs * s.batch_size / seconds if seconds else 0.0
    parts = " · ".join(f"{p.name} {_stats(p.latency)}" for p in profile.parts)
    return [
        f"Ran on {s.device} ({s.device_name}{threads}) with torch {s.torch_version}.",
        f"Outside the blocks: {parts}.",
        f"Whole step, timed apart with no hooks: {_stats(whole)}; {whole.samples} steps · "
        f"{si(throughput)}FLOP/s · {images:.1f} images/s.",
        f"Sum of the medians: {ms(profile.sum_ms)} ms (forward {ms(profile.forward_ms)}, "
        f"backward {ms(profile.backward_ms)}, loss and optimizer {ms(profile.parts_ms)}); gap "
        f"to the whole step {signed_ms(profile.gap_ms)} ms ({100 * profile.gap_share:+.1f}%): "
        "positive is time outside every part, negative is what the stamps add. A stamped step "
        f"takes {ms(profile.stamped_steps.median_ms)} ms (median).",
        "Backward ran the blocks in this order: " + ", ".join(profile.backward_order) + ".",
        f"Timer: {s.timer}; {s.warmup} warm-up steps of each kind not recorded, then "
        f"{s.repeats} stamped steps interleaved with {s.repeats} plain ones.",
        "A step: the training-mode forward pass with the aux heads, the loss (aux heads "
        "weighted as the table says), backward(), the optimizer's step() and zero_grad(). "
        "MACs per image, as `gnet-inspect flops --pass train` counts them (backward: towards "
        "the input and the weights); FLOP/s = 2 × MACs × batch ÷ median; time % is a block's "
        "forward and backward share of the sum of the medians, MACs % its share of the "
        "step's MACs; – : no gradient flows through the block.",
    ]


def step_renderable(profile: StepProfile, width: int) -> RenderableType:
    records = profile.records()
    table, dropped = grid(_title(profile), STEP_COLUMNS, records, width)
    for row, record in zip(table.rows, records):
        if record["kind"] == "concat":
            row.style = "dim"
    return Group(table, *left_out(dropped), *(Text(line) for line in step_lines(profile)))


def step_markdown(profile: StepProfile) -> str:
    lines = "\n".join(f"- {line}" for line in step_lines(profile))
    return f"### {_title(profile)}\n\n{markdown_table(STEP_COLUMNS, profile.records())}\n{lines}\n"


def step_view(profile: StepProfile) -> View:
    """The training-step profile in every output format."""
    return View(
        terminal=lambda width: step_renderable(profile, width),
        markdown=lambda: step_markdown(profile),
        records=profile.records,
        document=lambda: {**profile.summary(), "blocks": profile.records()},
    )
