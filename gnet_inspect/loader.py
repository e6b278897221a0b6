"""Loading a table file into a NetworkSpec: variant overlays, typed rows, shape validation.

Nothing is built here; after ``load_spec`` returns, building cannot fail on the table.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from gnet_inspect.errors import InputSizeError, SpecError
from gnet_inspect.notation import (
    PrintedCount,
    Size,
    Window,
    parse_count,
    parse_size,
    parse_window,
)
from gnet_inspect.shapes import infer_shapes, qualified_rows
from gnet_inspect.spec import (
    AuxHead,
    Claims,
    ConvRow,
    CountConvention,
    DropoutRow,
    InceptionRow,
    LayerStyle,
    LinearRow,
    LrnRow,
    NetworkSpec,
    PoolRow,
    Printed,
    Row,
    SoftmaxRow,
)
from gnet_inspect.yaml_source import Node, load_document

__all__ = ["DEFAULT_TABLE", "bundled_table", "list_variants", "load_spec"]

DEFAULT_TABLE = "googlenet.yaml"
_TOP: tuple[str, ...] = ("schema", "name", "source", "input", "conventions", "layers", "claims")
_TOP += ("rows", "notes", "aux_heads", "variants")
_VARIANT = ("description", "layers", "rows", "rows_of_type", "aux_rows", "insert_after")
_COMMON = ("id", "type", "output", "depth", "params", "ops")
_BY_TYPE: dict[str, tuple[str, ...]] = {
    "convolution": ("patch", "ch3x3red", "ch3x3", "depth_multiplier"),
    "max pool": ("patch",),
    "avg pool": ("patch",),
    "adaptive avg pool": (),
    "inception": ("ch1x1", "ch3x3red", "ch3x3", "ch5x5red", "ch5x5", "pool_proj", "ch5x5_kernel"),
    "lrn": ("size", "alpha", "beta", "k"),
    "dropout": ("p",),
    "linear": ("relu",),
    "softmax": (),
}
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def bundled_table(name: str = DEFAULT_TABLE) -> Path:
    """The path of a table shipped with the package (``tables/`` in the source tree)."""
    return Path(str(resources.files("gnet_inspect.tables").joinpath(name)))


def list_variants(path: str | Path | None = None) -> tuple[str, ...]:
    """The variant names a table file defines, in file order."""
    _, doc = _read(path)
    variants = doc.mapping().get("variants")
    return tuple(variants.mapping()) if variants is not None else ()


def load_spec(path: str | Path | None = None, variant: str | None = None) -> NetworkSpec:
    """Loads a table file (the bundled GoogLeNet table by default) as a validated NetworkSpec.

    Args:
        path: a YAML table of the gnet-inspect schema; None for ``tables/googlenet.yaml``.
        variant: a name under the file's ``variants``; None for the first one listed (or the
            rows as written, for a file without variants).

    Raises:
        SpecError: the file is missing, is not YAML, or breaks the schema; the message names
            the file, the YAML path and what was expected.
    """
    source, doc = _read(path)
    top = doc.mapping(_TOP)
    if "rows" not in top:
        doc.fail("missing key 'rows': a table needs its list of rows")
    if "schema" in top and top["schema"].integer() != 1:
        top["schema"].fail("unsupported schema version; this gnet-inspect reads schema 1")
    name, overlay = _pick_variant(top.get("variants"), variant, doc)
    _check_all_overlays(top.get("variants"), top["rows"], _items(top.get("aux_heads")))
    rows = [_parse_row(node) for node in _overlay_rows(top["rows"], overlay)]
    _check_ids(rows, top["rows"])
    paths = {row.id: node.path for row, node in rows}
    heads = []
    for head_node in _items(top.get("aux_heads")):
        head, head_paths = _parse_head(head_node, overlay, rows)
        heads.append(head)
        paths.update(head_paths)
    spec = NetworkSpec(
        name=top["name"].text() if "name" in top else Path(source).stem,
        source=top["source"].text() if "source" in top else source,
        variant=name,
        description=_description(overlay),
        input=_size(top["input"]) if "input" in top else parse_size("224×224×3"),
        style=_style(top.get("conventions"), top.get("layers"), overlay),
        rows=tuple(r for r, _ in rows),
        aux_heads=tuple(heads),
        **_conventions(top.get("conventions")),
        claims=_claims(top.get("claims")),
        origin=source,
    )
    if spec.input.height != spec.input.width:
        top["input"].fail(f"expected a square input, got {spec.input}")
    spec = _attach_notes(spec, top.get("notes"))
    _check_output_sizes(spec, paths)
    return spec


# -- reading -----------------------------------------------------------------------------------


def _read(path: str | Path | None) -> tuple[str, Node]:
    file = bundled_table() if path is None else Path(path)
    source = str(path) if path is not None else f"tables/{DEFAULT_TABLE}"
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(source, "", "no such file; give the path of a YAML table") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise SpecError(source, "", f"cannot read the table: {reason}") from None
    return source, load_document(text, source)


def _items(node: Node | None) -> list[Node]:
    return list(node.items()) if node is not None else []


# -- variants ----------------------------------------------------------------------------------


def _pick_variant(
    variants: Node | None, wanted: str | None, doc: Node
) -> tuple[str, dict[str, Node]]:
    if variants is None:
        if wanted is not None:
            doc.fail(f"unknown variant '{wanted}': this table defines no variants")
        return "table", {}
    table = variants.mapping()
    if not table:
        variants.fail("expected at least one variant")
    name = wanted if wanted is not None else next(iter(table))
    if name not in table:
        variants.fail(f"unknown variant '{name}'; available: {', '.join(table)}")
    body = table[name]
    return name, body.mapping(_VARIANT) if body.value is not None else {}


def _check_all_overlays(variants: Node | None, rows: Node, heads: list[Node]) -> None:
    """Checks every variant's overlay names real rows, not only the variant asked for."""
    if variants is None:
        return
    for body in variants.mapping().values():
        overlay = body.mapping(_VARIANT) if body.value is not None else {}
        _overlay_rows(rows, overlay)
        changes = overlay["aux_rows"].mapping() if "aux_rows" in overlay else {}
        head_rows = {
            _text_of(r.mapping(), "id")
            for head in heads
            for r in head.mapping().get("rows", Node([], "", "")).items()
        }
        for row_id, change in changes.items():
            if row_id not in head_rows:
                change.fail(f"no row with id '{row_id}' in any aux head")


