"""A saved result read back (a profile, a lineage): the file checked, the JSON parsed, and each
field read against the type it was written with.

A file that is missing, too large, not UTF-8, not JSON or cut short is a ResultError naming the
file and how to write a good one; a field that is missing or of the wrong type names its path
(``blocks[3].macs``). Imports no torch.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

from gnet_inspect.errors import ResultError

__all__ = ["MAX_RESULT_BYTES", "FieldReader", "read_json_file"]

MAX_RESULT_BYTES = 64 * 2**20
_MAX_ITEMS = 10_000  # blocks, nodes, edges: GoogLeNet at every operation has a few hundred
_MAX_INT = 2**53  # what a float holds exactly; no count here comes near it
T = TypeVar("T")


def read_json_file(path: str | Path, what: str, how: str) -> Any:
    """The parsed JSON of the result file ``path`` (``what`` it should be, ``how`` to write
    one: both for the message of a ResultError)."""
    file = Path(path)
    name = str(path)
    if not file.is_file():
        why = "no such file" if not file.exists() else "not a regular file"
        raise ResultError(f"{name}: {why}; {how}")
    if file.stat().st_size > MAX_RESULT_BYTES:
        raise ResultError(f"{name}: larger than {MAX_RESULT_BYTES // 2**20} MiB: not {what}")
    try:
        return json.loads(file.read_bytes())
    except UnicodeDecodeError:
        raise ResultError(f"{name}: not UTF-8 text: not {what}; {how}") from None
    except json.JSONDecodeError as exc:
        raise ResultError(
            f"{name}: not JSON (truncated?) at line {exc.lineno} column {exc.colno}: "
            f"{exc.msg}; {how}"
        ) from None
    except (RecursionError, ValueError):  # nested too deep, or a number of thousands of digits
        raise ResultError(f"{name}: not {what} (nested too deep or a huge number)") from None
    except OSError as exc:
        raise ResultError(f"{name}: cannot be read: {exc.strerror}") from None


class FieldReader:
    """Reads one result file's parsed JSON, naming the field of any failure."""

    def __init__(self, name: str, how: str) -> None:
        self.name = name
        self.how = how

    def fail(self, where: str, what: str) -> ResultError:
        at = f" at '{where}'" if where else ""
        return ResultError(f"{self.name}{at}: {what}; {self.how}")

    def mapping(self, value: object, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected an object, found {kind_of(value)}")
        return cast(dict[str, Any], value)

    def field(self, data: dict[str, Any], key: str, where: str, kind: type[T]) -> T:
        path = f"{where}.{key}" if where else key
        if key not in data:
            raise self.fail(path, "missing")
        value = data[key]
        accepted: tuple[type, ...] = (int, float) if kind is float else (kind,)
        if (isinstance(value, bool) and kind is not bool) or not isinstance(value, accepted):
            raise self.fail(path, f"expected {kind.__name__}, found {kind_of(value)}")
        if kind is float:
            if isinstance(value, int) and abs(value) >= _MAX_INT:
                raise self.fail(path, "a number out of range")
            number = float(cast(float, value))
            if not math.isfinite(number) or number < 0:
                raise self.fail(path, "expected a finite number, not negative")
            return cast(T, number)
        if kind is int and not 0 <= cast(int, value) < _MAX_INT:
            raise self.fail(path, f"a count out of range (0 to 2**53): {str(value)[:20]}")
        if kind is list and len(cast(list[object], value)) > _MAX_ITEMS:
            raise self.fail(path, f"more than {_MAX_ITEMS} entries: not one result")
        return cast(T, value)

    def optional(self, data: dict[str, Any], key: str, where: str, kind: type[T]) -> T | None:
        return None if data.get(key) is None else self.field(data, key, where, kind)

    def items(
        self, data: dict[str, Any], key: str, where: str, read: Callable[[Any, str], T]
    ) -> tuple[T, ...]:
        values = self.field(data, key, where, list)
        path = f"{where}.{key}" if where else key
        return tuple(read(value, f"{path}[{i}]") for i, value in enumerate(values))

    def strings(self, data: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
        def one(value: Any, path: str) -> str:
            if not isinstance(value, str):
                raise self.fail(path, f"expected str, found {kind_of(value)}")
            return value

        return self.items(data, key, where, one)


def kind_of(value: object) -> str:
    """What a JSON value is, in words, for a message."""
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )
