"""Where a command's output goes: stdout, or a file written whole or not at all."""

from __future__ import annotations

import io
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from gnet_inspect.errors import OutputError

if TYPE_CHECKING:
    from gnet_inspect.render.view import View

__all__ = ["emit", "emit_renderable", "render_text", "write_atomically"]

FILE_WIDTH = 240


def emit_view(view: View, format: str, output: Path | None) -> None:
    """Emits ``view`` in ``format`` (table, csv, json or markdown) to stdout or ``output``."""
    from gnet_inspect.render.export import to_csv, to_json

    if format == "table":
        emit_renderable(view.terminal, output)
    elif format == "csv":
        emit(to_csv(view.records()), output)
    elif format == "json":
        emit(to_json(view.document()), output)
    else:
        emit(view.markdown(), output)


def emit_renderable(make: Callable[[int], object], output: Path | None) -> None:
    """Prints a rich view made for the terminal's width (colour on a terminal), or writes it as
    plain text, a wide page, to a pipe or to ``output``."""
    from rich.console import Console

    if output is None and sys.stdout.isatty():
        console = Console()
        console.print(make(console.width))
        return
    width = FILE_WIDTH if output is not None else int(os.environ.get("COLUMNS", FILE_WIDTH))
    emit(render_text(make(width), width), output)


def render_text(renderable: object, width: int) -> str:
    """A rich renderable as plain text (no colour codes), ``width`` columns wide."""
    from rich.console import Console

    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None, soft_wrap=False).print(renderable)
    return buffer.getvalue()


def emit(data: str | bytes, output: Path | None) -> None:
    """Writes ``data`` to ``output``, or to stdout when no output path is given.

    A reader that closed the pipe early (``| head``) raises BrokenPipeError for the entry point
    to end quietly; any other failure to write stdout is an OutputError.
    """
    if output is None:
        try:
            if isinstance(data, bytes):
                sys.stdout.buffer.write(data)
            else:
                sys.stdout.write(data)
            sys.stdout.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            message = f"cannot write to standard output: {exc.strerror or exc}"
            raise OutputError(message) from None
        return
    write_atomically(output, data.encode() if isinstance(data, str) else data)


def write_atomically(path: Path, data: bytes) -> None:
    """Writes ``path`` whole or not at all.

    A regular file (new or not) is written through a temporary file in its folder and renamed
    into place, keeping an existing file's permissions; a link is followed to the file it
    names; anything else that exists (a device such as /dev/null, a pipe) is written to
    directly, since it cannot be replaced.
    """
    path = Path(os.path.realpath(path))
    if path.is_dir():
        raise OutputError(f"cannot write {path}: it is a directory; give a file name")
    if path.exists() and not path.is_file():
        _write_in_place(path, data)
        return
    folder = path.parent
    if not folder.is_dir():
        raise OutputError(f"cannot write {path}: no directory {folder}; create it first")
    mode = path.stat().st_mode & 0o7777 if path.exists() else _default_mode()
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.")
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise _cannot_write(path, exc) from None


def _write_in_place(path: Path, data: bytes) -> None:
    try:
        with path.open("wb") as file:
            file.write(data)
    except OSError as exc:
        raise _cannot_write(path, exc) from None


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _cannot_write(path: Path, exc: OSError) -> OutputError:
    return OutputError(f"cannot write {path}: {exc.strerror or exc}; choose a writable path")
