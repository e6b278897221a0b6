"""``gnet-inspect flops``: params, MACs and FLOPs by stage, module, branch, layer or operation,
and ablations (``--reduce off``, ``--whatif``) measured alone or against their base network."""

from __future__ import annotations

from typing import Annotated

import typer

from gnet_inspect.cli.app import (
    Format,
    FormatOption,
    InputSize,
    Output,
    PhaseOption,
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
from gnet_inspect.errors import OptionError
from gnet_inspect.measure.levels import LEVELS

__all__ = ["flops"]


@app.command()
def flops(
    variant: Variant = None,
    spec: SpecFile = None,
    table: TableName = None,
    input_size: InputSize = None,
    depth: Annotated[
        str, depth_option(LEVELS, "modules", " Each level adds up to the one above.")
    ] = "modules",
    reduce: ReduceOption = Reduce.on,
    whatif: WhatIfOption = None,
    compare: Annotated[
        bool,
        typer.Option(
            "--compare",
            help="Side by side with the unmodified network: e.g. --reduce off --compare shows "
            "reduce on and off in one table, with the ratios.",
        ),
    ] = False,
    phase: PhaseOption = "inference",
    format: FormatOption = Format.table,
    output: Output = None,
) -> None:
    """Params, MACs and FLOPs per stage, module, branch, layer or operation, and ablations.

    --reduce off and --whatif measure what the 1×1 reductions and other design choices buy;
    --pass train counts a training step: forward with the aux heads, and backward.
    """
    from gnet_inspect.measure.levels import pick_level, pick_phase
    from gnet_inspect.measure.measure import measure
    from gnet_inspect.render.flops_view import breakdown_view, side_by_side_view
    from gnet_inspect.reports.flops import break_down
    from gnet_inspect.reports.flops_compare import compare_networks

    level, chosen = pick_level(depth), pick_phase(phase)
    if compare and chosen == "train":
        raise OptionError("--compare counts inference only; leave out --pass train")
    network = load(spec, variant, reduce, whatif, table)
    if compare and not network.whatifs:
        raise OptionError("--compare needs something to compare: add --reduce off or --whatif")
    measured = measure(network, input_size)
    if compare:
        base = measure(load(spec, variant, table=table), input_size)
        view = side_by_side_view(compare_networks(base, measured, level))
    else:
        view = breakdown_view(break_down(measured, level, chosen))
    emit_view(view, format.value, output)
