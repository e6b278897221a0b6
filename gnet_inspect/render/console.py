"""Terminal rendering with rich: grids fitted to the terminal, and the reproduced table."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from gnet_inspect.render.columns import Column, cells, fit, widths
from gnet_inspect.render.table_layout import (
    AUX_COLUMNS,
    TABLE_COLUMNS,
    caveats,
    footnotes,
    summary_lines,
)
from gnet_inspect.render.view import View
from gnet_inspect.reports.table import TableReport, TableRow

__all__ = ["grid", "left_out", "table_renderable", "table_view"]

T = TypeVar("T")
_MARK_STYLES = {"✗": "red", "≈": "yellow", "✓": "green"}


def grid(
    title: str,
    columns: Sequence[Column[T]],
    records: Sequence[T],
    width: int,
    suffix: Callable[[T], str] | None = None,
) -> tuple[Table, list[str]]:
    """A rich table of ``records`` that fits ``width``, and the headers it had to leave out.

    ``suffix`` adds text to a record's last cell (a footnote number); a last cell that starts
    with ✓, ≈ or ✗ is coloured.
    """
    lines = cells(columns, records)
    if suffix is not None:
        for record, line in zip(records, lines):
            line[-1] = f"{line[-1]} {suffix(record)}".strip()
    keep = fit(columns, lines, width)
    wide = widths(columns, lines)
    table = Table(title=title, title_justify="left", header_style="bold", pad_edge=False)
    for i in keep:
        justify = "right" if columns[i].numeric else "left"
        table.add_column(columns[i].header, justify=justify, width=wide[i])
    for line in lines:
        styled = [Text(line[i], style=_MARK_STYLES.get(line[i][:1], "")) for i in keep]
        table.add_row(*styled)
    return table, [columns[i].header for i in range(len(columns)) if i not in keep]


def left_out(dropped: list[str]) -> list[RenderableType]:
    """The line that says which columns a narrow terminal lost, if any."""
    if not dropped:
        return []
    return [
        Text(
            f"(A narrow terminal: left out {', '.join(dropped)}; widen it, or use "
            "--format csv or json for every column.)",
            style="dim",
        )
    ]


def table_renderable(report: TableReport, width: int) -> RenderableType:
    """The whole ``gnet-inspect table`` view as one rich renderable, fitted to ``width``."""
    spec = report.spec
    notes = footnotes(report)
    title = (
        f"{spec.name}, Table 1 reproduced from the built network "
        f"(variant {spec.label}, input {report.input_size}×{report.input_size}×"
        f"{spec.input.channels})"
    )
    parts: list[RenderableType] = []
    if spec.description:
        parts.append(Text(f"Variant {spec.variant}: {spec.description}", style="dim"))

    def marker(row: TableRow) -> str:
        return str(notes[row.id]) if row.id in notes else ""

    table, dropped = grid(title, TABLE_COLUMNS, report.rows, width, marker)
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
    from gnet_inspect.render.export import table_document, to_markdown

    return View(
        terminal=lambda width: table_renderable(report, width),
        markdown=lambda: to_markdown(report),
        records=report.records,
        document=lambda: table_document(report),
    )
