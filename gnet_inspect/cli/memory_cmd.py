"""``gnet-inspect memory``: weights, activations and what a training step keeps, per block."""

from __future__ import annotations

from typing import Annotated

import typer

from gnet_inspect.cli.app import (
    Dtype,
    DtypeOption,
    Format,
    FormatOption,
    InputSize,
    OptimizerOption,
    Output,
    Reduce,
    ReduceOption,
    SpecFile,
    TableName,
    Variant,
    WhatIfOption,
    app,
    depth_option,
    load,
)
from gnet_inspect.cli.emit import emit_view
from gnet_inspect.measure.levels import LEVELS

__all__ = ["memory"]


@app.command()
def memory(
    variant: Variant = None,
    spec: SpecFile = None,
    table: TableName = None,
    input_size: InputSize = None,
    depth: Annotated[str, depth_option(LEVELS[:4], "modules")] = "modules",
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Images.")] = 1,
    dtype: DtypeOption = Dtype.float32,
    optimizer: OptimizerOption = "momentum",
    measure_peak: Annotated[
        str | None,
        typer.Option(
            "--measure",
            help="Also measure the inference peak on this device (cpu: the profiler's "
            "allocator events, about two seconds more; cuda[:N]: max_memory_allocated).",
            show_default=False,
        ),
    ] = None,
    reduce: ReduceOption = Reduce.on,
    whatif: WhatIfOption = None,
    format: FormatOption = Format.table,
    output: Output = None,
) -> None:
    """Weights, activations and what a training step keeps in memory, per block.

    The peak of live activations over the inference forward pass and which block holds it;
    per block, what it saves for the backward pass; gradients and optimizer state.
    """
    from gnet_inspect.measure.levels import pick_level
    from gnet_inspect.measure.measure import measure
    from gnet_inspect.measure.optimizers import pick_optimizer
    from gnet_inspect.render.memory_view import memory_view
    from gnet_inspect.reports.memory import memory_report

    level, chosen = pick_level(depth, LEVELS[:4]), pick_optimizer(optimizer or "momentum")
    if measure_peak is not None:  # a device that cannot be had fails before any work
        from gnet_inspect.measure.devices import resolve_device

        resolve_device(measure_peak, "--measure")
    measured = measure(load(spec, variant, reduce, whatif, table), input_size)
    report = memory_report(
        measured, level, batch_size=batch_size, dtype=dtype.value, optimizer=chosen,
        measure_peak=measure_peak,
    )  # fmt: skip
    emit_view(memory_view(report), format.value, output)
