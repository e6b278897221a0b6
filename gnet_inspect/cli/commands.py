"""The commands. Each parses its options, makes one library call and emits one output.

Library modules are imported inside the commands, so ``gnet-inspect --help`` needs no torch.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from gnet_inspect.cli.emit import emit, render_text, terminal_width

__all__ = ["app"]

app = typer.Typer(
    name="gnet-inspect",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def gnet_inspect() -> None:
    """Take GoogLeNet (Inception-v1) apart: the paper's Table 1 built as a real PyTorch network,
    measured, and set beside what the paper printed."""


class TableFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"


Variant = Annotated[
    Optional[str],
    typer.Option(
        "--variant",
        help="Variant of the table to build: paper, caffe or torchvision for the bundled "
        "table (default: its first, paper).",
        show_default=False,
    ),
]
SpecFile = Annotated[
    Optional[Path],
    typer.Option(
        "--spec",
        help="A table file of the same schema (YAML) instead of the bundled GoogLeNet table.",
        dir_okay=False,
        show_default=False,
    ),
]
InputSize = Annotated[
    Optional[int],
    typer.Option(
        "--input-size",
        min=1,
        help="Square input size in pixels (default: the table's own, 224).",
        show_default=False,
    ),
]
Output = Annotated[
    Optional[Path],
    typer.Option(
        "--output",
        "-o",
        help="Write to this file (whole or not at all) instead of stdout.",
        dir_okay=False,
        show_default=False,
    ),
]


def _load(spec: Path | None, variant: str | None):  # noqa: ANN202 - a NetworkSpec
    from gnet_inspect.loader import load_spec

    return load_spec(spec, variant)


@app.command()
def table(
    variant: Variant = None,
    spec: SpecFile = None,
    input_size: InputSize = None,
    format: Annotated[
        TableFormat, typer.Option("--format", "-f", help="Output format.")
    ] = TableFormat.table,
    output: Output = None,
) -> None:
    """Reproduce Table 1 from the built network: measured params and MACs beside the print."""
    from gnet_inspect.analysis.table import reproduce_table
    from gnet_inspect.render import export

    report = reproduce_table(_load(spec, variant), input_size)
    if format is TableFormat.table:
        from gnet_inspect.render.console import table_renderable

        width = terminal_width() if output is None else 240
        if output is None and sys_is_tty():
            from rich.console import Console

            Console().print(table_renderable(report, width))
            return
        emit(render_text(table_renderable(report, width), width), output)
    elif format is TableFormat.csv:
        emit(export.to_csv(report.records()), output)
    elif format is TableFormat.json:
        emit(export.to_json(export.table_document(report)), output)
    else:
        emit(export.to_markdown(report), output)


def sys_is_tty() -> bool:
    import sys

    return sys.stdout.isatty()
