"""The standard streams as a command finds them, made safe to write: encodings, widths, a
closed stdout, and a stop (a signal) that turns into an exception at a safe moment.

A stream whose encoding cannot carry a character (``×`` on an ASCII terminal) spells it in
ASCII (``render.format.ascii_fallback``); a closed stdout is held on /dev/null so no file takes
its descriptor; a width from the environment that is junk or absurd is ignored or clamped.
"""

from __future__ import annotations

import codecs
import io
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any, TextIO, TypeVar, cast

from gnet_inspect.errors import OutputError
from gnet_inspect.render.format import ascii_fallback

if TYPE_CHECKING:
    pass


__all__ = [
    "CLOSED_STDOUT",
    "FILE_WIDTH",
    "SPELL",
    "Stopped",
    "check_not_stopped",
    "parse_width",
    "prepared_output",
    "request_stop",
    "stdout_call",
    "stdout_closed",
    "stop_requested",
    "terminal_width",
]

FILE_WIDTH = 240
# A width outside these is the environment's mistake (COLUMNS=0, COLUMNS=1000000000), clamped.
MIN_WIDTH, MAX_WIDTH = 20, 1000
# The widths rich (COLUMNS) and typer's help (TERMINAL_WIDTH) read from the environment.
_WIDTH_VARIABLES = ("COLUMNS", "TERMINAL_WIDTH")
CLOSED_STDOUT = "cannot write to standard output: it is closed; give --output FILE"
SPELL = "gnet-inspect-ascii"
_T = TypeVar("_T")


def _spell_in_ascii(error: UnicodeError) -> tuple[str | bytes, int]:
    """The encoding error handler of the standard streams (and of files, for UTF-8)."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    chunk = error.object[error.start : error.end]
    if all("\udc80" <= char <= "\udcff" for char in chunk):  # bytes of a file name, as given
        return bytes(ord(char) - 0xDC00 for char in chunk), error.end
    return "".join(ascii_fallback(char) for char in chunk), error.end


codecs.register_error(SPELL, _spell_in_ascii)


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


def check_not_stopped() -> None:
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
        width = parse_width(value)
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
    if not isinstance(stream, io.TextIOWrapper) or stream.errors == SPELL:
        return lambda: None
    before = stream.errors
    try:
        stream.reconfigure(errors=SPELL)
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
        return stdout_call(lambda: self._stream.write(text))

    def flush(self) -> None:
        stdout_call(self._stream.flush)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def stdout_call(call: Callable[[], _T]) -> _T:
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
            raise OutputError(CLOSED_STDOUT)
        return len(text)


def stdout_closed() -> bool:
    """Whether the process was started without stdout (``>&-``)."""
    return sys.stdout is None or isinstance(sys.stdout, _Closed)


def parse_width(value: str) -> int | None:
    """A width the environment gives, clamped; None for one that is no positive number."""
    try:
        columns = int(value)
    except ValueError:
        return None
    return min(max(columns, MIN_WIDTH), MAX_WIDTH) if columns > 0 else None


def terminal_width() -> int:
    named = parse_width(os.environ.get("COLUMNS", ""))
    if named is not None:
        return named
    try:
        measured = os.get_terminal_size(sys.stdout.fileno()).columns
    except (AttributeError, ValueError, OSError):
        measured = 0
    return parse_width(str(measured)) or 80
