"""Loading a table file into a NetworkSpec: the document, its variant, its heads, its sizes.

Nothing is built here; after ``load_spec`` returns, building cannot fail on the table.
"""

from __future__ import annotations

from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

from gnet_inspect.errors import InputSizeError, OptionError, SpecError
from gnet_inspect.spec.branch_rows import branch_paths
from gnet_inspect.spec.branches import RESIDUAL
from gnet_inspect.spec.limits import MAX_REAL, shown
from gnet_inspect.spec.names import is_free_name
from gnet_inspect.spec.notation import Size
from gnet_inspect.spec.repeats import expand_repeats
from gnet_inspect.spec.rows import check_ids, parse_row, read_count, read_size
from gnet_inspect.spec.schema import (
    AuxHead,
    Claims,
    CountConvention,
    Counted,
    LayerStyle,
    NetworkSpec,
    PrintedError,
    Row,
)
from gnet_inspect.spec.shapes import infer_shapes, pools_adaptively, qualified_rows
from gnet_inspect.spec.variants import (
    changes_network,
    check_overlay,
    describe,
    overlay_head_rows,
    overlay_rows,
    pick_variant,
    variant_overlays,
)
from gnet_inspect.spec.yaml_source import Node, load_document, read_table_file

__all__ = [
    "DEFAULT_TABLE",
    "bundled_table",
    "bundled_tables",
    "list_variants",
    "load_spec",
    "named_table",
]

DEFAULT_TABLE = "googlenet.yaml"
_TOP: tuple[str, ...] = ("schema", "name", "source", "published", "input", "conventions")
_TOP += ("layers", "claims")
_TOP += ("paper_columns", "rows", "notes", "aux_heads", "variants")


def bundled_table(name: str = DEFAULT_TABLE) -> Path:
    """The path of a table shipped with the package (``tables/`` in the source tree)."""
    return Path(str(resources.files("gnet_inspect.tables").joinpath(name)))


def bundled_tables() -> tuple[str, ...]:
    """The names of the tables shipped with the package (``tables/*.yaml`` by file name
    without ``.yaml``), GoogLeNet's first, then in alphabetical order: the one registry
    ``--table`` offers."""
    names = sorted(
        entry.name.removesuffix(".yaml")
        for entry in resources.files("gnet_inspect.tables").iterdir()
        if entry.name.endswith(".yaml")
    )
    default = DEFAULT_TABLE.removesuffix(".yaml")
    return (default, *(name for name in names if name != default))


def named_table(name: str) -> Path:
    """The path of the bundled table called ``name`` (one of ``bundled_tables()``).

    Raises:
        OptionError: no bundled table has that name.
    """
    names = bundled_tables()
    if name not in names:
        raise OptionError(
            f"unknown table {shown(name)}; bundled: {', '.join(names)} (or --spec FILE)"
        )
    return bundled_table(f"{name}.yaml")


def list_variants(path: str | Path | None = None) -> tuple[str, ...]:
    """The variant names a table file defines, in file order."""
    _, doc = _read(path)
    variants = doc.mapping().get("variants")
    return tuple(variants.mapping()) if variants is not None else ()


def load_spec(path: str | Path | None = None, variant: str | None = None) -> NetworkSpec:
    """Loads a table file (the bundled GoogLeNet table by default) as a validated NetworkSpec.

    Every variant of the file is checked, not only the one asked for: a file loads whole or
    not at all.

    Args:
        path: a YAML table of the gnet-inspect schema; None for ``tables/googlenet.yaml``.
        variant: a name under the file's ``variants``; None for the first one listed (or the
            rows as written, for a file without variants).

    Raises:
        SpecError: the file is missing, is not a table file, is not YAML, or breaks the schema;
            the message names the file, the YAML path and what was expected.
    """
    source, doc = _read(path)
    top = doc.mapping(_TOP)
    for key, why in _REQUIRED.items():
        if key not in top:
            doc.fail(f"missing key '{key}': {why}")
    if "schema" in top and top["schema"].integer() != 1:
        top["schema"].fail("unsupported schema version; this gnet-inspect reads schema 1")
    wanted, overlay = pick_variant(top.get("variants"), variant, doc)
    spec = _load_variant(top, source, wanted, overlay)
    overlays = variant_overlays(top.get("variants"))
    adaptive = []
    for name, other in overlays.items():
        loaded = spec if name == wanted else _load_other(top, source, name, other)
        if pools_adaptively(loaded):
            adaptive.append(name)
    return replace(spec, adaptive_variants=tuple(adaptive))


