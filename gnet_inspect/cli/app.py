"""The typer application and the options that several commands share.

Library modules are imported inside the commands, so ``gnet-inspect --help`` needs no torch.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from gnet_inspect.spec.schema import NetworkSpec

__all__ = [
    "Format",
    "FormatOption",
    "InputSize",
    "Output",
    "Reduce",
    "ReduceOption",
    "SpecFile",
    "Variant",
    "app",
    "load",
]

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


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"


class Reduce(str, Enum):
    on = "on"
    off = "off"


Variant = Annotated[
    str | None,
    typer.Option(
        "--variant",
        help="Variant of the table to build: paper, caffe or torchvision for the bundled "
        "table (default: its first, paper).",
        show_default=False,
    ),
]
SpecFile = Annotated[
    Path | None,
    typer.Option(
        "--spec",
        help="A table file of the same schema (YAML) instead of the bundled GoogLeNet table.",
        dir_okay=False,
        show_default=False,
    ),
]
InputSize = Annotated[
    int | None,
    typer.Option(
        "--input-size",
        min=1,
        help="Square input size in pixels (default: the table's own, 224).",
        show_default=False,
    ),
]
Output = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Write to this file (whole or not at all) instead of stdout.",
        dir_okay=False,
        show_default=False,
    ),
]
ReduceOption = Annotated[
    Reduce,
    typer.Option(
        "--reduce",
        help="off: every Inception module without its 1×1 reductions (the naive module of "
        "the paper's Figure 2(a)).",
    ),
]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]


def load(spec: Path | None, variant: str | None, reduce: Reduce = Reduce.on) -> NetworkSpec:
    """The spec the options name, with the reductions removed when ``reduce`` is off."""
    from gnet_inspect.spec.loader import load_spec

    network = load_spec(spec, variant)
    if reduce is Reduce.off:
        from gnet_inspect.spec.whatifs import without_reductions

        network = without_reductions(network)
    return network
