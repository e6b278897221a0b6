"""A row written once and repeated: ``repeat: 7`` is the paper's "7 × Inception-B".

A repeated row becomes that many rows, in place, before any row is parsed: ``inception_b``
repeated 7 times is ``inception_b_1`` to ``inception_b_7``, one id per repeat, so that every
report, profile and diagram names each of them. The first repeat keeps the row's ``paper``
cells (the paper prints the group once); the others carry none. A variant changes the row as
written (``rows: {inception_b: {repeat: 10}}``); notes and aux heads name the repeats' ids.
"""

from __future__ import annotations

from gnet_inspect.spec.limits import MAX_REPEATS
from gnet_inspect.spec.yaml_source import Node

__all__ = ["expand_repeats", "repeat_id"]


def repeat_id(row_id: str, index: int) -> str:
    """The id of repeat ``index`` (from 1) of the row ``row_id``."""
    return f"{row_id}_{index}"


def expand_repeats(rows: list[Node]) -> list[Node]:
    """``rows`` with every row that has ``repeat`` written out as its repeats, in order."""
    expanded: list[Node] = []
    for row in rows:
        fields = row.mapping() if isinstance(row.value, dict) else {}
        if "repeat" not in fields:
            expanded.append(row)
            continue
        count = fields["repeat"].integer(maximum=MAX_REPEATS)
        if "id" not in fields or not isinstance(fields["id"].value, str):
            row.fail("a repeated row needs an 'id' (its repeats are named <id>_1, <id>_2, …)")
        for index in range(1, count + 1):
            values = {key: node.value for key, node in fields.items() if key != "repeat"}
            values["id"] = repeat_id(fields["id"].value, index)
            if index > 1:
                values.pop("paper", None)
            expanded.append(Node(values, row.path, row.source, row.origins))
    return expanded