_REQUIRED = {
    "rows": "a table needs its list of rows",
    "input": "a table gives its input size, such as 224×224×3",
}


def _load_variant(
    top: dict[str, Node], source: str, name: str, overlay: dict[str, Node]
) -> NetworkSpec:
    """The spec of one variant of the document ``top``, checked whole."""
    check_overlay(overlay, top["rows"], _items(top.get("aux_heads")))
    rows = [parse_row(node) for node in expand_repeats(overlay_rows(top["rows"], overlay))]
    check_ids(rows, top["rows"])
    paths = {row.id: node for row, node in rows}
    heads = []
    head_rows: list[tuple[Row, Node]] = []
    for head_node in _items(top.get("aux_heads")):
        head, head_paths = _parse_head(head_node, overlay, rows)
        heads.append(head)
        paths.update(head_paths)
        head_rows += [(head.rows[i], node) for i, node in enumerate(head_paths.values())]
    spec = NetworkSpec(
        name=top["name"].text() if "name" in top else Path(source).stem,
        source=top["source"].text() if "source" in top else source,
        variant=name,
        description=describe(overlay),
        reshaped=changes_network(overlay),
        input=read_size(top["input"]),
        style=_style(top.get("conventions"), top.get("layers"), overlay),
        rows=tuple(r for r, _ in rows),
        aux_heads=tuple(heads),
        **_conventions(top.get("conventions")),
        claims=_claims(top.get("claims")),
        published=_published(top.get("published")),
        paper_columns=_paper_columns(top.get("paper_columns"), [*rows, *head_rows]),
        origin=source,
    )
    if spec.input.height != spec.input.width:
        top["input"].fail(f"expected a square input, got {spec.input}")
    written = _written_ids(top["rows"])
    spec = _attach_notes(spec, top.get("notes"), written, [row.id for row, _ in rows])
    spec = _attach_notes(spec, overlay.get("notes"), set(), [row.id for row, _ in rows])
    _check_output_sizes(spec, paths)
    return spec


def _load_other(
    top: dict[str, Node], source: str, name: str, overlay: dict[str, Node]
) -> NetworkSpec:
    """A variant not asked for, loaded to check it; its errors say which variant they are in."""
    try:
        return _load_variant(top, source, name, overlay)
    except SpecError as exc:
        if exc.where.startswith(f"variants.{name}."):
            raise
        raise SpecError(exc.source, exc.where, f"in variant {shown(name)}: {exc.message}") from None


# -- reading -----------------------------------------------------------------------------------


def _read(path: str | Path | None) -> tuple[str, Node]:
    file = bundled_table() if path is None else Path(path)
    source = str(path) if path is not None else f"tables/{DEFAULT_TABLE}"
    if not source.isprintable():  # a line break in a file name must not break the message
        source = repr(source)[1:-1]
    return source, load_document(read_table_file(file, source), source)


def _items(node: Node | None) -> list[Node]:
    return list(node.items()) if node is not None else []


# -- rows --------------------------------------------------------------------------------------


def _parse_head(
    node: Node, overlay: dict[str, Node], main: list[tuple[Row, Node]]
) -> tuple[AuxHead, dict[str, Node]]:
    fields = node.mapping(("id", "tap", "loss_weight", "rows"))
    for key in ("id", "tap", "rows"):
        if key not in fields:
            node.fail(f"missing key '{key}' (an aux head needs one)")
    head_id, tap = fields["id"].text(), fields["tap"].text()
    names = {row.id for row, _ in main}
    if not is_free_name(head_id) or head_id in names:
        fields["id"].fail(
            f"{shown(head_id)} cannot name an aux head: it must be a free module name "
            "(lower-case letters, digits and '_', no row's id, no attribute the network has)"
        )
    if tap not in names:
        hint = _hint(tap, [row.id for row, _ in main])
        fields["tap"].fail(
            f"no row {shown(tap)} to put the head on; expected one of the row ids{hint}"
        )
    merged = overlay_head_rows(list(fields["rows"].items()), overlay, head_id)
    rows = [parse_row(r) for r in expand_repeats(merged)]
    check_ids(rows, fields["rows"])
    weight = fields["loss_weight"].number(0, MAX_REAL) if "loss_weight" in fields else 1.0
    paths = {f"{head_id}.{row.id}": row_node for row, row_node in rows}
    return AuxHead(head_id, tap, weight, tuple(r for r, _ in rows)), paths


# -- the rest of the document ------------------------------------------------------------------


