"""What ``gnet-inspect table`` shows: the reproduced table for a terminal, Markdown and JSON.

The columns and the lines under the table are ``table_layout``'s, defined once for both. The
table is titled with the network's name and the table its source cites (``printed_table``).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from gnet_inspect.render.console import grid, left_out
from gnet_inspect.render.export import markdown_table
from gnet_inspect.render.table_layout import (
    AUX_COLUMNS,
    caveats,
    footnotes,
    printed_table,
    summary_lines,
    table_columns,
)
from gnet_inspect.render.view import View
from gnet_inspect.reports.table import TableReport, TableRow

__all__ = ["table_document", "table_renderable", "table_view", "to_markdown"]


def table_renderable(report: TableReport, width: int) -> RenderableType:
    """The whole ``gnet-inspect table`` view as one rich renderable, fitted to ``width``."""
    spec = report.spec
    notes = footnotes(report)
    title = (
        f"{spec.name}, {printed_table(spec)} reproduced from the built network "
        f"(variant {spec.label}, input {report.input_size}×{report.input_size}×"
        f"{spec.input.channels})"
    )
    parts: list[RenderableType] = []
    if spec.description:
        parts.append(Text(f"Variant {spec.variant}: {spec.description}", style="dim"))

    def marker(row: TableRow) -> str:
        return str(notes[row.id]) if row.id in notes else ""

    table, dropped = grid(title, table_columns(report), report.rows, width, marker)
    parts += [table, *left_out(dropped)]
    parts += [Text(line, style="yellow") for line in caveats(report)]
    parts += [Text(line) for line in summary_lines(report)]
    if report.aux_rows:
        title = "Auxiliary classifiers (training only)"
        parts.append(grid(title, AUX_COLUMNS, report.aux_rows, width)[0])
    rows = {row.id: row for row in (*report.rows, *report.aux_rows)}
    if notes:
        parts.append(Text("Notes on the table as printed:", style="bold"))
    parts += [Text(f"[{n}] {row_id}: {rows[row_id].note}") for row_id, n in notes.items()]
    return Group(*parts)


def table_view(report: TableReport) -> View:
    """The reproduced table in every output format."""
    return View(
        terminal=lambda width: table_renderable(report, width),
        markdown=lambda: to_markdown(report),
        records=report.records,
        document=lambda: table_document(report),
    )


def table_document(report: TableReport) -> dict[str, Any]:
    """The whole report as plain JSON-ready data: rows, totals, depth, conventions, claims."""
    spec = report.spec
    records = report.records()
    weights = "convolution and linear weights only"
    return {
        "network": spec.name,
        "variant": spec.variant,
        "whatifs": list(spec.whatifs),
        "description": spec.description,
        "source": spec.source,
        "input_size": [report.input_size, report.input_size, spec.input.channels],
        "conventions": {
            "params_printed": asdict(spec.printed_params),
            "ops_printed": asdict(spec.printed_ops),
            "macs": "multiply-adds of convolutions and linear layers, per image (fvcore)",
            "flops": "2 × macs",
            "other_ops": "pooling, normalisation: counted apart from macs",
            "weights": f"{weights} (the paper's params column)"
            if spec.printed_params.counts == "weights"
            else weights,
        },
        "rows": [r for r in records if r["head"] is None],
        "aux_rows": [r for r in records if r["head"] is not None],
        "totals": asdict(report.totals),
        "aux_totals": {head: asdict(t) for head, t in report.aux_totals.items()},
        "params_with_aux": report.params_with_aux,
        "depth": {
            "layers_with_params": report.depth.depth,
            "layers_with_pooling": report.depth.depth_with_pooling,
            "building_blocks": report.depth.blocks,
            "building_block_rule": report.block_rule,
            "operations": report.depth.kinds,
        },
        "claims": {
            "depth": spec.claims.depth,
            "depth_with_pooling": spec.claims.depth_with_pooling,
            "blocks": spec.claims.blocks,
            "macs": spec.claims.macs.text if spec.claims.macs else None,
            "params": spec.claims.params.text if spec.claims.params else None,
            "params_below": spec.claims.params_below.text if spec.claims.params_below else None,
        },
        "unrecognised_ops": report.unrecognised_ops,
    }


def to_markdown(report: TableReport) -> str:
    """The reproduced table for documentation: the table, the summary, the aux heads, notes."""
    spec = report.spec
    notes = footnotes(report)
    rows = {row.id: row for row in (*report.rows, *report.aux_rows)}
    parts = [
        f"### {spec.name}: {printed_table(spec)} reproduced (variant {spec.variant}, "
        f"input {report.input_size}×{report.input_size}×{spec.input.channels})\n",
        markdown_table(
            table_columns(report),
            report.rows,
            lambda r: f"[{notes[r.id]}]" if r.id in notes else "",
        ),
        "\n".join(f"- {line}" for line in (*caveats(report), *summary_lines(report))) + "\n",
    ]
    if report.aux_rows:
        parts += ["#### Auxiliary classifiers (training only)\n"]
        parts += [markdown_table(AUX_COLUMNS, report.aux_rows)]
    if notes:
        parts += ["Notes on the table as printed:\n"]
    parts += ["\n".join(f"{n}. `{row_id}`: {rows[row_id].note}" for row_id, n in notes.items())]
    return "\n".join(parts).rstrip("\n") + "\n"
