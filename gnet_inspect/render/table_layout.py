"""What the reproduced table shows, defined once for the terminal and for Markdown.

The table is named as its source cites it (``Table 1`` for the bundled GoogLeNet table), so a
table of another network speaks of itself, not of GoogLeNet's Table 1.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from gnet_inspect.render.columns import Column
from gnet_inspect.render.format import STATUS_MARKS, grouped, si, signed, significant
from gnet_inspect.reports.table import CHECKED_COLUMNS, Comparison, TableReport, TableRow
from gnet_inspect.spec.schema import NetworkSpec

__all__ = [
    "AUX_COLUMNS",
    "caveats",
    "flag",
    "footnotes",
    "printed_table",
    "summary_lines",
    "table_columns",
]

# A numbered table cited at the end of a source: "…, CVPR 2015 (arXiv:1409.4842), Table 1".
_CITED_TABLE = re.compile(r"\bTable\s+([0-9]+[a-z]?|[IVXL]+)\s*$")


def printed_table(spec: NetworkSpec) -> str:
    """The table the spec reproduces, as its source cites it (``Table 1``), or ``the table``
    where the source ends with no numbered table."""
    cited = _CITED_TABLE.search(spec.source)
    return f"Table {cited[1]}" if cited else "the table"


def _opt(value: int | None) -> str:
    return "" if value is None else str(value)


def _measured(cmp: Comparison | None) -> str:
    return "" if cmp is None else f"{significant(cmp.measured)}{cmp.unit}"


def _diff(cmp: Comparison | None) -> str:
    return "" if cmp is None else signed(cmp.diff, cmp.unit)


def _depth(row: TableRow) -> str:
    if row.depth_printed is None or row.depth_printed == row.depth:
        return str(row.depth)
    return f"{row.depth} ✗ paper {row.depth_printed}"


def _output(row: TableRow) -> str:
    if row.output == row.output_printed:
        return row.output
    return f"{row.output} (paper {row.output_printed})"


def flag(row: TableRow) -> str:
    """The marks of a row's two comparisons, params then ops (✓, ≈, ✗; · where one is not
    compared), or empty where neither is."""
    comparisons = (row.params_vs_paper, row.ops_vs_paper)
    if all(c is None for c in comparisons):
        return ""
    return "".join(STATUS_MARKS[c.status] if c is not None else "·" for c in comparisons)


def paper_columns(report: TableReport) -> tuple[Column[TableRow], ...]:
    """The columns of a table printed in its paper's own columns: the id, each printed cell
    verbatim, then what was measured, and which printed size or depth it contradicts."""

    def cell(index: int) -> Column[TableRow]:
        header = report.spec.paper_columns[index]
        numeric = all(
            r.paper is None or not r.paper[index] or r.paper[index].isdigit() for r in report.rows
        )
        return Column(header, lambda r: r.paper[index] if r.paper else "", numeric=numeric)

    measured: list[Column[TableRow]] = []
    if "input size" in report.spec.paper_columns:
        measured.append(Column("input measured", lambda r: r.input, numeric=False))
    return (
        Column("id", lambda r: r.id, numeric=False),
        *(cell(i) for i in range(len(report.spec.paper_columns))),
        *measured,
        Column("output measured", lambda r: r.output, numeric=False),
        Column("depth measured", lambda r: str(r.depth), drop=3),
        Column("params", lambda r: grouped(r.params) if r.params else ""),
        Column("MACs", lambda r: si(r.macs) if r.macs else ""),
        Column("FLOPs (2×MACs)", lambda r: si(r.flops) if r.flops else "", drop=6),
        Column(
            "print differs",
            lambda r: ", ".join(r.paper_differs) if r.paper_differs else ("✓" if r.paper else ""),
            numeric=False,
        ),
    )


def table_columns(report: TableReport) -> tuple[Column[TableRow], ...]:
    """The main table's columns: the paper's own where the table gives them
    (``paper_columns``), Table 1's otherwise. An ``id`` column follows the type where two
    Inception rows share a label (``stage1_a`` and ``stage2_a`` are both ``inception (a)``);
    a "5×5" branch of another kernel shows it (``96 (7×7)``); the measured column is named
    for what the printed params count."""

    def ch5x5(row: TableRow) -> str:
        kernel = row.ch5x5_kernel or 5
        return _opt(row.ch5x5) if kernel == 5 else f"{row.ch5x5} ({kernel}×{kernel})"

    if report.spec.paper_columns:
        return paper_columns(report)
    named = [r.type for r in report.rows if r.ch5x5_kernel is not None or r.type == "inception"]
    ids: list[Column[TableRow]] = []
    if len(named) > len(set(named)):
        ids.append(Column("id", lambda r: r.id, numeric=False))
    counted = report.spec.printed_params.counts
    return (
        Column("type", lambda r: r.type, numeric=False),
        *ids,
        Column("patch size/ stride", lambda r: r.patch or "", numeric=False, drop=2),
        Column("output size", _output, numeric=False),
        Column("depth", _depth, drop=3),
        *(_channel_columns(ch5x5) if any(_has_channels(r) for r in report.rows) else ()),
        Column("params paper", lambda r: r.params_vs_paper.printed if r.params_vs_paper else ""),
        Column(f"{counted} measured", lambda r: _measured(r.params_vs_paper)),
        Column("Δ", lambda r: _diff(r.params_vs_paper), drop=4),
        Column("params incl. biases", lambda r: grouped(r.params) if r.params else "", drop=5),
        Column("ops paper", lambda r: r.ops_vs_paper.printed if r.ops_vs_paper else ""),
        Column("MACs measured", lambda r: si(r.macs) if r.macs else ""),
        Column("Δ", lambda r: _diff(r.ops_vs_paper), drop=4),
        Column("FLOPs (2×MACs)", lambda r: si(r.flops) if r.flops else "", drop=6),
        Column("", flag, numeric=False),
    )


def _has_channels(row: TableRow) -> bool:
    """Whether a row fills Table 1's channel columns (a GoogLeNet-style module or conv2)."""
    return row.ch1x1 is not None or row.ch3x3 is not None


