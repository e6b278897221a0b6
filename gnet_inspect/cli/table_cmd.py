"""``gnet-inspect table``: Table 1 reproduced from the built network."""

from __future__ import annotations

from gnet_inspect.cli.app import (
    Format,
    FormatOption,
    InputSize,
    Output,
    SpecFile,
    Variant,
    app,
    load,
)
from gnet_inspect.cli.emit import emit_view

__all__ = ["table"]


@app.command()
def table(
    variant: Variant = None,
    spec: SpecFile = None,
    input_size: InputSize = None,
    format: FormatOption = Format.table,
    output: Output = None,
) -> None:
    """Reproduce Table 1 from the built network: measured params and MACs beside the print."""
    from gnet_inspect.render.console import table_view
    from gnet_inspect.reports.table import reproduce_table

    report = reproduce_table(load(spec, variant), input_size)
    emit_view(table_view(report), format.value, output)
