"""A result ready for every output format: the one thing a command hands to the output step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.console import RenderableType

__all__ = ["View"]


@dataclass(frozen=True)
class View:
    """How one result renders: for a terminal of a given width, as Markdown, as flat records
    (CSV) and as one JSON document. Only the format asked for is rendered."""

    terminal: Callable[[int], RenderableType]
    markdown: Callable[[], str]
    records: Callable[[], list[dict[str, Any]]]
    document: Callable[[], dict[str, Any]]
