"""``gnet-inspect docs``: the figures and Markdown tables for documentation, written in one go."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from gnet_inspect.cli.app import InputSize, SpecFile, Variant, app, load
from gnet_inspect.cli.emit import write_atomically
from gnet_inspect.errors import GnetInspectError, OutputError

__all__ = ["docs"]


class DocsFormat(str, Enum):
    svg = "svg"
    png = "png"
    pdf = "pdf"


@app.command()
def docs(
    directory: Annotated[
        Path,
        typer.Argument(help="Folder to write into (created if missing).", file_okay=False),
    ],
    variant: Variant = None,
    spec: SpecFile = None,
    input_size: InputSize = None,
    module: Annotated[
        str | None,
        typer.Option(
            "--module",
            "-m",
            help="The module drawn in detail (default: the first Inception module).",
            show_default=False,
        ),
    ] = None,
    format: Annotated[
        DocsFormat, typer.Option("--format", "-f", help="Format of the figures.")
    ] = DocsFormat.svg,
) -> None:
    """Write the documentation set: the whole network, one Inception module with and without
    its reductions, Table 1 reproduced in Markdown, and an index.md that shows them all."""
    from gnet_inspect.docs import documentation_set
    from gnet_inspect.render.diagram import require_dot

    require_dot(format.value)
    created = not directory.exists()
    try:  # first, so that an unwritable folder fails before minutes of rendering
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        message = f"cannot create {directory}: {exc.strerror}; choose a writable folder"
        raise OutputError(message) from None
    try:
        files = documentation_set(load(spec, variant), format.value, module, input_size)
    except GnetInspectError:
        if created:
            directory.rmdir()  # leave no empty folder behind a failed run
        raise
    for file in files:
        write_atomically(directory / file.name, file.data)
        typer.echo(directory / file.name)
