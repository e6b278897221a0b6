"""Where a command's output goes: stdout, or files written whole or not at all.

stdout (also ``-o -``) takes what its encoding can carry: a character it cannot (``×`` on an
ASCII terminal) is spelled in ASCII (``render.format.ascii_fallback``), and JSON escapes it
instead (``\\u00d7``: the same document). A file is always UTF-8, written through a temporary in
its folder and renamed into place; ``/dev/stdout`` and ``/dev/fd/N`` are the descriptors they
name; a device, a named pipe or a terminal is written in place, since it cannot be replaced.
"""

from __future__ import annotations

import codecs
import errno
import io
import json
import os
import secrets
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar, cast

from gnet_inspect.errors import OutputError
from gnet_inspect.render.format import ascii_fallback

if TYPE_CHECKING:
    from gnet_inspect.render.view import View

__all__ = [
    "Stopped",
    "emit",
    "emit_renderable",
    "emit_view",
    "flush_stdout",
    "prepared_output",
    "render_text",
    "request_stop",
    "stdout_closed",
    "stop_requested",
    "write_all_atomically",
    "write_atomically",
]

FILE_WIDTH = 240
# A width outside these is the environment's mistake (COLUMNS=0, COLUMNS=1000000000), clamped.
MIN_WIDTH, MAX_WIDTH = 20, 1000
# The widths rich (COLUMNS) and typer's help (TERMINAL_WIDTH) read from the environment.
_WIDTH_VARIABLES = ("COLUMNS", "TERMINAL_WIDTH")
_CLOSED = "cannot write to standard output: it is closed; give --output FILE"
# Temporary files are named apart from their target, so a name of any legal length fits.
_TEMPORARY = ".gnet-inspect-"
_SPELL = "gnet-inspect-ascii"
_T = TypeVar("_T")


def _spell_in_ascii(error: UnicodeError) -> tuple[str | bytes, int]:
    """The encoding error handler of the standard streams (and of files, for UTF-8)."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    chunk = error.object[error.start : error.end]
    if all("\udc80" <= char <= "\udcff" for char in chunk):  # bytes of a file name, as given
        return bytes(ord(char) - 0xDC00 for char in chunk), error.end
    return "".join(ascii_fallback(char) for char in chunk), error.end


codecs.register_error(_SPELL, _spell_in_ascii)


class Stopped(BaseException):
    """A signal that ends the run (Ctrl-C, SIGTERM, SIGHUP), raised where the program is so
    that every cleanup runs; the entry point says it in one line.

    Not an Exception (what catches those does not swallow it), and not a KeyboardInterrupt,
    which typer turns into a silent exit.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


# The signals that stopped this run. Remembered as well as raised: an exception raised while an
# extension module imports another (torch importing numpy) can be swallowed, and one is not
# raised at all inside an import (see main), so the output step checks before writing.
_STOPPED_BY: list[int] = []


def request_stop(signum: int) -> None:
    """Records that the signal ``signum`` stopped the run (the entry point's handlers call it);
    nothing is written after it."""
    if not _STOPPED_BY:
        _STOPPED_BY.append(signum)


def stop_requested() -> int | None:
    """The signal that stopped this run, if one did (even if its exception was swallowed)."""
    return _STOPPED_BY[0] if _STOPPED_BY else None


def _check_not_stopped() -> None:
    if _STOPPED_BY:
        raise Stopped(_STOPPED_BY[0])


@contextmanager
def prepared_output() -> Iterator[None]:
    """Makes stdout and stderr safe to write for one run, and puts things back after.

    - A stream the process was started without (``>&-``) is stood in for: writing to stdout is
      then an OutputError, what goes to stderr is dropped, and the descriptor is held on
      /dev/null so that no file this run opens takes its number.
    - A failure to write stdout (a full disk) is an OutputError whoever writes (typer's help
      too), and a reader that has gone (``| head``) a BrokenPipeError.
    - A character a stream's encoding cannot carry is spelled in ASCII instead of raising
      UnicodeEncodeError; a byte of a file name that is no text (``surrogateescape``) is
      written back as that byte.
    - A width in the environment (``COLUMNS``; typer's ``TERMINAL_WIDTH``) that is not a
      positive number is ignored and an absurd one clamped, for rich and typer as for us.
    """
    _STOPPED_BY.clear()
    stand_ins = [_stand_in(name, fd) for fd, name in enumerate(("stdin", "stdout", "stderr"))]
    spelled = [_spell_on(stream) for stream in (sys.stdout, sys.stderr)]
    guarded = _guard_stdout()
    widths = {name: os.environ[name] for name in _WIDTH_VARIABLES if name in os.environ}
    for name, value in widths.items():
        width = _width(value)
        if width is None:
            del os.environ[name]
        else:
            os.environ[name] = str(width)
    try:
        yield
    finally:
        os.environ.update(widths)
        for restore in (guarded, *spelled, *stand_ins):
            restore()


