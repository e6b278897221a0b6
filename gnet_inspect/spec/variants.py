"""Variant overlays: a table's rows as a variant changes them, before any row is parsed.

A variant is data under ``variants:`` in a table: ``layers`` (how convolutions are built),
``rows`` (fields changed on one row, by id), ``rows_of_type`` (on every row of a type),
``aux_rows`` (on the aux heads' rows, by id) and ``insert_after`` (new rows). A null value
removes a field. Every change keeps the YAML path it came from, so an error in it is reported
where it was written.
"""

from __future__ import annotations

from gnet_inspect.spec.yaml_source import Node

__all__ = [
    "VARIANT_KEYS",
    "changes_network",
    "check_overlays",
    "describe",
    "overlay_head_rows",
    "overlay_rows",
    "pick_variant",
    "text_of",
]

VARIANT_KEYS = ("description", "layers", "rows", "rows_of_type", "aux_rows", "insert_after")
_RESHAPING = ("layers", "rows", "rows_of_type", "aux_rows")


def pick_variant(
    variants: Node | None, wanted: str | None, doc: Node
) -> tuple[str, dict[str, Node]]:
    """The variant's name and overlay: ``wanted``, or the first listed; ``("table", {})`` for a
    table without variants."""
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
    return name, _overlay(table[name])


def check_overlays(variants: Node | None, rows: Node, heads: list[Node]) -> None:
    """Checks that every variant's overlay names real rows, not only the variant asked for."""
    if variants is None:
        return
    head_rows = {
        text_of(r.mapping(), "id")
        for head in heads
        for r in head.mapping().get("rows", Node([], "", "")).items()
    }
    for body in variants.mapping().values():
        overlay = _overlay(body)
        overlay_rows(rows, overlay)
        changes = overlay["aux_rows"].mapping() if "aux_rows" in overlay else {}
        for row_id, change in changes.items():
            if row_id not in head_rows:
                change.fail(f"no row with id '{row_id}' in any aux head")


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
    """The main rows with the overlay's changes and insertions applied, in order."""
    rows = list(rows_node.items())
    known = {text_of(row.mapping(), "id") for row in rows}
    by_type = overlay["rows_of_type"].mapping() if "rows_of_type" in overlay else {}
    by_id = overlay["rows"].mapping() if "rows" in overlay else {}
    inserts = overlay["insert_after"].mapping() if "insert_after" in overlay else {}
    for row_id, node in [*by_id.items(), *inserts.items()]:
        if row_id not in known:
            node.fail(f"no row with id '{row_id}' in the table")
    result: list[Node] = []
    for row in rows:
        fields = row.mapping()
        kind = text_of(fields, "type") or ""
        if kind in by_type:
            row = _merge(row, by_type[kind])
        row_id = text_of(fields, "id") or ""
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
            change.fail(f"no row with id '{row_id}' in aux head '{head_id}'")
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
