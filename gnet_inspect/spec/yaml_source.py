"""Reading a table file strictly: a bounded regular file, safe YAML loading only, no duplicate
keys, typed access by path.

A ``Node`` is a value with the YAML path it came from, so that every check can say where it
failed (``rows[5].ch3x3``) without threading paths by hand. A value that YAML cannot construct
(``!!int "abc"``, a list as a key) is a one-line error naming its line, and a whole number
written with more than ``MAX_NUMBER_CHARS`` characters is kept as a ``LongNumber``, never
converted: every check then refuses it by its length, whatever it stands for.
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import yaml

from gnet_inspect.errors import SpecError
from gnet_inspect.spec.limits import MAX_NUMBER_CHARS, MAX_TABLE_BYTES, MAX_UNITS, shown

__all__ = ["LongNumber", "Node", "load_document", "read_table_file"]

_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def read_table_file(path: Path, source: str) -> str:
    """The text of a table file: a regular file of at most ``MAX_TABLE_BYTES``, in UTF-8.

    Anything else (a FIFO, ``/dev/zero``, a directory, a 30 GB file) is refused from its status
    before it is read, and it is opened without blocking, so nothing waits for a writer or
    reads without end. The status is checked again on the opened file: it is the one read.
    """
    try:
        _check_file(os.stat(path), source)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "rb") as file:
            _check_file(os.fstat(file.fileno()), source)
            data = file.read(MAX_TABLE_BYTES + 1)
    except FileNotFoundError:
        raise SpecError(source, "", "no such file; give the path of a YAML table") from None
    except OSError as exc:
        raise SpecError(source, "", f"cannot read the table: {exc.strerror or exc}") from None
    if len(data) > MAX_TABLE_BYTES:  # it grew after its status was read
        raise _too_large(source, f"more than {MAX_TABLE_BYTES:,} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise SpecError(source, "", "cannot read the table: not UTF-8 text") from None


def _check_file(status: os.stat_result, source: str) -> None:
    """Refuses what is not a regular file, or is larger than MAX_TABLE_BYTES."""
    if not stat.S_ISREG(status.st_mode):
        kind = _KINDS.get(stat.S_IFMT(status.st_mode), "not a regular file")
        raise SpecError(source, "", f"{kind}, not a table file; give the path of a YAML table")
    if status.st_size > MAX_TABLE_BYTES:
        raise _too_large(source, f"{status.st_size:,} bytes")


def _too_large(source: str, size: str) -> SpecError:
    return SpecError(
        source,
        "",
        f"the file has {size}; a table file is at most {MAX_TABLE_BYTES:,} bytes (1 MiB)",
    )


# libyaml's safe loader when PyYAML was built with it (the usual wheels are), else the pure one.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, repr=False)
class LongNumber:
    """A whole number written with more than ``MAX_NUMBER_CHARS`` characters, kept as text."""

    text: str

    def __str__(self) -> str:
        return f"a number written with {len(self.text):,} characters"

    __repr__ = __str__


# A key written into a YAML path as it is (``rows_of_type.max pool``); any other is quoted.
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_ ×/-]{0,39}")

# What a constructor raises on a scalar it cannot read (``!!int ""`` is an IndexError in
# PyYAML, ``!!bool "x"`` a KeyError, ``!!timestamp "x"`` an AttributeError).
_UNREADABLE = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError)


class _StrictLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """A safe loader that refuses a key given twice in one mapping, reports any value it
    cannot construct at its line, and never converts a whole number of more than
    ``MAX_NUMBER_CHARS`` characters (Python refuses to turn one of 4,300 digits into text)."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except _UNREADABLE:
            tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
            what = shown(node.value) if isinstance(node, yaml.ScalarNode) else "this value"
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {what} as {tag}", node.start_mark
            ) from None

    def construct_bounded_int(self, node: yaml.ScalarNode) -> int | LongNumber:
        text = self.construct_scalar(node)
        if len(text) > MAX_NUMBER_CHARS:
            return LongNumber(text)
        value: int = super().construct_yaml_int(node)
        return value

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                problem = f"{_kind(key)} as a key; keys are text"
                raise yaml.constructor.ConstructorError(
                    None, None, problem, key_node.start_mark
                ) from None
            if key in seen:
                problem = f"key {shown(key)} given twice in one mapping"
                raise yaml.constructor.ConstructorError(None, None, problem, key_node.start_mark)
            seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _StrictLoader.construct_bounded_int)


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
    except RecursionError:  # the pure-Python loader's limit (libyaml's is a YAMLError)
        raise SpecError(source, "", "invalid YAML: nested too deeply") from None
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
        if not _PLAIN_KEY.fullmatch(key):  # a path stays one short line, whatever the key
            return Node(value, f"{self.path}[{shown(key)}]", self.source)
        return Node(value, f"{self.path}.{key}" if self.path else key, self.source)

    # -- containers -------------------------------------------------------------------------

    def mapping(self, allowed: tuple[str, ...] | None = None) -> dict[str, Node]:
        """The mapping's entries as Nodes; rejects keys outside ``allowed`` when given."""
        if not isinstance(self.value, dict):
            self.fail(f"expected a mapping, got {_kind(self.value)}")
        entries: dict[str, Node] = {}
        for key, value in self.value.items():
            if not isinstance(key, str):
                self.fail(f"expected text keys, got {_kind(key)}")
            if allowed is not None and key not in allowed:
                self._child(key, value).fail(
                    f"unknown key {shown(key)}; expected one of: {', '.join(allowed)}"
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

    def integer(self, minimum: int = 1, maximum: int = MAX_UNITS) -> int:
        """A whole number from ``minimum`` to ``maximum`` (by default the most channels,
        pixels or kernel size a table may give)."""
        value = self.value
        if isinstance(value, LongNumber):
            self.fail(f"expected a whole number of at most {maximum:,}, got {value}")
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(f"expected a whole number, got {_kind(value)}")
        if value < minimum:
            self.fail(f"expected a whole number of at least {minimum}, got {shown(value)}")
        if value > maximum:
            self.fail(f"expected a whole number of at most {maximum:,}, got {shown(value)}")
        return value

    def number(self, low: float, high: float) -> float:
        """A finite number from ``low`` to ``high``."""
        value = self.value
        if isinstance(value, bool) or not isinstance(value, (int, float, LongNumber)):
            self.fail(f"expected a number, got {_kind(value)}")
        # An int compares exactly, however large; math.isfinite would overflow on a huge one.
        if (
            isinstance(value, LongNumber)
            or (isinstance(value, float) and not math.isfinite(value))
            or not low <= value <= high
        ):
            self.fail(f"expected a number from {low:g} to {high:g}, got {_kind(value)}")
        return float(value)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({value})"
    if isinstance(value, LongNumber):
        return str(value)
    if isinstance(value, (int, float)):
        return f"a number ({shown(value)})"
    if isinstance(value, str):
        return f"text ({shown(value)})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
