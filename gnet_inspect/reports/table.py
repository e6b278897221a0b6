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
from gnet_inspect.spec.notation import PrintedCount, parse_size
from gnet_inspect.spec.schema import ConvRow, DropoutRow, InceptionRow, NetworkSpec, Row
from gnet_inspect.spec.shapes import qualified_rows

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CHECKED_COLUMNS",
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
    input: str = ""
    paper: tuple[str, ...] | None = None
    """The row as the paper's own table prints it (``NetworkSpec.paper_columns``)."""
    paper_differs: tuple[str, ...] = ()
    """The paper's size and depth columns whose printed cell is not what was measured, and
    ``params`` or ``ops`` where the printed count differs beyond its last digit."""


# The paper's columns a measurement can check, and what each is checked against.
CHECKED_COLUMNS = ("output size", "input size", "depth")


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
        """Every row (main, then aux) as a flat dict of plain values; the paper's own columns
        (``paper_<header>``) where the table has them."""
        return [_flat(row, self.spec.paper_columns) for row in (*self.rows, *self.aux_rows)]

    def to_frame(self) -> pd.DataFrame:
        """The rows as a pandas DataFrame indexed by row id (aux rows as ``aux_4a.conv``)."""
        import pandas as pd

        return pd.DataFrame.from_records(self.records(), index="id").convert_dtypes()


def table_report(measured: Measurement) -> TableReport:
    """The measured network set beside its printed table, row by row."""
    spec = measured.spec
    by_id = {qid: row for qid, row, _ in qualified_rows(spec)}
    native = measured.input_size == spec.input.height
    inputs = _inputs(measured)
    rows = tuple(_row(spec, by_id[m.id], m, native, inputs[m.id]) for m in measured.rows)
    aux = tuple(_row(spec, by_id[m.id], m, native, inputs[m.id]) for m in measured.aux_rows)
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


def _inputs(measured: Measurement) -> dict[str, str]:
    """What each row receives: the image, the row before's output, or its head's tap's."""
    image = f"{measured.input_size}×{measured.input_size}×{measured.spec.input.channels}"
    outputs = {m.id: str(m.output) for m in measured.rows}
    taps = {head.id: head.tap for head in measured.spec.aux_heads}
    inputs: dict[str, str] = {}
    before: dict[str, str] = {}  # by head ("" for the main path): the last row's output
    for m in (*measured.rows, *measured.aux_rows):
        path = m.head or ""
        inputs[m.id] = before.get(path, outputs[taps[path]] if path else image)
        before[path] = str(m.output)
    return inputs


def _paper_differs(
    spec: NetworkSpec, cells: tuple[str, ...], measured: dict[str, str], native: bool
) -> tuple[str, ...]:
    """The paper's checked columns (``CHECKED_COLUMNS``, in any case) whose cell reads
    otherwise than what was measured (a size read with the paper's notation, ``8 × 8 ×
    2048``); an empty cell checks nothing, and sizes are checked only at the table's own
    input size (the print is of that one)."""
    differs = []
    for header, cell in zip(spec.paper_columns, cells):
        header = header.lower()
        if header not in CHECKED_COLUMNS or not cell or (header != "depth" and not native):
            continue
        if header == "depth":
            same = cell == measured["depth"]
        else:
            try:
                same = str(parse_size(cell)) == measured[header]
            except ValueError:
                same = False
        if not same:
            differs.append(header)
    return tuple(differs)


def _row(spec: NetworkSpec, row: Row, m: RowMeasure, native: bool, received: str) -> TableRow:
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
        input=received,
        paper=printed.paper,
        paper_differs=_paper_differs(
            spec,
            printed.paper or (),
            {"output size": str(m.output), "input size": received, "depth": str(m.depth)},
            native,
        )
        + tuple(
            name
            for name, cmp in (("params", params_cmp), ("ops", ops_cmp))
            if cmp is not None and cmp.status == "differs"
        ),
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


def _flat(row: TableRow, paper_columns: tuple[str, ...]) -> dict[str, Any]:
    record = asdict(row)
    cells = record.pop("paper") or ("",) * len(paper_columns)
    differs = record.pop("paper_differs")
    received = record.pop("input")
    if paper_columns:  # a table in its paper's own columns; Table 1's records stay as they were
        record["input"] = received
        record.update({f"paper_{header}": cell for header, cell in zip(paper_columns, cells)})
        record["paper_differs"] = ", ".join(differs)
    for key in ("params_vs_paper", "ops_vs_paper"):
        comparison = record.pop(key)
        prefix = key.split("_")[0]
        record[f"{prefix}_printed"] = comparison["printed"] if comparison else None
        record[f"{prefix}_in_printed_units"] = float(comparison["measured"]) if comparison else None
        record[f"{prefix}_diff"] = float(comparison["diff"]) if comparison else None
        record[f"{prefix}_status"] = comparison["status"] if comparison else None
    return record