def _text_of(fields: dict[str, Node], key: str) -> str | None:
    """A text field's value for matching ids and types; None when absent or not text (the
    row's own parsing then reports it)."""
    value = fields[key].value if key in fields else None
    return value if isinstance(value, str) else None


def _description(overlay: dict[str, Node]) -> str:
    return " ".join(overlay["description"].text().split()) if "description" in overlay else ""


def _merge(node: Node, changes: Node) -> Node:
    """``node``'s mapping with ``changes`` applied; a null in ``changes`` removes the key."""
    merged = dict(node.mapping())
    for key, value in changes.mapping().items():
        if value.value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return Node({k: v.value for k, v in merged.items()}, node.path, changes.source)


def _overlay_rows(rows_node: Node, overlay: dict[str, Node]) -> list[Node]:
    rows = list(rows_node.items())
    known = {_text_of(row.mapping(), "id") for row in rows}
    by_type = overlay["rows_of_type"].mapping() if "rows_of_type" in overlay else {}
    by_id = overlay["rows"].mapping() if "rows" in overlay else {}
    inserts = overlay["insert_after"].mapping() if "insert_after" in overlay else {}
    for row_id, node in [*by_id.items(), *inserts.items()]:
        if row_id not in known:
            node.fail(f"no row with id '{row_id}' in the table")
    result: list[Node] = []
    for row in rows:
        fields = row.mapping()
        kind = _text_of(fields, "type") or ""
        if kind in by_type:
            row = _merge(row, by_type[kind])
        row_id = _text_of(fields, "id") or ""
        if row_id in by_id:
            row = _merge(row, by_id[row_id])
        result.append(row)
        if row_id in inserts:
            result.append(inserts[row_id])
    return result