def _channel_columns(ch5x5: Callable[[TableRow], str]) -> tuple[Column[TableRow], ...]:
    """Table 1's channel columns; left out of a table none of whose rows fills them."""
    return (
        Column("#1×1", lambda r: _opt(r.ch1x1), drop=1),
        Column("#3×3 reduce", lambda r: _opt(r.ch3x3red), drop=1),
        Column("#3×3", lambda r: _opt(r.ch3x3), drop=1),
        Column("#5×5 reduce", lambda r: _opt(r.ch5x5red), drop=1),
        Column("#5×5", ch5x5, drop=1),
        Column("pool proj", lambda r: _opt(r.pool_proj), drop=1),
    )


AUX_COLUMNS: tuple[Column[TableRow], ...] = (
    Column("head", lambda r: r.head or "", numeric=False),
    Column("layer", lambda r: r.id.split(".", 1)[-1], numeric=False),
    Column("type", lambda r: r.type, numeric=False),
    Column("patch size/ stride", lambda r: r.patch or "", numeric=False),
    Column("output size", _output, numeric=False),
    Column("params incl. biases", lambda r: grouped(r.params) if r.params else ""),
    Column("MACs", lambda r: si(r.macs) if r.macs else ""),
    Column("FLOPs (2×MACs)", lambda r: si(r.flops) if r.flops else ""),
)


def footnotes(report: TableReport) -> dict[str, int]:
    """Footnote numbers for the rows that carry a note, in table order."""
    noted = [row.id for row in (*report.rows, *report.aux_rows) if row.note]
    return {row_id: number for number, row_id in enumerate(noted, start=1)}


