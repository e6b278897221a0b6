"""Variant overlays: a table's rows as a variant changes them, before any row is parsed.

A variant is data under ``variants:`` in a table: ``layers`` (how convolutions are built),
``rows`` (fields changed on one row, by id), ``rows_of_type`` (on every row of a type),
``aux_rows`` (on the aux heads' rows, by id), ``insert_after`` (a new row after one, by id) and
``replace`` (a row replaced by a list of rows: a released network's stem that is not the
paper's) and ``notes`` (the variant's own notes on its rows, over the table's; null removes
one). A null value removes a field. Every change keeps the YAML path it came from, so an
error in it is reported where it was written.
"""

from __future__ import annotations

from gnet_inspect.spec.limits import shown
from gnet_inspect.spec.rows import ROW_TYPES, read_type, row_keys
from gnet_inspect.spec.yaml_source import Node

__all__ = [
    "VARIANT_KEYS",
    "changes_network",
    "check_overlay",
    "describe",
    "overlay_head_rows",
    "overlay_rows",
    "pick_variant",
    "text_of",
    "variant_overlays",
]

VARIANT_KEYS = (
    "description",
    "layers",
    "rows",
    "rows_of_type",
    "aux_rows",
    "insert_after",
    "replace",
    "notes",
)
_RESHAPING = ("layers", "rows", "rows_of_type", "aux_rows", "replace")


def pick_variant(
    variants: Node | None, wanted: str | None, doc: Node
) -> tuple[str, dict[str, Node]]:
    """The variant's name and overlay: ``wanted``, or the first listed; ``("table", {})`` for a
    table without variants."""
    if variants is None:
        if wanted is not None:
            doc.fail(f"unknown variant {shown(wanted)}: this table defines no variants")
        return "table", {}
    table = variant_overlays(variants)
    name = wanted if wanted is not None else next(iter(table))
    if name not in table:
        variants.fail(f"unknown variant {shown(name)}; available: {', '.join(table)}")
    return name, table[name]


def variant_overlays(variants: Node | None) -> dict[str, dict[str, Node]]:
    """Every variant's overlay by name, in file order (none for a table without variants)."""
    if variants is None:
        return {}
    table = variants.mapping()
    if not table:
        variants.fail("expected at least one variant")
    for name, body in table.items():
        if not name.isprintable() or not name.strip():
            body.fail(f"a variant name is printable text on one line, got {shown(name)}")
    return {name: _overlay(body) for name, body in table.items()}


def check_overlay(overlay: dict[str, Node], rows: Node, heads: list[Node]) -> None:
    """Checks every key of a variant's overlay: each change names a row that exists (a row
    type that some row has) and only keys that a row of its type can have or lose."""
    main = [row.mapping() for row in rows.items()]
    types_of = _types_by_id(main)
    head_rows = [r.mapping() for head in heads for r in head.mapping().get("rows", _NONE).items()]
    for kind, change in _entries(overlay, "rows_of_type"):
        read_type(Node(kind, change.path, change.source))
        if all(text_of(row, "type") != kind for row in main):
            change.fail(
                f"no row of type '{kind}' among the table's rows (rows_of_type changes those; "
                "an aux head's rows change through aux_rows)"
            )
        _check_change(change, {kind})
    for row_id, change in _entries(overlay, "rows"):
        if row_id not in types_of:
            change.fail(f"no row with id {shown(row_id)} in the table")
        _check_change(change, types_of[row_id])
    head_types = _types_by_id(head_rows)
    for row_id, change in _entries(overlay, "aux_rows"):
        if row_id not in head_types:
            change.fail(f"no row with id {shown(row_id)} in any aux head")
        _check_change(change, head_types[row_id])
    for key in ("insert_after", "replace"):
        for row_id, row in _entries(overlay, key):
            if row_id not in types_of:
                row.fail(f"no row with id {shown(row_id)} in the table")
    for _, rows_node in _entries(overlay, "replace"):
        if not list(rows_node.items()):
            rows_node.fail("expected the rows that replace this one, at least one")
    replaced = dict(_entries(overlay, "replace"))
    for key in ("rows", "insert_after"):
        for row_id, change in _entries(overlay, key):
            if row_id in replaced:
                change.fail(
                    f"row {shown(row_id)} is replaced by this variant (at "
                    f"{replaced[row_id].path}); change the rows that replace it there"
                )


_NONE = Node([], "", "")