def _stand_in(name: str, fd: int) -> Callable[[], None]:
    if getattr(sys, name) is not None:
        return lambda: None
    try:
        os.fstat(fd)
    except OSError:  # closed: hold the number, as nothing should write there by accident
        held = os.open(os.devnull, os.O_RDWR)
        if held != fd:
            os.dup2(held, fd)
            os.close(held)
    stand_in = _Closed(refuse=name == "stdout")
    setattr(sys, name, stand_in)

    def restore() -> None:
        if getattr(sys, name) is stand_in:
            setattr(sys, name, None)

    return restore


def _spell_on(stream: TextIO | None) -> Callable[[], None]:
    if not isinstance(stream, io.TextIOWrapper) or stream.errors == _SPELL:
        return lambda: None
    before = stream.errors
    try:
        stream.reconfigure(errors=_SPELL)
    except (OSError, ValueError):  # closed, or its pending output cannot be flushed
        return lambda: None

    def restore() -> None:
        with suppress(OSError, ValueError):
            stream.reconfigure(errors=before)

    return restore


def _guard_stdout() -> Callable[[], None]:
    stream = sys.stdout
    if stream is None or isinstance(stream, (_Closed, _Guarded)):
        return lambda: None
    guard = _Guarded(stream)
    sys.stdout = cast(TextIO, guard)

    def restore() -> None:
        if sys.stdout is guard:
            sys.stdout = stream

    return restore


