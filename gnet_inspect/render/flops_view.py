"""What ``gnet-inspect flops`` shows: a breakdown, or two networks side by side."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from rich.console import Group, RenderableType
from rich.text import Text

from gnet_inspect.render.columns import Column
from gnet_inspect.render.console import grid, left_out
from gnet_inspect.render.export import markdown_table
from gnet_inspect.render.format import grouped, si, singular
from gnet_inspect.render.view import View
from gnet_inspect.reports.flops import Breakdown, BreakdownRow
from gnet_inspect.reports.flops_compare import PairRow, SideBySide

R = TypeVar("R")

__all__ = [
    "breakdown_document",
    "breakdown_markdown",
    "breakdown_renderable",
    "side_by_side_document",
    "side_by_side_markdown",
    "side_by_side_renderable",
]


_AUX_TITLE = "Auxiliary heads (training only)"


def _count(value: int | None) -> str:
    return "" if value is None else grouped(value) if value < 10_000 else si(value)


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}×"


BREAKDOWN_COLUMNS: tuple[Column[BreakdownRow], ...] = (
    Column("id", lambda r: r.id, numeric=False),
    Column("type", lambda r: r.kind, numeric=False),
    Column("output", lambda r: r.output, numeric=False),
    Column("params", lambda r: _count(r.params) if r.params else ""),
    Column("MACs", lambda r: _count(r.macs) if r.macs else ""),
    Column("FLOPs (2×MACs)", lambda r: _count(r.flops) if r.flops else "", drop=2),
    Column("other ops", lambda r: _count(r.other_ops) if r.other_ops else "", drop=3),
    Column("% MACs", lambda r: f"{r.share_macs:.1%}" if r.macs else ""),
    Column("% params", lambda r: f"{r.share_params:.1%}" if r.params else "", drop=1),
)


def _optional(value: int | None) -> str:
    return _count(value) if value else ""


TRAIN_COLUMNS: tuple[Column[BreakdownRow], ...] = (
    Column("id", lambda r: r.id, numeric=False),
    Column("type", lambda r: r.kind, numeric=False),
    Column("output", lambda r: r.output, numeric=False, drop=2),
    Column("params", lambda r: _count(r.params) if r.params else "", drop=1),
    Column("forward MACs", lambda r: _count(r.macs) if r.macs else ""),
    Column("backward MACs, input", lambda r: _optional(r.backward_input_macs)),
    Column("backward MACs, weights", lambda r: _optional(r.backward_weight_macs)),
    Column("step MACs", lambda r: _optional(r.step_macs)),
    Column("% MACs", lambda r: f"{r.share_macs:.1%}" if r.macs else "", drop=3),
)


def _columns(b: Breakdown) -> tuple[Column[BreakdownRow], ...]:
    return TRAIN_COLUMNS if b.phase == "train" else BREAKDOWN_COLUMNS


def _side(pick: str, field: str) -> Callable[[PairRow], str]:
    def cell(row: PairRow) -> str:
        entry = getattr(row, pick)
        if entry is None:
            return "—"
        value = getattr(entry, field)
        return value if isinstance(value, str) else _count(value) if value else ""

    return cell


PAIR_COLUMNS: tuple[Column[PairRow], ...] = (
    Column("id", lambda r: r.id, numeric=False),
    Column("type", lambda r: r.kind, numeric=False),
    Column("output (base)", _side("base", "output"), numeric=False, drop=1),
    Column("output", _side("other", "output"), numeric=False),
    Column("params (base)", _side("base", "params")),
    Column("params", _side("other", "params")),
    Column("× params", lambda r: _ratio(r.params_ratio), drop=2),
    Column("MACs (base)", _side("base", "macs")),
    Column("MACs", _side("other", "macs")),
    Column("× MACs", lambda r: _ratio(r.macs_ratio)),
)


def _totals(b: Breakdown) -> str:
    return (
        f"{b.label}: {grouped(b.params)} params, {grouped(b.macs)} MACs ({si(b.macs)}; "
        f"{si(2 * b.macs)} FLOPs), depth {b.depth} layers with parameters, "
        f"{b.depth_with_pooling} counting pooling"
    )


def breakdown_lines(b: Breakdown) -> list[str]:
    """The lines under a breakdown: inference totals and depth, then the aux heads' cost."""
    lines = [f"Inference, one {b.input_size}×{b.input_size} image — {_totals(b)}"]
    if b.phase == "train":
        backward_input = sum(r.backward_input_macs or 0 for r in (*b.rows, *b.aux_rows))
        backward = b.backward_macs
        lines += [
            f"Training step, one image: forward with the auxiliary heads "
            f"{grouped(b.forward_macs_with_aux)} MACs, backward {grouped(backward)} "
            f"({grouped(backward_input)} towards the inputs, {grouped(backward - backward_input)}"
            f" towards the weights); step {grouped(b.step_macs)} MACs = "
            f"{grouped(2 * b.step_macs)} FLOPs",
            "Backward: each convolution and linear layer computes its weight gradient (as many "
            "MACs as its forward pass) and its input gradient (as many again) unless nothing "
            "before it has parameters (the first layer reads the image). Bias gradients, pools "
            "and normalisations are not counted, as in the forward pass.",
        ]
        return lines
    if b.aux_rows:
        aux = sum(r.macs for r in b.aux_rows)
        params = sum(r.params for r in b.aux_rows)
        lines.append(
            f"Training only, the auxiliary heads: {grouped(params)} params, {si(aux)} MACs more "
            "(not in the totals above; their shares are of the inference totals)"
        )
    return lines


