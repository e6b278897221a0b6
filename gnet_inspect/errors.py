"""The errors gnet-inspect raises for bad input: each says what, where, and what to do."""

from __future__ import annotations

__all__ = [
    "DeviceError",
    "GnetInspectError",
    "InputSizeError",
    "MemoryLimitError",
    "NetworkTypeError",
    "OptionError",
    "OutputError",
    "RenderError",
    "ResultError",
    "SpecError",
]


class GnetInspectError(Exception):
    """Base of every error caused by input rather than by a bug; the CLI prints it on one line."""


class SpecError(GnetInspectError):
    """A table file that cannot be read, or that breaks the schema.

    Args:
        source: the file (or other source) the table came from.
        where: the YAML path of the offending value, such as ``rows[5].ch3x3``; empty for the
            whole document.
        message: what was found and what was expected.
    """

    def __init__(self, source: str, where: str, message: str) -> None:
        self.source = source
        self.where = where
        self.message = message
        location = f"{source}: {where}" if where else source
        super().__init__(f"{location}: {message}")


class InputSizeError(GnetInspectError):
    """An input size the network cannot take (a window larger than its input, a head mismatch).

    Args:
        message: the whole one-line message.
        row: the qualified id of the row that cannot take its input, when one does.
        reason: what is wrong with that row, without advice on the input size.
        part: the branch or layer of a module row that cannot (``branch3x3.fork``), if any.

    ``computed`` holds the output sizes of the rows before it (by qualified id), set where the
    shape arithmetic raised it.
    """

    def __init__(
        self,
        message: str,
        row: str | None = None,
        reason: str | None = None,
        part: str | None = None,
    ) -> None:
        self.row = row
        self.reason = reason or message
        self.part = part
        self.computed: dict[str, object] = {}
        super().__init__(message)


class OptionError(GnetInspectError):
    """A combination of options that does not apply (an unknown module, a what-if off its table)."""


class DeviceError(GnetInspectError):
    """A device or dtype that cannot run the request (no CUDA, no bfloat16, out of memory)."""


class RenderError(GnetInspectError):
    """A figure that cannot be rendered (the graphviz ``dot`` binary missing or failing)."""


class OutputError(GnetInspectError):
    """An output path that cannot be written."""


class MemoryLimitError(GnetInspectError):
    """A request that would not fit in the memory this process can have (checked before
    allocating), or that the allocator refused."""


class ResultError(GnetInspectError):
    """A saved result file that is not one: not JSON, truncated, of another schema, or of
    another table than the one it is drawn with."""


class NetworkTypeError(GnetInspectError, TypeError):
    """A value given to the public API that it does not take (a network it did not build)."""