def _style(conventions: Node | None, layers: Node | None, overlay: dict[str, Node]) -> LayerStyle:
    style = LayerStyle()
    if conventions is not None:
        rounding = conventions.mapping().get("pool_rounding")
        if rounding is not None and rounding.text() not in ("ceil", "floor"):
            rounding.fail(f"expected 'ceil' or 'floor', got {shown(rounding.value)}")
        style = replace(style, pool_ceil=rounding is None or rounding.value == "ceil")
    for node in (layers, overlay.get("layers")):
        if node is None:
            continue
        fields = node.mapping(("conv_bias", "batch_norm"))
        if "conv_bias" in fields:
            style = replace(style, conv_bias=fields["conv_bias"].boolean())
        if "batch_norm" in fields:
            bn = fields["batch_norm"]
            eps = None if bn.value is None else bn.number(0, 1)
            if eps is not None and eps <= 0:
                bn.fail("expected BatchNorm's eps, a positive number, or null for none")
            style = replace(style, batch_norm_eps=eps)
    return style


# What each printed column can count, the first being the default: the comparison reads the
# measured count it names (reports/table.py).
_COUNTED: dict[str, tuple[Counted, ...]] = {
    "printed_params": ("weights", "params"),
    "printed_ops": ("multiply-adds",),
}


def _conventions(node: Node | None) -> dict[str, Any]:
    allowed = ("pool_rounding", "printed_params", "printed_ops")
    fields = node.mapping(allowed) if node is not None else {}
    result: dict[str, Any] = {}
    for key, choices in _COUNTED.items():
        if key in fields:
            conv = fields[key].mapping(("counts", "base"))
            base = conv["base"].integer() if "base" in conv else 1000
            if base not in (1000, 1024):
                conv["base"].fail(f"expected 1000 or 1024, got {base}")
            result[key] = CountConvention(_counted(conv.get("counts"), choices), base)
    return result


def _counted(node: Node | None, choices: tuple[Counted, ...]) -> Counted:
    """What a printed column counts: one of ``choices``, the first when not given."""
    if node is None:
        return choices[0]
    given = node.text()
    for choice in choices:
        if given == choice:
            return choice
    node.fail(f"expected {' or '.join(repr(c) for c in choices)}, got {shown(given)}")


def _published(node: Node | None) -> str | None:
    """``published: 2014-09``: a year and month (YAML would read a full date as a date)."""
    if node is None:
        return None
    text = node.text() if not isinstance(node.value, int) else str(node.value)
    year, _, month = text.partition("-")
    if not (len(year) == 4 and year.isdigit() and len(month) == 2 and month.isdigit()):
        node.fail(f"expected a year and month such as 2014-09, got {shown(node.value)}")
    if not 1 <= int(month) <= 12:
        node.fail(f"expected a month from 01 to 12, got {shown(month)}")
    return text


def _error(node: Node) -> PrintedError:
    """``error: {top1: 20.0%, top5: 5.0%, source: "Table 2 ..."}``: at least one rate."""
    fields = node.mapping(("top1", "top5", "source"))
    if "source" not in fields:
        node.fail("printed error rates need their 'source' (the paper's table that prints them)")
    if "top1" not in fields and "top5" not in fields:
        node.fail("expected 'top1' or 'top5' (or both), the printed error rates")
    rates: dict[str, tuple[float, str] | None] = {}
    for key in ("top1", "top5"):
        rates[key] = _percent(fields[key]) if key in fields else None
    top1, top5 = rates["top1"], rates["top5"]
    return PrintedError(
        top1=top1[0] if top1 else None,
        top5=top5[0] if top5 else None,
        top1_text=top1[1] if top1 else None,
        top5_text=top5[1] if top5 else None,
        source=" ".join(fields["source"].text().split()),
    )


def _percent(node: Node) -> tuple[float, str]:
    """A rate printed as a percentage (``10.07%``), as a number and as printed."""
    text = node.text().strip()
    number = text.removesuffix("%").strip()
    try:
        value = float(number) if text.endswith("%") and len(number) <= 8 else -1.0
    except ValueError:
        value = -1.0
    if not 0 <= value <= 100:
        node.fail(f"expected a percentage as printed, such as 10.07%, got {shown(node.value)}")
    return value, text


def _claims(node: Node | None) -> Claims:
    if node is None:
        return Claims()
    allowed = ("depth", "depth_with_pooling", "blocks", "macs", "params", "params_below", "error")
    f = node.mapping(allowed)
    return Claims(
        depth=f["depth"].integer() if "depth" in f else None,
        depth_with_pooling=f["depth_with_pooling"].integer() if "depth_with_pooling" in f else None,
        blocks=f["blocks"].text() if "blocks" in f else None,
        macs=read_count(f["macs"]) if "macs" in f else None,
        params=read_count(f["params"]) if "params" in f else None,
        params_below=read_count(f["params_below"]) if "params_below" in f else None,
        error=_error(f["error"]) if "error" in f else None,
    )


