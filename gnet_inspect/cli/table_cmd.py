"""``gnet-inspect table``: the table (the bundled GoogLeNet's Table 1) reproduced from the built
network."""

from __future__ import annotations

from gnet_inspect.cli.app import (
    Format,
    FormatOption,
    InputSize,
    Output,
    Reduce,
    ReduceOption,
    SpecFile,
    TableName,
    Variant,
    WhatIfOption,
    app,
    load,
)
from gnet_inspect.cli.emit import emit_view

__all__ = ["table"]


@app.command()
def table(
    variant: Variant = None,
    spec: SpecFile = None,
    table: TableName = None,
    input_size: InputSize = None,
    reduce: ReduceOption = Reduce.on,
    whatif: WhatIfOption = None,
    format: FormatOption = Format.table,
    output: Output = None,
) -> None:
    """Reproduce the table (Table 1 for the bundled GoogLeNet) from the built network: measured
    params and MACs beside the print."""
    from gnet_inspect.measure.measure import measure
    from gnet_inspect.render.table_view import table_view
    from gnet_inspect.reports.table import table_report

    measured = measure(load(spec, variant, reduce, whatif, table), input_size)
    emit_view(table_view(table_report(measured)), format.value, output)
