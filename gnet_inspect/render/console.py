"""Terminal rendering with rich: the reproduced table, its notes and its summary."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from gnet_inspect.analysis.table import TableReport, TableRow
from gnet_inspect.render.table_layout import (
    AUX_COLUMNS,
    TABLE_COLUMNS,
    Column,
    footnotes,
    summary_lines,
)

__all__ = ["table_renderable"]

_STYLES = {"✗": "red", "≈": "yellow", "✓": "green"}


def _grid(
    title: str,
    columns: Sequence[Column],
    rows: Sequence[TableRow],
    notes: dict[str, int],
    width: int,
) -> tuple[Table, list[str]]:
    """A rich table of ``rows``; drops optional columns until it fits ``width``, and says which."""
    cells = [[column.cell(row) for column in columns] for row in rows]
    for row, line in zip(rows, cells):
        if columns[-1].header == "" and row.id in notes:
            line[-1] = f"{line[-1]} {notes[row.id]}"
    widths = [
        max([len(line[i]) for line in cells] + [min(len(c.header), 6)])
        for i, c in enumerate(columns)
    ]
    keep = list(range(len(columns)))
    for level in sorted({c.drop for c in columns if c.drop}, reverse=True):
        if sum(widths[i] + 3 for i in keep) + 1 <= width:
            break
        keep = [i for i in keep if columns[i].drop != level]
    table = Table(title=title, title_justify="left", header_style="bold", pad_edge=False)
    for i in keep:
        justify = "right" if columns[i].numeric else "left"
        table.add_column(columns[i].header, justify=justify, min_width=widths[i])
    for line in cells:
        mark = line[-1].split(" ")[0]
        table.add_row(*(line[i] for i in keep[:-1]), Text(line[-1], style=_STYLES.get(mark, "")))
    dropped = [columns[i].header for i in range(len(columns)) if i not in keep]
    return table, dropped


def table_renderable(report: TableReport, width: int) -> RenderableType:
    """The whole ``gnet-inspect table`` view as one rich renderable, fitted to ``width``."""
    spec = report.spec
    notes = footnotes(report)
    title = (
        f"{spec.name}, Table 1 reproduced from the built network "
        f"(variant {spec.variant}, input {report.input_size}×{report.input_size}×"
        f"{spec.input.channels})"
    )
    parts: list[RenderableType] = []
    if spec.description:
        parts.append(Text(f"Variant {spec.variant}: {spec.description}", style="dim"))
    table, dropped = _grid(title, TABLE_COLUMNS, report.rows, notes, width)
    parts.append(table)
    if dropped:
        parts.append(
            Text(
                f"(A narrow terminal: left out {', '.join(dropped)}; widen it, or use "
                "--format csv or json for every column.)",
                style="dim",
            )
        )
    parts += [Text(line) for line in summary_lines(report)]
    if report.aux_rows:
        title = "Auxiliary classifiers (training only)"
        parts.append(_grid(title, AUX_COLUMNS, report.aux_rows, {}, width)[0])
    rows = {row.id: row for row in (*report.rows, *report.aux_rows)}
    parts += [Text(f"[{n}] {row_id}: {rows[row_id].note}") for row_id, n in notes.items()]
    return Group(*parts)
