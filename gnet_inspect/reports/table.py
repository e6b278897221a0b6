"""The reproduced Table 1: every row measured on the built network, set beside the print.

A printed count is read with the table's stated convention (params: weights, 1K = 1024; ops:
multiply-adds, 1M = 10^6) and compared within its printed precision: ``match`` within half a
unit of the last printed digit (rounding), ``close`` within one unit (the paper rounds some
rows down and some up), ``differs`` beyond that.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from gnet_inspect.measure.depth import BLOCK_RULE, DepthReport
from gnet_inspect.measure.measure import Measurement, RowMeasure
from gnet_inspect.spec.notation import PrintedCount
from gnet_inspect.spec.schema import ConvRow, DropoutRow, InceptionRow, NetworkSpec, Row
from gnet_inspect.spec.shapes import qualified_rows

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Comparison",
    "Status",
    "TableReport",
    "TableRow",
    "Totals",
    "compare_count",
    "table_report",
]

Status = Literal["match", "close", "differs"]


@dataclass(frozen=True)
class Comparison:
    """A measured count beside a printed one, in the printed units (diff = measured − printed)."""

    printed: str
    measured: Decimal
    diff: Decimal
    unit: str
    status: Status


@dataclass(frozen=True)
class TableRow:
    """One row of the reproduced table: the paper's columns, then what was measured."""

    id: str
    head: str | None
    type: str
    patch: str | None
    output: str
    output_printed: str
    depth: int
    depth_printed: int | None
    ch1x1: int | None
    ch3x3red: int | None
    ch3x3: int | None
    ch5x5red: int | None
    ch5x5: int | None
    ch5x5_kernel: int | None
    pool_proj: int | None
    params: int
    weights: int
    macs: int
    flops: int
    other_ops: int
    params_vs_paper: Comparison | None
    ops_vs_paper: Comparison | None
    note: str | None


@dataclass(frozen=True)
class Totals:
    """Sums over a set of rows; FLOPs are 2 × MACs."""

    params: int
    weights: int
    macs: int
    flops: int
    other_ops: int


@dataclass(frozen=True)
class TableReport:
    """The whole reproduced table, its totals, depth and auxiliary heads."""

    spec: NetworkSpec
    input_size: int
    rows: tuple[TableRow, ...]
    aux_rows: tuple[TableRow, ...]
    totals: Totals
    aux_totals: dict[str, Totals]
    depth: DepthReport
    block_rule: str
    unrecognised_ops: dict[str, int]

    @property
    def params_with_aux(self) -> int:
        return self.totals.params + sum(t.params for t in self.aux_totals.values())

    def records(self) -> list[dict[str, Any]]:
        """Every row (main, then aux) as a flat dict of plain values."""
        return [_flat(row) for row in (*self.rows, *self.aux_rows)]

    def to_frame(self) -> pd.DataFrame:
        """The rows as a pandas DataFrame indexed by row id (aux rows as ``aux_4a.conv``)."""
        import pandas as pd

        return pd.DataFrame.from_records(self.records(), index="id").convert_dtypes()


def table_report(measured: Measurement) -> TableReport:
    """The measured network set beside its printed table, row by row."""
    spec = measured.spec
    by_id = {qid: row for qid, row, _ in qualified_rows(spec)}
    native = measured.input_size == spec.input.height
    rows = tuple(_row(spec, by_id[m.id], m, native) for m in measured.rows)
    aux = tuple(_row(spec, by_id[m.id], m, native) for m in measured.aux_rows)
    heads = {h.id: _sum([r for r in aux if r.head == h.id]) for h in spec.aux_heads}
    return TableReport(
        spec=spec,
        input_size=measured.input_size,
        rows=rows,
        aux_rows=aux,
        totals=_sum(list(rows)),
        aux_totals=heads,
        depth=measured.depth,
        block_rule=BLOCK_RULE,
        unrecognised_ops=measured.unrecognised,
    )


def compare_count(measured: int, printed: PrintedCount, base: int) -> Comparison:
    """Compares a measured count with a printed one read in base ``base`` (1000 or 1024)."""
    scale = printed.value(base) / printed.digits if printed.digits else Decimal(1)
    in_units = Decimal(measured) / scale
    diff = in_units - printed.digits
    step = printed.last_digit(base) / scale
    status: Status = (
        "match" if abs(diff) <= step / 2 else "close" if abs(diff) <= step else "differs"
    )
    return Comparison(printed.text, in_units, diff, printed.suffix, status)


def _row(spec: NetworkSpec, row: Row, m: RowMeasure, native: bool) -> TableRow:
    """One row; the printed ops are compared only at the table's own input size (the params
    do not depend on it)."""
    printed = row.printed
    params_cmp = ops_cmp = None
    if printed.params is not None:
        counted = m.params.params if spec.printed_params.counts == "params" else m.params.weights
        params_cmp = compare_count(counted, printed.params, spec.printed_params.base)
    if printed.ops is not None and native:
        ops_cmp = compare_count(m.macs, printed.ops, spec.printed_ops.base)
    return TableRow(
        id=m.id,
        head=m.head,
        type=_type(row),
        patch=printed.patch,
        output=str(m.output),
        output_printed=str(printed.output),
        depth=m.depth,
        depth_printed=printed.depth,
        **_channels(row),
        params=m.params.params,
        weights=m.params.weights,
        macs=m.macs,
        flops=2 * m.macs,
        other_ops=m.other_ops,
        params_vs_paper=params_cmp,
        ops_vs_paper=ops_cmp,
        note=row.note,
    )


def _type(row: Row) -> str:
    if isinstance(row, InceptionRow):
        return f"inception ({row.id.rsplit('_', 1)[-1]})" if "_" in row.id else "inception"
    if isinstance(row, DropoutRow):
        return f"dropout ({row.p:.0%})"
    return row.printed.type


def _channels(row: Row) -> dict[str, int | None]:
    columns: dict[str, int | None] = dict.fromkeys(
        ("ch1x1", "ch3x3red", "ch3x3", "ch5x5red", "ch5x5", "ch5x5_kernel", "pool_proj")
    )
    if isinstance(row, InceptionRow):
        columns.update(
            ch1x1=row.ch1x1,
            ch3x3red=row.ch3x3red,
            ch3x3=row.ch3x3,
            ch5x5red=row.ch5x5red,
            ch5x5=row.ch5x5,
            ch5x5_kernel=row.ch5x5_kernel,
            pool_proj=row.pool_proj,
        )
    elif isinstance(row, ConvRow) and row.reduce is not None:
        columns.update(ch3x3red=row.reduce, ch3x3=row.channels)
    return columns


def _sum(rows: list[TableRow]) -> Totals:
    return Totals(
        params=sum(r.params for r in rows),
        weights=sum(r.weights for r in rows),
        macs=sum(r.macs for r in rows),
        flops=sum(r.flops for r in rows),
        other_ops=sum(r.other_ops for r in rows),
    )


def _flat(row: TableRow) -> dict[str, Any]:
    record = asdict(row)
    for key in ("params_vs_paper", "ops_vs_paper"):
        comparison = record.pop(key)
        prefix = key.split("_")[0]
        record[f"{prefix}_printed"] = comparison["printed"] if comparison else None
        record[f"{prefix}_in_printed_units"] = float(comparison["measured"]) if comparison else None
        record[f"{prefix}_diff"] = float(comparison["diff"]) if comparison else None
        record[f"{prefix}_status"] = comparison["status"] if comparison else None
    return record
