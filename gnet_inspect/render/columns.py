"""Columns of a tabular view, defined once and shared by the terminal and Markdown renderers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Column", "cells", "fit", "widths"]

T = TypeVar("T")


@dataclass(frozen=True)
class Column(Generic[T]):
    """A column: its header, how a record fills it, whether it holds numbers (right-aligned),
    and how readily a narrow terminal drops it (0: never; higher numbers go first)."""

    header: str
    cell: Callable[[T], str]
    numeric: bool = True
    drop: int = 0


def cells(columns: Sequence[Column[T]], records: Sequence[T]) -> list[list[str]]:
    """Every record's cells, column by column."""
    return [[column.cell(record) for column in columns] for record in records]


def widths(columns: Sequence[Column[T]], lines: list[list[str]]) -> list[int]:
    """Each column's width: its widest cell, or its header's longest word if that is wider
    (headers wrap between words)."""
    return [
        max([len(line[i]) for line in lines] + [len(word) for word in column.header.split()])
        for i, column in enumerate(columns)
    ]


def fit(columns: Sequence[Column[T]], lines: list[list[str]], width: int) -> list[int]:
    """The indexes of the columns to keep so the table fits ``width``: droppable columns go,
    highest ``drop`` first, until it fits (or nothing droppable is left). Each column takes
    its ``widths`` plus rich's padding and rule (3 characters)."""
    wide = widths(columns, lines)
    keep = list(range(len(columns)))
    for level in sorted({c.drop for c in columns if c.drop}, reverse=True):
        if sum(wide[i] + 3 for i in keep) + 1 <= width:
            break
        keep = [i for i in keep if columns[i].drop != level]
    return keep