# -- rows --------------------------------------------------------------------------------------


def _parse_row(node: Node) -> tuple[Row, Node]:
    fields = node.mapping()
    if "type" not in fields:
        node.fail(f"missing key 'type'; expected one of: {', '.join(_BY_TYPE)}")
    kind = fields["type"].text()
    if kind not in _BY_TYPE:
        fields["type"].fail(f"unknown row type '{kind}'; expected one of: {', '.join(_BY_TYPE)}")
    fields = node.mapping(_COMMON + _BY_TYPE[kind])
    for key in ("id", "output"):
        if key not in fields:
            node.fail(f"missing key '{key}' (every row needs one)")
    row_id = fields["id"].text()
    if not _ID.match(row_id) or row_id in _reserved_names():
        fields["id"].fail(
            f"'{row_id}' cannot name a module; use lower-case letters, digits and '_', "
            "starting with a letter, and not a torch.nn.Module attribute"
        )
    printed = Printed(
        type=kind,
        output=_size(fields["output"]),
        patch=fields["patch"].text() if "patch" in fields else None,
        depth=fields["depth"].integer(minimum=0) if "depth" in fields else None,
        params=_count(fields["params"]) if "params" in fields else None,
        ops=_count(fields["ops"]) if "ops" in fields else None,
    )
    return _ROW_PARSERS[kind](row_id, printed, fields), node


def _required(fields: dict[str, Node], key: str, kind: str) -> Node:
    if key not in fields:
        fields["id"].fail(f"row '{fields['id'].value}' lacks key '{key}' (a {kind} row needs one)")
    return fields[key]


def _optional_int(fields: dict[str, Node], key: str) -> int | None:
    return fields[key].integer() if key in fields else None


def _conv(row_id: str, printed: Printed, f: dict[str, Node]) -> Row:
    channels = printed.output.channels
    if "ch3x3" in f and f["ch3x3"].integer() != channels:
        f["ch3x3"].fail(f"#3×3 is {f['ch3x3'].value} but the output size says {channels}")
    return ConvRow(
        row_id,
        printed,
        window=_window(_required(f, "patch", "convolution")),
        channels=channels,
        reduce=_optional_int(f, "ch3x3red"),
        depth_multiplier=_optional_int(f, "depth_multiplier"),
    )


def _pool(row_id: str, printed: Printed, f: dict[str, Node]) -> Row:
    window = _window(_required(f, "patch", "pool"))
    if printed.type == "max pool":
        return PoolRow(row_id, printed, kind="max", window=window)
    return PoolRow(row_id, printed, kind="avg", window=window)


def _adaptive_pool(row_id: str, printed: Printed, f: dict[str, Node]) -> Row:
    grid = printed.output
    if grid.height != grid.width:
        f["output"].fail(f"expected a square output grid for adaptive pooling, got {grid}")
    return PoolRow(row_id, printed, kind="avg", window=None, grid=grid.height)


def _inception(row_id: str, printed: Printed, f: dict[str, Node]) -> Row:
    kernel = f["ch5x5_kernel"].integer() if "ch5x5_kernel" in f else 5
    if kernel % 2 == 0:
        f["ch5x5_kernel"].fail(
            f"expected an odd kernel size (the branches must align), got {kernel}"
        )
    return InceptionRow(
        row_id,
        printed,
        ch1x1=_required(f, "ch1x1", "inception").integer(),
        ch3x3red=_optional_int(f, "ch3x3red"),
        ch3x3=_required(f, "ch3x3", "inception").integer(),
        ch5x5red=_optional_int(f, "ch5x5red"),
        ch5x5=_required(f, "ch5x5", "inception").integer(),
        pool_proj=_optional_int(f, "pool_proj"),
        ch5x5_kernel=kernel,
    )