class _Guarded:
    """stdout as every writer sees it: what fails to be written there is an OutputError."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return _stdout_call(lambda: self._stream.write(text))

    def flush(self) -> None:
        _stdout_call(self._stream.flush)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _stdout_call(call: Callable[[], _T]) -> _T:
    try:
        return call()
    except BrokenPipeError:
        raise
    except OSError as exc:
        message = f"cannot write to standard output: {exc.strerror or exc}"
        raise OutputError(f"{message}; give --output FILE") from None


class _Closed(io.TextIOBase):
    """Stands in for a standard stream the process was started without."""

    def __init__(self, refuse: bool) -> None:
        super().__init__()
        self._refuse = refuse

    encoding = "utf-8"

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self._refuse:
            raise OutputError(_CLOSED)
        return len(text)


def stdout_closed() -> bool:
    """Whether the process was started without stdout (``>&-``)."""
    return sys.stdout is None or isinstance(sys.stdout, _Closed)


def _width(value: str) -> int | None:
    """A width the environment gives, clamped; None for one that is no positive number."""
    try:
        columns = int(value)
    except ValueError:
        return None
    return min(max(columns, MIN_WIDTH), MAX_WIDTH) if columns > 0 else None


def _terminal_width() -> int:
    named = _width(os.environ.get("COLUMNS", ""))
    if named is not None:
        return named
    try:
        measured = os.get_terminal_size(sys.stdout.fileno()).columns
    except (AttributeError, ValueError, OSError):
        measured = 0
    return _width(str(measured)) or 80


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

    _check_not_stopped()
    if not _file(output) and _stdout_is_terminal():
        width = _terminal_width()
        console = Console(width=width)
        _to_stdout(lambda: console.print(make(width)))
        return
    width = FILE_WIDTH if _file(output) else _width(os.environ.get("COLUMNS", "")) or FILE_WIDTH
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
    _check_not_stopped()
    if _file(output):
        assert output is not None
        write_atomically(output, data.encode("utf-8", _SPELL) if isinstance(data, str) else data)
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
        raise OutputError(_CLOSED)
    try:
        _stdout_call(write)
        _stdout_call(sys.stdout.flush)
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


def write_atomically(path: Path, data: bytes) -> None:
    """Writes ``path`` whole or not at all.

    A regular file (new or not) is written through a temporary file in its folder and renamed
    into place, keeping an existing file's permissions; a link is followed to the file it
    names. ``/dev/stdout``, ``/dev/fd/N`` and ``/proc/self/fd/N`` are written to the descriptor
    they name (into the pipe, or where the shell opened the file). Anything else that exists
    (a device such as /dev/null, a named pipe, a terminal) is written in place; a named pipe
    that no process reads is refused rather than waited on.
    """
    _check_not_stopped()
    try:
        descriptor = _own_descriptor(path)
        if descriptor is not None:
            _flush_standard_streams()
            _write_all(descriptor, data)
            return
        status = _status(path)
        if status is not None and stat.S_ISDIR(status.st_mode):
            raise OutputError(f"cannot write {path}: it is a directory; give a file name")
        if status is not None and not stat.S_ISREG(status.st_mode):
            _write_in_place(path, data, status)
            return
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    write_all_atomically([(path, data)])


def write_all_atomically(files: Sequence[tuple[Path, bytes]]) -> None:
    """Writes every file whole, or leaves every one as it was.

    Each is first written to a temporary in its folder (so a full disk or an unwritable
    folder fails before anything is replaced, and so does a target that is a directory or no
    regular file); then all are renamed into place. A rename that fails puts back the files
    replaced before it (kept as hard links until all are in place).
    """
    staged: list[_Staged] = []
    try:
        for path, data in files:
            staged.append(_stage(path, data))
        _check_not_stopped()
        _commit(staged)
    finally:
        for item in staged:
            item.temporary.unlink(missing_ok=True)


@dataclass(frozen=True)
class _Staged:
    path: Path  # as given
    target: Path  # the file it names, links followed
    temporary: Path
    existed: bool


def _stage(path: Path, data: bytes) -> _Staged:
    try:
        target = Path(os.path.realpath(path))
        status = _status(target)
        if status is not None and stat.S_ISDIR(status.st_mode):
            raise OutputError(f"cannot write {path}: it is a directory; give a file name")
        if status is not None and not stat.S_ISREG(status.st_mode):
            raise OutputError(f"cannot replace {path}: it is not a regular file")
        folder = target.parent
        if not folder.is_dir():
            raise OutputError(f"cannot write {path}: no directory {folder}; create it first")
        mode = stat.S_IMODE(status.st_mode) if status is not None else _default_mode()
        handle, name = tempfile.mkstemp(dir=folder, prefix=_TEMPORARY)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
    except BaseException as exc:
        temporary.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _cannot_write(path, exc) from None
        raise
    return _Staged(path, target, temporary, status is not None)


def _commit(staged: Sequence[_Staged]) -> None:
    done: list[tuple[_Staged, Path | None]] = []
    kept: list[Path] = []
    item = None
    try:
        for item in staged:
            backup = _keep(item.target) if item.existed else None
            if backup is not None:
                kept.append(backup)
            os.replace(item.temporary, item.target)
            done.append((item, backup))
    except BaseException as exc:
        for replaced, backup in reversed(done):
            with suppress(OSError):
                if backup is not None:
                    os.replace(backup, replaced.target)
                elif not replaced.existed:
                    replaced.target.unlink()
        if isinstance(exc, OSError) and item is not None:
            raise _cannot_write(item.path, exc) from None
        raise
    finally:
        for backup in kept:
            backup.unlink(missing_ok=True)


def _keep(target: Path) -> Path | None:
    """A second name for the file at ``target`` (a hard link), to put it back with; None where
    the file system has no hard links."""
    name = target.parent / f"{_TEMPORARY}{secrets.token_hex(6)}"
    try:
        os.link(target, name)
    except OSError:  # no hard links here (or the name was taken meanwhile): no way back
        return None
    return name


def _status(path: Path) -> os.stat_result | None:
    """What ``path`` names, links followed; None if nothing is there."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


def _own_descriptor(path: Path) -> int | None:
    """The descriptor of this process that ``path`` names through /dev/fd or /proc/self/fd
    links (``/dev/stdout`` is 1), else None."""
    own = {os.path.realpath("/proc/self/fd"), os.path.realpath("/proc/thread-self/fd")}
    current = os.path.abspath(path)
    for _ in range(40):  # the kernel's own limit on links followed
        folder, name = os.path.split(current)
        if name.isdigit() and os.path.realpath(folder) in own:
            return int(name)
        if not os.path.islink(current):
            return None
        current = os.path.abspath(os.path.join(folder, os.readlink(current)))
    return None


def _write_in_place(path: Path, data: bytes, status: os.stat_result) -> None:
    # Opened without waiting: a named pipe with no reader is ENXIO at once, not a hang.
    flags = os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    try:
        descriptor = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ENXIO and stat.S_ISFIFO(status.st_mode):
            message = f"cannot write {path}: no process is reading this named pipe (ENXIO)"
            raise OutputError(f"{message}; start its reader first") from None
        raise
    try:
        os.set_blocking(descriptor, True)
        _write_all(descriptor, data)
    finally:
        os.close(descriptor)


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def _flush_standard_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError, AttributeError):
            stream.flush()


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _cannot_write(path: Path, exc: OSError) -> OutputError:
    return OutputError(f"cannot write {path}: {exc.strerror or exc}; choose a writable path")