def side_by_side_lines(s: SideBySide) -> list[str]:
    """The lines under a comparison: both totals, the ratios, the largest change each way."""
    lines = [
        f"Base — {_totals(s.base)}",
        f"Other — {_totals(s.other)}",
        f"Total MACs, other / base: {_ratio(s.macs_ratio) or 'none in the base'}; "
        f"params: {_ratio(s.params_ratio) or 'none in the base'}",
    ]
    for label, row in (
        ("Largest blow-up", s.largest_blow_up),
        ("Largest saving", s.largest_saving),
    ):
        if row is not None and row.base is not None and row.other is not None:
            lines.append(
                f"{label}: {row.id}, {_ratio(row.macs_ratio)} the MACs "
                f"({si(row.base.macs)} → {si(row.other.macs)}), output "
                f"{row.base.output} → {row.other.output}"
            )
    return lines


def _renderable(
    title: str,
    columns: tuple[Column[R], ...],
    rows: tuple[R, ...],
    aux_rows: tuple[R, ...],
    lines: list[str],
    width: int,
) -> RenderableType:
    table, dropped = grid(title, columns, rows, width)
    parts: list[RenderableType] = [table, *left_out(dropped), *(Text(line) for line in lines)]
    if aux_rows:
        parts.append(grid(_AUX_TITLE, columns, aux_rows, width)[0])
    return Group(*parts)


def _markdown(
    title: str,
    columns: tuple[Column[R], ...],
    rows: tuple[R, ...],
    aux_rows: tuple[R, ...],
    lines: list[str],
) -> str:
    parts = [f"### {title}\n", markdown_table(columns, rows)]
    parts += ["\n".join(f"- {line}" for line in lines) + "\n"]
    if aux_rows:
        parts += [f"#### {_AUX_TITLE}\n", markdown_table(columns, aux_rows)]
    return "\n".join(parts)


def _breakdown_title(b: Breakdown) -> str:
    what = "Training-step MACs" if b.phase == "train" else "Params and MACs"
    return f"{what} by {singular(b.level)} ({b.label}, input {b.input_size}×{b.input_size})"


def _side_by_side_title(s: SideBySide) -> str:
    return f"{s.other.label} against {s.base.label}, by {singular(s.base.level)}"


def breakdown_renderable(b: Breakdown, width: int) -> RenderableType:
    """A breakdown for the terminal, fitted to ``width``."""
    lines = breakdown_lines(b)
    return _renderable(_breakdown_title(b), _columns(b), b.rows, b.aux_rows, lines, width)


def side_by_side_renderable(s: SideBySide, width: int) -> RenderableType:
    """A comparison for the terminal, fitted to ``width``."""
    lines = side_by_side_lines(s)
    return _renderable(_side_by_side_title(s), PAIR_COLUMNS, s.rows, s.aux_rows, lines, width)


def breakdown_markdown(b: Breakdown) -> str:
    """A breakdown as Markdown: the table, its lines, the aux heads."""
    lines = breakdown_lines(b)
    return _markdown(_breakdown_title(b), _columns(b), b.rows, b.aux_rows, lines)


def side_by_side_markdown(s: SideBySide) -> str:
    """A comparison as Markdown: the table, its lines, the aux heads."""
    lines = side_by_side_lines(s)
    return _markdown(_side_by_side_title(s), PAIR_COLUMNS, s.rows, s.aux_rows, lines)


def _summary(b: Breakdown) -> dict[str, Any]:
    summary = {
        "label": b.label,
        "params": b.params,
        "macs": b.macs,
        "flops": 2 * b.macs,
        "depth": b.depth,
        "depth_with_pooling": b.depth_with_pooling,
    }
    if b.phase == "train":
        summary |= {
            "forward_macs_with_aux": b.forward_macs_with_aux,
            "backward_macs": b.backward_macs,
            "step_macs": b.step_macs,
            "step_flops": 2 * b.step_macs,
        }
    return summary


def breakdown_document(b: Breakdown) -> dict[str, Any]:
    """A breakdown as one JSON-ready document: totals, rows and aux rows."""
    records = b.records()
    return {
        "level": b.level,
        "pass": b.phase,
        "input_size": b.input_size,
        "totals": _summary(b),
        "rows": [r for r in records if r["head"] is None],
        "aux_rows": [r for r in records if r["head"] is not None],
    }


def side_by_side_document(s: SideBySide) -> dict[str, Any]:
    """A comparison as one JSON-ready document: both totals, ratios, rows and aux rows."""
    records = s.records()
    worst = s.largest_blow_up
    return {
        "level": s.base.level,
        "input_size": s.base.input_size,
        "base": _summary(s.base),
        "other": _summary(s.other),
        "macs_ratio": s.macs_ratio,
        "params_ratio": s.params_ratio,
        "largest_blow_up": worst.id if worst else None,
        "largest_saving": s.largest_saving.id if s.largest_saving else None,
        "rows": [r for r in records if r["head"] is None],
        "aux_rows": [r for r in records if r["head"] is not None],
    }


def breakdown_view(b: Breakdown) -> View:
    """One network's breakdown in every output format."""
    return View(
        terminal=lambda width: breakdown_renderable(b, width),
        markdown=lambda: breakdown_markdown(b),
        records=b.records,
        document=lambda: breakdown_document(b),
    )


def side_by_side_view(s: SideBySide) -> View:
    """Two networks side by side in every output format."""
    return View(
        terminal=lambda width: side_by_side_renderable(s, width),
        markdown=lambda: side_by_side_markdown(s),
        records=s.records,
        document=lambda: side_by_side_document(s),
    )