def _lrn(row_id: str, printed: Printed, f: dict[str, Node]) -> Row:
    return LrnRow(
        row_id,
        printed,
        size=_required(f, "size", "lrn").integer(),
        alpha=_required(f, "alpha", "lrn").number(low=0),
        beta=_required(f, "beta", "lrn").number(low=0),
        k=f["k"].number(low=0) if "k" in f else 1.0,
    )


def _dropout(row_id: str, printed: Printed, f: dict[str, Node]) -> Row:
    p = _required(f, "p", "dropout").number(low=0, high=1)
    if p >= 1:
        f["p"].fail("expected a probability below 1 (1 drops everything)")
    return DropoutRow(row_id, printed, p=p)


def _linear(row_id: str, printed: Printed, f: dict[str, Node]) -> Row:
    relu = f["relu"].boolean() if "relu" in f else False
    return LinearRow(row_id, printed, features=printed.output.channels, relu=relu)


def _softmax(row_id: str, printed: Printed, f: dict[str, Node]) -> Row:
    return SoftmaxRow(row_id, printed)


_ROW_PARSERS = {
    "convolution": _conv,
    "max pool": _pool,
    "avg pool": _pool,
    "adaptive avg pool": _adaptive_pool,
    "inception": _inception,
    "lrn": _lrn,
    "dropout": _dropout,
    "linear": _linear,
    "softmax": _softmax,
}


def _check_ids(rows: list[tuple[Row, Node]], where: Node) -> None:
    if not rows:
        where.fail("expected at least one row")
    seen: set[str] = set()
    for row, node in rows:
        if row.id in seen:
            node.mapping()["id"].fail(f"duplicate id '{row.id}'; every row needs its own")
        seen.add(row.id)


def _parse_head(
    node: Node, overlay: dict[str, Node], main: list[tuple[Row, Node]]
) -> tuple[AuxHead, dict[str, str]]:
    fields = node.mapping(("id", "tap", "loss_weight", "rows"))
    for key in ("id", "tap", "rows"):
        if key not in fields:
            node.fail(f"missing key '{key}' (an aux head needs one)")
    head_id, tap = fields["id"].text(), fields["tap"].text()
    names = {row.id for row, _ in main}
    if not _ID.match(head_id) or head_id in names or head_id in _reserved_names():
        fields["id"].fail(f"'{head_id}' cannot name an aux head: it must be a free module name")
    if tap not in names:
        fields["tap"].fail(f"no row '{tap}' to put the head on; expected one of the row ids")
    raw = list(fields["rows"].items())
    changes = overlay["aux_rows"].mapping() if "aux_rows" in overlay else {}
    for row_id, change in changes.items():
        if all(_text_of(r.mapping(), "id") != row_id for r in raw):
            change.fail(f"no row with id '{row_id}' in aux head '{head_id}'")
    merged = [
        _merge(r, changes[rid]) if (rid := _text_of(r.mapping(), "id") or "") in changes else r
        for r in raw
    ]
    rows = [_parse_row(r) for r in merged]
    _check_ids(rows, fields["rows"])
    weight = fields["loss_weight"].number(low=0) if "loss_weight" in fields else 1.0
    paths = {f"{head_id}.{row.id}": row_node.path for row, row_node in rows}
    return AuxHead(head_id, tap, weight, tuple(r for r, _ in rows)), paths


# -- the rest of the document ------------------------------------------------------------------


