"""``gnet-inspect flops``: params, MACs and FLOPs by stage, module, branch or layer, and
ablations (``--reduce off``, ``--whatif``) measured alone or against their base network."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from gnet_inspect.cli.app import (
    Format,
    FormatOption,
    InputSize,
    Output,
    Reduce,
    ReduceOption,
    SpecFile,
    Variant,
    app,
    load,
)
from gnet_inspect.cli.emit import emit_view
from gnet_inspect.errors import OptionError

__all__ = ["flops"]


class Depth(str, Enum):
    stages = "stages"
    modules = "modules"
    branches = "branches"
    layers = "layers"


class WhatIfName(str, Enum):
    separable_conv1 = "separable-conv1"
    no_aux = "no-aux"
    fc_head = "fc-head"
    kernel3_in_5x5 = "3x3-in-5x5"


@app.command()
def flops(
    variant: Variant = None,
    spec: SpecFile = None,
    input_size: InputSize = None,
    depth: Annotated[
        Depth, typer.Option("--depth", help="Granularity: each level adds up to the one above.")
    ] = Depth.modules,
    reduce: ReduceOption = Reduce.on,
    whatif: Annotated[
        list[WhatIfName] | None,
        typer.Option(
            "--whatif",
            help="Another what-if, repeatable: separable-conv1 (conv1 as the paper's numbers "
            "describe it), no-aux, fc-head (no average pooling), 3x3-in-5x5 (torchvision).",
            show_default=False,
        ),
    ] = None,
    compare: Annotated[
        bool,
        typer.Option(
            "--compare",
            help="Side by side with the unmodified network: e.g. --reduce off --compare shows "
            "reduce on and off in one table, with the ratios.",
        ),
    ] = False,
    format: FormatOption = Format.table,
    output: Output = None,
) -> None:
    """Params, MACs and FLOPs per stage, module, branch or layer, and ablations.

    --reduce off and --whatif measure what the 1×1 reductions and other design choices buy.
    """
    from gnet_inspect.render.flops_view import breakdown_view, side_by_side_view
    from gnet_inspect.reports.flops import flops_breakdown
    from gnet_inspect.reports.flops_compare import compare_networks
    from gnet_inspect.spec.whatifs import apply_whatifs

    network = apply_whatifs(load(spec, variant, reduce), [w.value for w in whatif or []])
    if compare and not network.whatifs:
        raise OptionError("--compare needs something to compare: add --reduce off or --whatif")
    if compare:
        pair = compare_networks(load(spec, variant), network, depth.value, input_size)
        view = side_by_side_view(pair)
    else:
        view = breakdown_view(flops_breakdown(network, depth.value, input_size))
    emit_view(view, format.value, output)
