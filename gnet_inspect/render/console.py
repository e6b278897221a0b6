"""Terminal rendering with rich: grids fitted to the terminal (part of the render kit)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from rich.console import JustifyMethod, RenderableType
from rich.table import Table
from rich.text import Text

from gnet_inspect.render.columns import Column, cells, fit, widths

__all__ = ["grid", "left_out"]

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
        justify: JustifyMethod = "right" if columns[i].numeric else "left"
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
