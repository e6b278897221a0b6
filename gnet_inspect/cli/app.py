"""The typer application and the options that several commands share.

Choices and help are generated from the registries: the variants from the bundled table, the
what-ifs from ``spec.whatifs.WHATIFS``, the levels from ``measure.levels``; the library checks
a value against the same registry (``apply_whatifs``, ``pick_level``) and names the choices.
None of those imports torch, and library modules that do are imported inside the commands,
so ``gnet-inspect --help`` stays fast.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gnet_inspect.errors import OptionError
from gnet_inspect.measure.levels import PHASES, Level, level_help
from gnet_inspect.measure.optimizers import OPTIMIZER_HELP, OPTIMIZERS
from gnet_inspect.spec.loader import bundled_table, bundled_tables, list_variants
from gnet_inspect.spec.whatifs import WHATIFS

if TYPE_CHECKING:
    from gnet_inspect.spec.schema import NetworkSpec

__all__ = [
    "Dtype",
    "DtypeOption",
    "Format",
    "FormatOption",
    "InputSize",
    "OptimizerOption",
    "Output",
    "PhaseOption",
    "Reduce",
    "ReduceOption",
    "SpecFile",
    "TableName",
    "Variant",
    "WhatIfOption",
    "app",
    "depth_option",
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


class Dtype(str, Enum):
    float32 = "float32"
    float16 = "float16"
    bfloat16 = "bfloat16"


class Reduce(str, Enum):
    on = "on"
    off = "off"


def _variant_help() -> str:
    tables = "; ".join(
        f"{name}: {', '.join(list_variants(bundled_table(f'{name}.yaml')))}"
        for name in bundled_tables()
    )
    return (
        f"Variant of the table to build (default: the table's first). The bundled tables' "
        f"variants: {tables}; a --spec table's own variants otherwise."
    )


Variant = Annotated[
    str | None,
    typer.Option("--variant", help=_variant_help(), show_default=False),
]
SpecFile = Annotated[
    Path | None,
    typer.Option(
        "--spec",
        help="A table file of the schema (YAML, see docs/schema.md) instead of a bundled one.",
        dir_okay=False,
        show_default=False,
    ),
]
TableName = Annotated[
    str | None,
    typer.Option(
        "--table",
        metavar="NAME",
        help=f"A bundled table to build: {', '.join(bundled_tables())} "
        f"(default: {bundled_tables()[0]}).",
        show_default=False,
    ),
]
InputSize = Annotated[
    int | None,
    typer.Option(
        "--input-size",
        min=1,
        help="Square input size in pixels (default: the table's own input size).",
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
WhatIfOption = Annotated[
    list[str] | None,
    typer.Option(
        "--whatif",
        metavar="NAME",
        help="Another what-if, repeatable: "
        + "; ".join(f"{w.name}: {w.help}" for w in WHATIFS.values())
        + ".",
        show_default=False,
    ),
]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
DtypeOption = Annotated[Dtype, typer.Option("--dtype", help="Weights' and activations' dtype.")]
OptimizerOption = Annotated[
    str | None,
    typer.Option(
        "--optimizer",
        metavar=f"[{'|'.join(OPTIMIZERS)}]",
        help="; ".join(f"{name}: {OPTIMIZER_HELP[name]}" for name in OPTIMIZERS) + ".",
    ),
]
PhaseOption = Annotated[
    str,
    typer.Option(
        "--pass",
        metavar=f"[{'|'.join(PHASES)}]",
        help="inference: the forward pass; train: a training step (forward with the auxiliary "
        "heads, then backward, towards the inputs and the weights).",
    ),
]


def depth_option(levels: tuple[Level, ...], default: str | None, note: str = "") -> Any:
    """A ``--depth`` option offering ``levels``, each explained, with ``default``."""
    return typer.Option(
        "--depth",
        metavar=f"[{'|'.join(levels)}]",
        help=f"Granularity. {level_help(levels)}.{note}",
        show_default=default is not None,
    )


def load(
    spec: Path | None,
    variant: str | None,
    reduce: Reduce = Reduce.on,
    whatifs: list[str] | None = None,
    table: str | None = None,
) -> NetworkSpec:
    """The spec the options name (``--table`` or ``--spec``, GoogLeNet's by default), with the
    reductions removed when ``reduce`` is off and the named what-ifs applied in order."""
    from gnet_inspect.spec.loader import load_spec, named_table
    from gnet_inspect.spec.whatifs import apply_whatifs, without_reductions

    if table is not None and spec is not None:
        raise OptionError("--table and --spec both name a table; give one")
    network = load_spec(named_table(table) if table is not None else spec, variant)
    if reduce is Reduce.off:
        network = without_reductions(network)
    return apply_whatifs(network, whatifs or [])