def _paper_columns(node: Node | None, rows: list[tuple[Row, Node]]) -> tuple[str, ...]:
    """The paper's column headers; every row's ``paper`` cells must match them one for one."""
    columns = tuple(cell.text() for cell in node.items()) if node is not None else ()
    if node is not None and not columns:
        node.fail("expected the headers of the paper's table, at least one")
    for i, header in enumerate(columns):
        if header.lower() in (c.lower() for c in columns[:i]) or header == "differs":
            assert node is not None
            node.fail(
                f"header {shown(header)} is given twice (or is 'differs'); every paper column "
                "needs its own header"
            )
    for row, row_node in rows:
        cells = row.printed.paper
        if cells is None:
            continue
        where = row_node.mapping()["paper"]
        if not columns:
            where.fail("a row's 'paper' cells need the table's 'paper_columns' (their headers)")
        if len(cells) != len(columns):
            where.fail(
                f"expected {len(columns)} cells, one per paper column ({', '.join(columns)}), "
                f"got {len(cells)}"
            )
    return columns


def _written_ids(rows: Node) -> set[str]:
    """The ids of the rows as the table writes them, repeats written out (a variant may
    replace some: a note on one of those is no mistake)."""
    return {
        row_id
        for row in expand_repeats(list(rows.items()))
        if isinstance(row.value, dict) and isinstance(row_id := row.value.get("id"), str)
    }


def _attach_notes(
    spec: NetworkSpec, node: Node | None, written: set[str], ids: list[str]
) -> NetworkSpec:
    """Notes on their rows (a variant's over the table's; a null note removes one). A note
    must name a row of this variant or, for the table's notes, of the table as written (a
    variant may replace it); qualified for an aux head's rows."""
    if node is None:
        return spec
    fields = node.mapping()
    notes = {k: " ".join(v.text().split()) for k, v in fields.items() if v.value is not None}
    known = {qid for qid, _, _ in qualified_rows(spec)} | written
    for key, value in fields.items():
        if key not in known:
            hint = _hint(key, ids, variants=bool(written))
            value.fail(f"a note on {shown(key)}, which is no row of this table{hint}")
    dropped = {k for k, v in fields.items() if v.value is None}
    rows = tuple(
        replace(r, note=None if r.id in dropped else notes.get(r.id, r.note)) for r in spec.rows
    )
    heads = tuple(
        replace(h, rows=tuple(replace(r, note=notes.get(f"{h.id}.{r.id}", r.note)) for r in h.rows))
        for h in spec.aux_heads
    )
    return replace(spec, rows=rows, aux_heads=heads)


def _hint(row_id: str, ids: list[str], variants: bool = False) -> str:
    """What to do about an id no row has: the ids a repeated row's repeats go by, or (for the
    table's notes) where a note on a row only a variant has goes."""
    repeats = [i for i in ids if i.removeprefix(f"{row_id}_").isdigit() and i != row_id]
    if repeats:
        return f"; a repeated row's repeats are {repeats[0]} to {repeats[-1]}"
    return " (a row only a variant has takes its note under the variant's notes)" * variants


def _check_output_sizes(spec: NetworkSpec, rows: dict[str, Node]) -> None:
    printed = {qid: row.printed.output for qid, row, _ in qualified_rows(spec)}
    try:
        plan = infer_shapes(spec)
    except InputSizeError as exc:
        for qid, size in exc.computed.items():  # a row above that the print contradicts first
            _check_output(spec.origin, rows[qid], qid, size, printed[qid])
        node = rows.get(exc.row or "")
        where = "rows" if node is None else node.path
        fields = node.mapping() if node is not None else {}
        if exc.part == RESIDUAL and "residual" in fields:
            where = fields["residual"].path
        elif exc.part is not None and "branches" in fields:
            where = branch_paths(fields["branches"]).get(exc.part, where)
        raise SpecError(spec.origin, where, f"{exc.reason} at the table's own input size") from None
    for qid, size in printed.items():
        _check_output(spec.origin, rows[qid], qid, plan.outputs[qid], size)


def _check_output(origin: str, node: Node, qid: str, computed: object, printed: Size) -> None:
    """Refuses row ``qid`` whose ``output`` size is not the one ``computed`` from above."""
    if computed != printed:
        raise SpecError(
            origin,
            f"{node.path}.output",
            f"row '{qid}' computes to {computed} from the rows above, "
            f"but its output size says {printed}",
        )
