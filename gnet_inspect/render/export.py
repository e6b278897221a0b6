"""Machine and document formats of a TableReport: CSV, JSON and Markdown (data only)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any, TypeVar

from gnet_inspect.render.columns import Column, cells
from gnet_inspect.render.table_layout import (
    AUX_COLUMNS,
    TABLE_COLUMNS,
    caveats,
    footnotes,
    summary_lines,
)
from gnet_inspect.reports.table import TableReport

__all__ = ["markdown_table", "table_document", "to_csv", "to_json", "to_markdown"]

T = TypeVar("T")


def to_csv(records: list[dict[str, Any]]) -> str:
    """Flat records as CSV with a header row; empty cells for missing values."""
    buffer = io.StringIO()
    if records:
        writer = csv.DictWriter(buffer, fieldnames=list(records[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
    return buffer.getvalue()


def to_json(document: dict[str, Any]) -> str:
    """A JSON document, indented, with the paper's characters (×, −) kept as they are."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def table_document(report: TableReport) -> dict[str, Any]:
    """The whole report as plain JSON-ready data: rows, totals, depth, conventions, claims."""
    spec = report.spec
    records = report.records()
    return {
        "network": spec.name,
        "variant": spec.variant,
        "description": spec.description,
        "source": spec.source,
        "input_size": [report.input_size, report.input_size, spec.input.channels],
        "conventions": {
            "params_printed": asdict(spec.printed_params),
            "ops_printed": asdict(spec.printed_ops),
            "macs": "multiply-adds of convolutions and linear layers, per image (fvcore)",
            "flops": "2 × macs",
            "other_ops": "pooling, normalisation: counted apart from macs",
            "weights": "convolution and linear weights only (the paper's params column)",
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
        },
        "unrecognised_ops": report.unrecognised_ops,
    }


def markdown_table(
    columns: Sequence[Column[T]], records: Sequence[T], suffix: Callable[[T], str] | None = None
) -> str:
    """A GitHub-flavoured Markdown table of ``records``; ``suffix`` adds to the last cell."""
    lines = cells(columns, records)
    if suffix is not None:
        for record, line in zip(records, lines):
            line[-1] = f"{line[-1]} {suffix(record)}".strip()
    header = "| " + " | ".join(c.header or "check" for c in columns) + " |"
    rule = "|" + "|".join("---:" if c.numeric else "---" for c in columns) + "|"
    body = ["| " + " | ".join(cell.replace("|", "\\|") for cell in line) + " |" for line in lines]
    return "\n".join([header, rule, *body]) + "\n"


def to_markdown(report: TableReport) -> str:
    """The reproduced table for documentation: the table, the summary, the aux heads, notes."""
    spec = report.spec
    notes = footnotes(report)
    rows = {row.id: row for row in (*report.rows, *report.aux_rows)}
    parts = [
        f"### {spec.name}: Table 1 reproduced (variant {spec.variant}, "
        f"input {report.input_size}×{report.input_size}×{spec.input.channels})\n",
        markdown_table(
            TABLE_COLUMNS, report.rows, lambda r: f"[{notes[r.id]}]" if r.id in notes else ""
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
