"""A valid table whose row ids are the words a diagram uses for its own nodes."""

from __future__ import annotations

from pathlib import Path

from gnet_inspect.spec.loader import bundled_table

CLASHING_IDS = (
    ("{id: avgpool, type: avg pool", "{id: legend, type: avg pool"),
    ("{id: dropout, type: dropout,", "{id: input, type: dropout,"),
    ("{id: linear, type: linear", "{id: output, type: linear"),
    ("{id: classifier, type: linear", "{id: output, type: linear"),
    ("      avgpool: {type:", "      legend: {type:"),
    ("      dropout: {p: 0.2}", "      input: {p: 0.2}"),
)


def write_clashing_table(path: Path) -> Path:
    """The bundled table with rows called input, output and legend (valid row ids), and aux
    heads whose rows are called input and output, written to ``path``."""
    text = bundled_table().read_text(encoding="utf-8")
    for old, new in CLASHING_IDS:
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return path
