"""``gnet-inspect lineage``: every generation side by side, measured, beside its paper's error."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gnet_inspect.cli.app import (
    Dtype,
    DtypeOption,
    Format,
    FormatOption,
    OptimizerOption,
    Output,
    app,
)
from gnet_inspect.cli.emit import emit_view
from gnet_inspect.errors import OptionError
from gnet_inspect.spec.loader import bundled_table, bundled_tables, list_variants

if TYPE_CHECKING:
    from gnet_inspect.spec.schema import NetworkSpec

__all__ = ["lineage"]


def _say_measuring(label: str, place: int, count: int) -> None:
    """A line on a terminal's stderr while each table is measured, gone when the next comes."""
    sys.stderr.write(f"\rmeasuring {label} ({place} of {count})\x1b[K")
    sys.stderr.write("\n" if place == count else "")
    sys.stderr.flush()


def _tables_help() -> str:
    tables = "; ".join(
        f"{name}: {', '.join(list_variants(bundled_table(f'{name}.yaml')))}"
        for name in bundled_tables()
    )
    return (
        "A bundled table to compare, NAME or NAME:VARIANT, repeatable, in the order to show "
        f"(default: every one, in the order their papers appeared). The tables and their "
        f"variants: {tables}."
    )


@app.command()
def lineage(
    table: Annotated[
        list[str] | None,
        typer.Option("--table", metavar="NAME[:VARIANT]", help=_tables_help(), show_default=False),
    ] = None,
    spec: Annotated[
        list[Path] | None,
        typer.Option(
            "--spec",
            help="A table file of the schema to compare (its first variant), repeatable; after "
            "the --table ones.",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Images, for the memory and the latency.")
    ] = 1,
    dtype: DtypeOption = Dtype.float32,
    optimizer: OptimizerOption = "momentum",
    latency: Annotated[
        bool,
        typer.Option(
            "--latency",
            help="Also time each forward pass on --device, as gnet-inspect profile does.",
        ),
    ] = False,
    device: Annotated[
        str, typer.Option("--device", help="Where --latency times: cpu, cuda or cuda:N.")
    ] = "cpu",
    warmup: Annotated[
        int, typer.Option("--warmup", min=0, help="Untimed passes first, with --latency.")
    ] = 3,
    repeats: Annotated[
        int, typer.Option("--repeats", min=1, help="Timed passes, with --latency.")
    ] = 10,
    format: FormatOption = Format.table,
    output: Output = None,
) -> None:
    """Every generation side by side: what each step of the lineage bought and what it cost.

    Input size, parameters, MACs, a training step's FLOPs, depth, memory and (with --latency)
    the measured forward latency of each table, its ratio to GoogLeNet's, where it spends its
    MACs by grid size, and its paper's printed single-model error rates.
    """
    from gnet_inspect.measure.optimizers import pick_optimizer
    from gnet_inspect.render.lineage_view import lineage_view
    from gnet_inspect.reports.lineage.compare import LineageTiming
    from gnet_inspect.reports.lineage.compare import lineage as measure_lineage
    from gnet_inspect.spec.loader import load_spec

    if not latency and (device != "cpu" or warmup != 3 or repeats != 10):
        raise OptionError("--device, --warmup and --repeats time the passes: add --latency")
    chosen = pick_optimizer(optimizer or "momentum")
    names: list[str | NetworkSpec] = list(table or [])
    names += [load_spec(path) for path in spec or []]
    timing = LineageTiming(device, warmup, repeats) if latency else None
    result = measure_lineage(
        names or None,
        batch_size=batch_size,
        dtype=dtype.value,
        optimizer=chosen,
        timing=timing,
        on_table=_say_measuring if sys.stderr.isatty() else None,
    )
    emit_view(lineage_view(result), format.value, output)
