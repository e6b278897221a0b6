"""Where a command's output goes: stdout, or a file written whole or not at all.

stdout (also ``-o -``) takes what its encoding can carry (``cli.streams``), and JSON escapes
what it cannot (``\\u00d7``: the same document) instead of spelling it. A file is always
UTF-8 (``cli.files``).
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from gnet_inspect.errors import OutputError

if TYPE_CHECKING:
    from gnet_inspect.render.view import View


from gnet_inspect.cli.files import write_atomically
from gnet_inspect.cli.streams import (
    CLOSED_STDOUT,
    FILE_WIDTH,
    SPELL,
    check_not_stopped,
    parse_width,
    stdout_call,
    stdout_closed,
    terminal_width,
)

__all__ = ["emit", "emit_renderable", "emit_view", "flush_stdout", "render_text"]


def emit_view(view: View, format: str, output: Path | None) -> None:
    """Emits ``view`` in ``format`` (table, csv, json or markdown) to stdout or ``output``."""
    from gnet_inspect.render.export import to_csv, to_json

    if format == "table":
        emit_renderable(view.terminal, output)
    elif format == "csv":
        emit(to_csv(view.records()), output)
    elif format == "json":
        document = to_json(view.document())
        emit(document if _file(output) else _json_for_stdout(document), output)
    else:
        emit(view.markdown(), output)


def emit_renderable(make: Callable[[int], object], output: Path | None) -> None:
    """Prints a rich view made for the terminal's width (colour on a terminal), or writes it as
    plain text, a wide page, to a pipe or to ``output``."""
    from rich.console import Console

    check_not_stopped()
    if not _file(output) and _stdout_is_terminal():
        width = terminal_width()
        console = Console(width=width)
        _to_stdout(lambda: console.print(make(width)))
        return
    width = (
        FILE_WIDTH if _file(output) else parse_width(os.environ.get("COLUMNS", "")) or FILE_WIDTH
    )
    emit(render_text(make(width), width), output)


def render_text(renderable: object, width: int) -> str:
    """A rich renderable as plain text (no colour codes), ``width`` columns wide."""
    from rich.console import Console

    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None, soft_wrap=False).print(renderable)
    return buffer.getvalue()


def emit(data: str | bytes, output: Path | None) -> None:
    """Writes ``data`` to ``output``, or to stdout when no output path (or ``-``) is given.

    A reader that closed the pipe early (``| head``) raises BrokenPipeError for the entry point
    to end quietly; any other failure to write stdout is an OutputError, and so is binary data
    (a PNG) for a terminal.
    """
    check_not_stopped()
    if _file(output):
        assert output is not None
        write_atomically(output, data.encode("utf-8", SPELL) if isinstance(data, str) else data)
        return
    if isinstance(data, str):
        _to_stdout(lambda: sys.stdout.write(data))
        return
    text = _is_text(data)
    if not text and _stdout_is_terminal():
        raise OutputError("binary output for a terminal; write it to a file with --output FILE")
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is not None:
        _to_stdout(lambda: (sys.stdout.flush(), buffer.write(data)))
    elif text:  # a stream of text only (contextlib.redirect_stdout to a StringIO)
        _to_stdout(lambda: sys.stdout.write(data.decode("utf-8")))
    else:
        raise OutputError("standard output takes no binary data here; give --output FILE")


def flush_stdout() -> None:
    """Flushes what is still buffered for stdout (the help, a rich view), failing as ``emit``
    does: BrokenPipeError for a reader that has gone, an OutputError for anything else."""
    if not stdout_closed():
        _to_stdout(lambda: None)


def _to_stdout(write: Callable[[], object]) -> None:
    if stdout_closed():
        raise OutputError(CLOSED_STDOUT)
    try:
        stdout_call(write)
        stdout_call(sys.stdout.flush)
    except UnicodeEncodeError as exc:  # a stream that is no TextIOWrapper, without our errors
        reason = f"its encoding {exc.encoding} cannot carry {exc.object[exc.start]!r}"
        message = f"cannot write to standard output: {reason}"
        raise OutputError(f"{message}; set PYTHONIOENCODING=utf-8 or give --output FILE") from None


def _file(output: Path | None) -> bool:
    return output is not None and str(output) != "-"


def _stdout_is_terminal() -> bool:
    try:
        return not stdout_closed() and sys.stdout.isatty()
    except (AttributeError, ValueError):  # a stream without isatty, or closed
        return False


def _is_text(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _json_for_stdout(document: str) -> str:
    """The JSON document with each character stdout's encoding cannot carry escaped."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        document.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return "".join(char if _fits(char, encoding) else _escaped(char) for char in document)
    return document


def _escaped(char: str) -> str:
    return json.dumps(char)[1:-1]  # \u00d7, and a surrogate pair beyond the first plane


def _fits(char: str, encoding: str) -> bool:
    try:
        char.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True