def _style(conventions: Node | None, layers: Node | None, overlay: dict[str, Node]) -> LayerStyle:
    style = LayerStyle()
    if conventions is not None:
        rounding = conventions.mapping().get("pool_rounding")
        if rounding is not None and rounding.text() not in ("ceil", "floor"):
            rounding.fail(f"expected 'ceil' or 'floor', got {rounding.value!r}")
        style = replace(style, pool_ceil=rounding is None or rounding.value == "ceil")
    for node in (layers, overlay.get("layers")):
        if node is None:
            continue
        fields = node.mapping(("conv_bias", "batch_norm"))
        if "conv_bias" in fields:
            style = replace(style, conv_bias=fields["conv_bias"].boolean())
        if "batch_norm" in fields:
            bn = fields["batch_norm"]
            eps = None if bn.value is None else bn.number(low=0)
            if eps is not None and eps <= 0:
                bn.fail("expected BatchNorm's eps, a positive number, or null for none")
            style = replace(style, batch_norm_eps=eps)
    return style


def _conventions(node: Node | None) -> dict[str, Any]:
    allowed = ("pool_rounding", "printed_params", "printed_ops")
    fields = node.mapping(allowed) if node is not None else {}
    result: dict[str, Any] = {}
    for key in ("printed_params", "printed_ops"):
        if key in fields:
            conv = fields[key].mapping(("counts", "base"))
            base = conv["base"].integer() if "base" in conv else 1000
            if base not in (1000, 1024):
                conv["base"].fail(f"expected 1000 or 1024, got {base}")
            counts = conv["counts"].text() if "counts" in conv else ""
            result[key] = CountConvention(counts, base)
    return result


def _claims(node: Node | None) -> Claims:
    if node is None:
        return Claims()
    f = node.mapping(("depth", "depth_with_pooling", "blocks", "macs"))
    return Claims(
        depth=f["depth"].integer() if "depth" in f else None,
        depth_with_pooling=f["depth_with_pooling"].integer() if "depth_with_pooling" in f else None,
        blocks=f["blocks"].text() if "blocks" in f else None,
        macs=_count(f["macs"]) if "macs" in f else None,
    )


def _attach_notes(spec: NetworkSpec, node: Node | None) -> NetworkSpec:
    if node is None:
        return spec
    notes = {key: " ".join(value.text().split()) for key, value in node.mapping().items()}
    known = {qid for qid, _, _ in qualified_rows(spec)}
    for key, value in node.mapping().items():
        if key not in known:
            value.fail(f"a note on '{key}', which is no row of this table")
    rows = tuple(replace(r, note=notes.get(r.id, r.note)) for r in spec.rows)
    heads = tuple(
        replace(h, rows=tuple(replace(r, note=notes.get(f"{h.id}.{r.id}", r.note)) for r in h.rows))
        for h in spec.aux_heads
    )
    return replace(spec, rows=rows, aux_heads=heads)


def _check_output_sizes(spec: NetworkSpec, paths: dict[str, str]) -> None:
    try:
        plan = infer_shapes(spec)
    except InputSizeError as exc:
        raise SpecError(spec.origin, "rows", str(exc)) from None
    for qid, row, _ in qualified_rows(spec):
        computed = plan.outputs[qid]
        if computed != row.printed.output:
            raise SpecError(
                spec.origin,
                f"{paths[qid]}.output",
                f"row '{qid}' computes to {computed} from the rows above, "
                f"but its output size says {row.printed.output}",
            )


# -- scalars -----------------------------------------------------------------------------------


def _size(node: Node) -> Size:
    try:
        return parse_size(node.text())
    except ValueError as exc:
        node.fail(str(exc))


def _window(node: Node) -> Window:
    try:
        return parse_window(node.text())
    except ValueError as exc:
        node.fail(str(exc))


def _count(node: Node) -> PrintedCount:
    try:
        return parse_count(node.text())
    except ValueError as exc:
        node.fail(str(exc))


@cache
def _reserved_names() -> frozenset[str]:
    import torch.nn  # the only torch the loader needs: which names a module already has

    return frozenset(dir(torch.nn.Module())) | frozenset(dir(torch.nn.Sequential()))
