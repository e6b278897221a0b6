"""``gnet-inspect docs``: the figures and Markdown tables for documentation, written in one go."""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import suppress
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gnet_inspect.cli.app import (
    InputSize,
    Reduce,
    ReduceOption,
    SpecFile,
    TableName,
    Variant,
    WhatIfOption,
    app,
    load,
)
from gnet_inspect.cli.files import write_all_atomically
from gnet_inspect.cli.streams import stdout_closed
from gnet_inspect.errors import OutputError

if TYPE_CHECKING:
    from gnet_inspect.render.docs import DocFile

__all__ = ["docs"]


class DocsFormat(str, Enum):
    """The figures' format (``--format``)."""

    svg = "svg"
    png = "png"
    pdf = "pdf"


FolderArgument = Annotated[
    Path,
    typer.Argument(help="Folder to write into (created if missing).", file_okay=False),
]
ModuleOption = Annotated[
    str | None,
    typer.Option(
        "--module",
        "-m",
        help="The module drawn in detail (default: the first Inception module).",
        show_default=False,
    ),
]
DocsFormatOption = Annotated[
    DocsFormat, typer.Option("--format", "-f", help="Format of the figures.")
]


@app.command()
def docs(
    directory: FolderArgument,
    variant: Variant = None,
    spec: SpecFile = None,
    table: TableName = None,
    input_size: InputSize = None,
    reduce: ReduceOption = Reduce.on,
    whatif: WhatIfOption = None,
    module: ModuleOption = None,
    format: DocsFormatOption = DocsFormat.svg,
    result: Annotated[
        Path | None,
        typer.Option(
            "--result",
            help="A saved profile of this table (gnet-inspect profile --format json -o FILE) "
            "to draw, from any machine. Default: a short profile on this CPU.",
            show_default=False,
        ),
    ] = None,
    pictures: Annotated[
        bool, typer.Option(help="Draw the pictures of a latency profile (charts, roofline).")
    ] = True,
    lineage: Annotated[
        Path | None,
        typer.Option(
            "--lineage",
            help="A saved lineage (gnet-inspect lineage --format json -o FILE) to add a "
            "page for: the generations side by side and their two charts.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Write the figures and tables for documentation into a folder, in one go.

    The whole network, one Inception module with and without its reductions, the table
    reproduced, what the reductions save and what memory costs in Markdown, the pictures of a
    latency profile (where the cost goes, a roofline, the network coloured by latency), with
    --lineage FILE the generations side by side, and an index.md showing them all.
    """
    from gnet_inspect.render.docs import documentation_set

    profile = series = None
    if result is not None:
        from gnet_inspect.reports.profile.saved import load_profile

        profile = load_profile(result)  # a bad file fails before anything is built
    if lineage is not None:
        from gnet_inspect.reports.lineage.saved import load_lineage

        series = load_lineage(lineage)  # as a bad profile, before anything is built
    with _WholeOrNothing(directory) as folder:
        network = load(spec, variant, reduce, whatif, table)
        files = documentation_set(
            network, format.value, module, input_size, profile, pictures, series
        )
        folder.write(files)
    if not stdout_closed():  # the folder is the output; the list of its files is a courtesy
        for path in folder.written:
            typer.echo(path)


class _WholeOrNothing:
    """A folder written as a whole or not at all.

    The folder is made on entering, so an unwritable one fails before minutes of rendering.
    The files are written all at once (``write_all_atomically``): every one to a temporary
    first, then all renamed into place, or none, and the files they replace kept until then.
    If anything fails inside the block (an error, Ctrl-C, SIGTERM), the folders this run
    created are removed again, so a failed run leaves things as they were.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.written: list[Path] = []
        self._made: list[Path] = []

    def __enter__(self) -> _WholeOrNothing:
        folders = (self.directory, *self.directory.parents)
        self._made = [folder for folder in folders if not os.path.lexists(folder)]
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            return self  # inside the try: a signal up to here still removes what was made
        except OSError as exc:
            self._remove_made()
            message = f"cannot create {self.directory}: {exc.strerror}; choose a writable folder"
            raise OutputError(message) from None
        except BaseException:  # Ctrl-C or SIGTERM while the folders are being made
            self._remove_made()
            raise

    def write(self, files: Sequence[DocFile]) -> None:
        """Writes every file of the set into the folder, all or none."""
        paths = [self.directory / file.name for file in files]
        write_all_atomically([(path, file.data) for path, file in zip(paths, files)])
        self.written = paths

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None:
            return
        self._remove_made()

    def _remove_made(self) -> None:
        for folder in self._made:  # innermost first; one that is not empty now is kept
            with suppress(OSError):
                folder.rmdir()
