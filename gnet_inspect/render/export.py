"""Machine and document formats of any report: CSV, JSON and Markdown tables (the kit)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from gnet_inspect.render.columns import Column, cells

__all__ = ["markdown_table", "to_csv", "to_json"]

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