def _entries(overlay: dict[str, Node], key: str) -> list[tuple[str, Node]]:
    return list(overlay[key].mapping().items()) if key in overlay else []


def _types_by_id(rows: list[dict[str, Node]]) -> dict[str, set[str]]:
    """The known row types of the rows of each id (an unknown type is the row's own parse's
    to report)."""
    types: dict[str, set[str]] = {}
    for row in rows:
        row_id, kind = text_of(row, "id"), text_of(row, "type")
        if row_id is not None:
            types.setdefault(row_id, set()).update({kind} if kind in ROW_TYPES else set())
    return types


def _check_change(change: Node, kinds: set[str]) -> None:
    """A change to rows of the types ``kinds``: a key it sets must be one the row's type (the
    new one, if it changes the type) has, and a key it removes (null) one the row can have."""
    fields = change.mapping()
    new = (
        read_type(fields["type"]) if "type" in fields and fields["type"].value is not None else None
    )
    for kind in sorted(kinds):
        final = new or kind
        removable = set(row_keys(kind)) | set(row_keys(final))
        for key, value in fields.items():
            if value.value is None and key not in removable:
                value.fail(
                    f"unknown key {shown(key)} to remove from a row of type '{kind}'; "
                    f"expected one of: {', '.join(row_keys(kind))}"
                )
            if value.value is not None and key not in row_keys(final):
                value.fail(
                    f"unknown key {shown(key)} for a row of type '{final}'; "
                    f"expected one of: {', '.join(row_keys(final))}"
                )


def describe(overlay: dict[str, Node]) -> str:
    """The variant's description on one line."""
    return " ".join(overlay["description"].text().split()) if "description" in overlay else ""


def changes_network(overlay: dict[str, Node]) -> bool:
    """Whether the variant changes how rows are built (new rows alone, such as LRN, do not
    change what Table 1's printed params and ops describe)."""
    return any(key in overlay for key in _RESHAPING)


def text_of(fields: dict[str, Node], key: str) -> str | None:
    """A text field's value for matching ids and types; None when absent or not text (the
    row's own parsing then reports it)."""
    value = fields[key].value if key in fields else None
    return value if isinstance(value, str) else None


def overlay_rows(rows_node: Node, overlay: dict[str, Node]) -> list[Node]:
    """The main rows with the overlay's changes and insertions applied, in order (an overlay
    that ``check_overlay`` has checked: every id and type it names exists)."""
    rows = list(rows_node.items())
    by_type = overlay["rows_of_type"].mapping() if "rows_of_type" in overlay else {}
    by_id = overlay["rows"].mapping() if "rows" in overlay else {}
    inserts = overlay["insert_after"].mapping() if "insert_after" in overlay else {}
    replaced = overlay["replace"].mapping() if "replace" in overlay else {}
    result: list[Node] = []
    for row in rows:
        fields = row.mapping()
        row_id = text_of(fields, "id") or ""
        if row_id in replaced:
            result += replaced[row_id].items()
            continue
        kind = text_of(fields, "type") or ""
        if kind in by_type:
            row = _merge(row, by_type[kind])
        if row_id in by_id:
            row = _merge(row, by_id[row_id])
        result.append(row)
        if row_id in inserts:
            result.append(inserts[row_id])
    return result


def overlay_head_rows(rows: list[Node], overlay: dict[str, Node], head_id: str) -> list[Node]:
    """An aux head's rows with the overlay's ``aux_rows`` changes applied."""
    changes = overlay["aux_rows"].mapping() if "aux_rows" in overlay else {}
    for row_id, change in changes.items():
        if all(text_of(r.mapping(), "id") != row_id for r in rows):
            change.fail(f"no row with id {shown(row_id)} in aux head '{head_id}'")
    return [
        _merge(r, changes[rid]) if (rid := text_of(r.mapping(), "id") or "") in changes else r
        for r in rows
    ]


def _overlay(body: Node) -> dict[str, Node]:
    return body.mapping(VARIANT_KEYS) if body.value is not None else {}


def _merge(node: Node, changes: Node) -> Node:
    """``node``'s mapping with ``changes`` applied; a null in ``changes`` removes the key.
    A changed field keeps the path of the change, so errors point at the variant."""
    merged = dict(node.mapping())
    origins = dict(node.origins)
    for key, value in changes.mapping().items():
        if value.value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
            origins[key] = value.path
    values = {k: v.value for k, v in merged.items()}
    return Node(values, node.path, node.source, origins)
