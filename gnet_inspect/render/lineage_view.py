"""What ``gnet-inspect lineage`` shows: the generations side by side, each one's ratio to
GoogLeNet's, where each spends its MACs and parameters by grid size, and the printed error
rates with the tables they come from, in every output format."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from gnet_inspect.render.columns import Column
from gnet_inspect.render.console import grid, left_out
from gnet_inspect.render.export import markdown_table
from gnet_inspect.render.format import binary_bytes, si
from gnet_inspect.render.view import View
from gnet_inspect.reports.lineage.result import Generation, Lineage, StageCost

__all__ = [
    "lineage_columns",
    "lineage_markdown",
    "lineage_notes",
    "lineage_view",
    "paper",
    "stage_columns",
]


def _ratio(value: float) -> str:
    return f"{value:.2f}×"


def _ms(value: float) -> str:
    """A latency in milliseconds: three significant digits, never in scientific notation."""
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def lineage_columns(lineage: Lineage) -> list[Column[Generation]]:
    """The side-by-side columns; the latency ones only for a timed lineage."""

    def times(value: Any) -> Any:
        return lambda g: _ratio(lineage.ratio(g, value))

    columns: list[Column[Generation]] = [
        Column("table", lambda g: g.table, numeric=False),
        Column("network (variant)", lambda g: f"{g.network} ({g.variant})", numeric=False, drop=8),
        Column("paper", lambda g: g.published or "", numeric=False, drop=9),
        Column("input", lambda g: f"{g.input_size}×{g.input_size}", drop=6),
        Column("params", lambda g: si(g.params)),
        Column("params ×", times(lambda g: g.params), drop=3),
        Column("params with aux", lambda g: si(g.params_with_aux), drop=7),
        Column("MACs", lambda g: si(g.macs)),
        Column("MACs ×", times(lambda g: g.macs)),
        Column("step FLOPs", lambda g: si(g.step_flops), drop=5),
        Column("depth", lambda g: str(g.depth), drop=2),
        Column("depth with pooling", lambda g: str(g.depth_with_pooling), drop=6),
        Column("inference memory", lambda g: binary_bytes(g.inference_bytes), drop=4),
        Column("step memory", lambda g: binary_bytes(g.training_step_bytes), drop=4),
    ]
    if lineage.timed:
        columns += [
            Column("latency ms", lambda g: _ms(g.latency.median_ms) if g.latency else ""),
            Column("latency ×", times(lambda g: g.latency.median_ms if g.latency else 0)),
            Column("images/s", lambda g: f"{g.latency.images_per_s:,.1f}" if g.latency else ""),
        ]
    columns += [
        Column("top-1 error", lambda g: g.error.top1_text or "" if g.error else "", drop=1),
        Column("top-5 error", lambda g: g.error.top5_text or "" if g.error else "", drop=1),
    ]
    return columns


@dataclass(frozen=True)
class _StageLine:
    generation: Generation
    stage: StageCost


def stage_columns() -> list[Column[_StageLine]]:
    """The per-stage columns: each generation's MACs and parameters by grid size."""

    def share(part: int, whole: int) -> str:
        return f"{part / whole:.1%}" if whole else ""

    return [
        Column("table", lambda s: s.generation.table, numeric=False),
        Column("grid", lambda s: s.stage.grid),
        Column("first to last row", lambda s: _rows(s.stage), numeric=False, drop=2),
        Column("MACs", lambda s: si(s.stage.macs) if s.stage.macs else ""),
        Column("% MACs", lambda s: share(s.stage.macs, s.generation.macs)),
        Column("params", lambda s: si(s.stage.params) if s.stage.params else ""),
        Column("% params", lambda s: share(s.stage.params, s.generation.params)),
    ]


def _rows(stage: StageCost) -> str:
    return stage.first if stage.first == stage.last else f"{stage.first} to {stage.last}"


def _stage_lines(lineage: Lineage) -> list[_StageLine]:
    return [_StageLine(g, s) for g in lineage.generations for s in g.stages]


def _title(lineage: Lineage) -> str:
    return (
        f"The Inception lineage, measured (memory at batch {lineage.batch_size}, "
        f"{lineage.dtype}, {lineage.optimizer}; × is the ratio to {lineage.base})"
    )


def lineage_notes(lineage: Lineage) -> list[str]:
    """The lines under the tables: what each number is, and where each printed error is from."""
    lines = [
        "params and MACs as `table` counts them (inference, one image at the table's own "
        "input size); step FLOPs a training step's on one image (forward with the aux heads, "
        "backward), as `flops --pass train`; depth the longest path of layers with "
        f"parameters; memory as `memory`, for a batch of {lineage.batch_size}: inference "
        "with the weights, a training step with gradients and the optimizer's state; "
        "--format csv or json for the exact counts.",
    ]
    timed = next((g.latency for g in lineage.generations if g.latency), None)
    if timed is not None:
        lines.append(
            f"latency: the end-to-end forward pass as `profile` times it, median of "
            f"{timed.samples} passes of a batch of {timed.batch_size} on {timed.device} "
            f"({timed.device_name}), {timed.dtype}."
        )
    for g in lineage.generations:
        if g.error is None:
            lines.append(f"{g.table}: its table file carries no printed error rate.")
            continue
        rates = ", ".join(
            f"{text} {name}"
            for text, name in ((g.error.top1_text, "top-1"), (g.error.top5_text, "top-5"))
            if text
        )
        own = g.error.source.startswith("Table")  # a table of the generation's own paper
        where = f"{g.error.source} of {paper(g.source)}" if own else g.error.source
        lines.append(f"{g.table}: {rates} error, as printed in {where}.")
    return lines


def paper(source: str) -> str:
    """A table's source cited without the tables and figures it was read from: up to the end
    of its arXiv number where it gives one (``Szegedy et al., "…", CVPR 2015 (arXiv:…)``)."""
    end = source.find(")", source.find("(arXiv:"))
    return source[: end + 1] if "(arXiv:" in source and end > 0 else source


def _renderable(lineage: Lineage, width: int) -> RenderableType:
    main, dropped = grid(_title(lineage), lineage_columns(lineage), lineage.generations, width)
    stages, lost = grid(
        "Where each generation spends its MACs and parameters, by grid size",
        stage_columns(),
        _stage_lines(lineage),
        width,
    )
    notes = [Text(line) for line in lineage_notes(lineage)]
    return Group(main, *left_out(dropped), *notes, stages, *left_out(lost))


def lineage_markdown(lineage: Lineage) -> str:
    """The lineage as a Markdown section (the docs' lineage page)."""
    parts = [
        f"### {_title(lineage)}\n",
        markdown_table(lineage_columns(lineage), lineage.generations),
    ]
    parts.append("\n".join(f"- {line}" for line in lineage_notes(lineage)) + "\n")
    parts.append("#### Where each generation spends its MACs and parameters, by grid size\n")
    parts.append(markdown_table(stage_columns(), _stage_lines(lineage)))
    return "\n".join(parts)


def lineage_view(lineage: Lineage) -> View:
    """The lineage in every output format (JSON: ``Lineage.document``, which ``chart`` reads)."""
    return View(
        terminal=lambda width: _renderable(lineage, width),
        markdown=lambda: lineage_markdown(lineage),
        records=lineage.records,
        document=lineage.document,
    )
