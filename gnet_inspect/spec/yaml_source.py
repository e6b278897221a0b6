"""Reading a YAML document strictly: safe loading only, no duplicate keys, typed access by path.

A ``Node`` is a value with the YAML path it came from, so that every check can say where it
failed (``rows[5].ch3x3``) without threading paths by hand.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

import yaml

from gnet_inspect.errors import SpecError

__all__ = ["Node", "load_document"]


# libyaml's safe loader when PyYAML was built with it (the usual wheels are), else the pure one.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """A safe loader that refuses a key given twice in one mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} given twice in one mapping", key_node.start_mark
                )
            seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


def load_document(text: str, source: str) -> Node:
    """Parses ``text`` into a Node; YAML errors become one-line SpecErrors naming the line."""
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        raise SpecError(source, where, f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise SpecError(source, "", f"invalid YAML: {' '.join(str(exc).split())}") from None
    if data is None:
        raise SpecError(source, "", "the file is empty; expected a table with 'rows'")
    return Node(data, "", source)


@dataclass(frozen=True)
class Node:
    """A YAML value, the path it was found at, and the file it came from. ``origins`` gives
    the path of a mapping's key that was written elsewhere (a variant's change to a row)."""

    value: Any
    path: str
    source: str
    origins: Mapping[str, str] = field(default_factory=dict, compare=False)

    def fail(self, message: str) -> NoReturn:
        raise SpecError(self.source, self.path or "document", message)

    def _child(self, key: str | int, value: Any) -> Node:
        if isinstance(key, int):
            return Node(value, f"{self.path}[{key}]", self.source)
        if key in self.origins:
            return Node(value, self.origins[key], self.source)
        return Node(value, f"{self.path}.{key}" if self.path else key, self.source)

    # -- containers -------------------------------------------------------------------------

    def mapping(self, allowed: tuple[str, ...] | None = None) -> dict[str, Node]:
        """The mapping's entries as Nodes; rejects keys outside ``allowed`` when given."""
        if not isinstance(self.value, dict):
            self.fail(f"expected a mapping, got {_kind(self.value)}")
        entries: dict[str, Node] = {}
        for key, value in self.value.items():
            if not isinstance(key, str):
                self.fail(f"expected text keys, got {key!r}")
            if allowed is not None and key not in allowed:
                self._child(key, value).fail(
                    f"unknown key '{key}'; expected one of: {', '.join(allowed)}"
                )
            entries[key] = self._child(key, value)
        return entries

    def items(self) -> Iterator[Node]:
        """The list's entries as Nodes."""
        if not isinstance(self.value, list):
            self.fail(f"expected a list, got {_kind(self.value)}")
        return (self._child(i, v) for i, v in enumerate(self.value))

    # -- scalars ----------------------------------------------------------------------------

    def text(self) -> str:
        if isinstance(self.value, bool) or not isinstance(self.value, (str, int, float)):
            self.fail(f"expected text, got {_kind(self.value)}")
        return str(self.value)

    def boolean(self) -> bool:
        if not isinstance(self.value, bool):
            self.fail(f"expected true or false, got {_kind(self.value)}")
        return self.value

    def integer(self, minimum: int = 1) -> int:
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            self.fail(f"expected a whole number, got {_kind(self.value)}")
        if self.value < minimum:
            self.fail(f"expected a whole number of at least {minimum}, got {self.value}")
        return self.value

    def number(self, low: float = -math.inf, high: float = math.inf) -> float:
        if isinstance(self.value, bool) or not isinstance(self.value, (int, float)):
            self.fail(f"expected a number, got {_kind(self.value)}")
        if not low <= self.value <= high or math.isnan(self.value):
            self.fail(f"expected a number from {low} to {high}, got {self.value}")
        return float(self.value)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({value})"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"text ({value!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