def _check(measured: int, claimed: int | None) -> str:
    if claimed is None:
        return ""
    return f" (the text: {claimed} {'✓' if measured == claimed else '✗'})"


def caveats(report: TableReport) -> list[str]:
    """What to bear in mind before reading the marks: a network that is not Table 1's, an
    input size that is not the table's own."""
    spec, lines = report.spec, []
    if spec.departs_from_print:
        lines.append(
            f"'{spec.label}' is not the network {printed_table(spec)} prints: where its rows "
            "differ from the print beyond the notes, the variant or what-if is why (see its "
            "description)."
        )
    if report.input_size != spec.input.height:
        native = spec.input.height
        lines.append(
            f"Input {report.input_size}×{report.input_size}: the printed ops are for "
            f"{native}×{native} and are not compared; params do not depend on the input size."
        )
    return lines


def summary_lines(report: TableReport) -> list[str]:
    """The lines under the table: totals, depth, aux heads, conventions, what is not counted."""
    spec, totals, depth = report.spec, report.totals, report.depth
    claims = spec.claims
    text_macs = f"; the text says about {claims.macs.text}" if claims.macs else ""
    text_params = f"; the text says {claims.params.text}" if claims.params else ""
    if claims.params_below:
        below = totals.params < claims.params_below.value(1000)
        text_params += (
            f"; the text says fewer than {claims.params_below.text} {'✓' if below else '✗'}"
        )
    lines = [
        f"Inference, one {report.input_size}×{report.input_size} image: "
        f"{grouped(totals.params)} params ({grouped(totals.weights)} weights{text_params}) · "
        f"{grouped(totals.macs)} MACs ({si(totals.macs)}{text_macs}) · "
        f"{si(totals.flops)} FLOPs (2×MACs) · {si(totals.other_ops)} other ops counted apart "
        f"(pooling, normalisation{', residual sums' if 'add' in depth.kinds else ''})",
        f"Depth, measured on the traced network: {depth.depth} layers with parameters"
        f"{_check(depth.depth, claims.depth)}, {depth.depth_with_pooling} counting pooling"
        f"{_check(depth.depth_with_pooling, claims.depth_with_pooling)} · {depth.blocks} "
        f"building blocks{f' (the text: {claims.blocks})' if claims.blocks else ''}; "
        f"{report.block_rule}",
    ]
    if report.aux_totals:
        heads = "; ".join(
            f"{head} {grouped(t.params)} params, {si(t.macs)} MACs"
            for head, t in report.aux_totals.items()
        )
        lines.append(
            f"Training only, the auxiliary heads: {heads}; "
            f"{grouped(report.params_with_aux)} params with them"
        )
    not_counted = ", ".join(
        f"{n} {kind}" for kind, n in depth.kinds.items() if kind in ("relu", "concat", "dropout")
    )
    lines.append(
        f"Conventions: params paper = {spec.printed_params.counts}, "
        f"1K = {spec.printed_params.base}; ops paper = {spec.printed_ops.counts} of convolutions "
        f"and linear layers, 1M = {spec.printed_ops.base}²; MACs count the same (fvcore); "
        "marks for params then ops: ✓ within rounding of the printed digits, ≈ within one "
        f"unit of the last printed digit, ✗ beyond. Not counted: {not_counted}."
    )
    if spec.paper_columns:
        lines.append(
            "print differs: the paper's "
            + ", ".join(c for c in spec.paper_columns if c.lower() in CHECKED_COLUMNS)
            + " cells (sizes at the table's own input size) and its printed params and ops, "
            "each against the measurement; ✓ where every one the row prints agrees (its type "
            "and patch are the paper's words, not checked)."
        )
    if report.unrecognised_ops:
        ops = ", ".join(f"{op} ×{n}" for op, n in report.unrecognised_ops.items())
        lines.append(f"Operators outside the counting policy, not counted: {ops}")
    return lines
