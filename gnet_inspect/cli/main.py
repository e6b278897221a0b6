"""The entry point: runs the typer app and turns every failure into one line on stderr.

A traceback reaches the user only for a real bug. A GnetInspectError or a usage error prints
``gnet-inspect: error: ...`` and exits non-zero; so does a signal that ends the run (Ctrl-C:
``interrupted``, 130; SIGTERM: ``terminated``, 143; SIGHUP: ``hung up``, 129), after the
command's own cleanup has run. Every error goes through ``error_line``, which keeps it one line
whatever it quotes.
"""

from __future__ import annotations

import os
import signal
import sys
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from functools import partial
from importlib import import_module
from types import FrameType
from typing import Any

import typer

from gnet_inspect.cli.app import app
from gnet_inspect.cli.emit import flush_stdout
from gnet_inspect.cli.streams import (
    Stopped,
    prepared_output,
    request_stop,
    stop_requested,
)
from gnet_inspect.errors import GnetInspectError
from gnet_inspect.starting import PREFIX, SIGNAL_WORDS

__all__ = ["COMMANDS", "app", "error_line", "main"]

# What each signal that ends a run prints, and the exit code (128 + the signal, as a shell
# reports a process it ended). Until this module has set its own handlers, the console
# script's are ``gnet_inspect.starting``'s (set before anything else is imported).
_SIGNALS = {signal.Signals(signum): word for signum, word in SIGNAL_WORDS.items()}
_PREFIX = PREFIX

COMMANDS = ("table", "flops", "memory", "diagram", "chart", "docs", "profile", "lineage")
"""Every command, in the order the help lists them: ``cli/<name>_cmd.py`` registers each."""
for _name in COMMANDS:
    import_module(f"gnet_inspect.cli.{_name}_cmd")

EXIT_ERROR = 1
EXIT_BROKEN_PIPE = 141
# Typer raises click's exceptions (from its own copy of click in recent releases); the base
# class is found through the one exception class typer exports, whichever click it uses.
# (Typed as the subclass typer exports: what is read from it, format_message, is the base's.)
_ClickException: type[typer.BadParameter] = next(
    cls for cls in typer.BadParameter.__mro__ if cls.__name__ == "ClickException"
)
# Characters that would break the line or act on the terminal: controls (newline, carriage
# return, escape), the Unicode line and paragraph separators, and invisible format characters
# (such as the bidirectional overrides).
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def main(argv: list[str] | None = None) -> int:
    """Runs gnet-inspect with ``argv`` (the process's arguments by default); returns the code."""
    with prepared_output(), _signals_stopping():
        try:
            code = _run(argv)
        except BaseException:
            if stop_requested() is None:
                raise
            code = EXIT_ERROR  # whatever failed, it failed because the run was stopped
        signum = stop_requested()
        if signum is None:
            return code
        _fail(_SIGNALS[signal.Signals(signum)])
        return 128 + signum


def _run(argv: list[str] | None) -> int:
    try:
        result = app(args=argv, prog_name="gnet-inspect", standalone_mode=False)
        flush_stdout()  # a full disk shows here for output still buffered (the help)
    except GnetInspectError as exc:
        _fail(str(exc))
        return EXIT_ERROR
    except _ClickException as exc:
        message = " ".join(exc.format_message().split()).rstrip(".")
        if not message:  # no command given: the help was printed, which is all it asked for
            return 0
        context = getattr(exc, "ctx", None)
        command = context.command_path if context is not None else "gnet-inspect"
        _fail(f"{message}; see '{command} --help'")
        return int(getattr(exc, "exit_code", EXIT_ERROR))
    except (typer.Abort, KeyboardInterrupt):
        _fail("interrupted")
        return 128 + signal.SIGINT
    except BrokenPipeError:  # the reader (| head) has what it wanted: end quietly, as SIGPIPE
        return EXIT_BROKEN_PIPE
    return result if isinstance(result, int) else 0


@contextmanager
def _signals_stopping() -> Iterator[None]:
    """Turns the signals that end a run into ``Stopped``, raised where the program is, so that
    every ``finally`` and ``__exit__`` cleanup runs; the handlers from before are put back after.

    Not inside an import: an extension module being imported cannot always take an exception
    (torch aborts the process, numpy swallows it), so there the signal is only recorded, and
    raised once the import is over (checked every 50 ms, and by the output step). A second
    signal does not interrupt the cleanup of the first. Handlers can only be set in the main
    thread; elsewhere the signals reach the main thread's own.
    """
    raised = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal raised
        if raised:
            return
        request_stop(signum)
        if _importing(frame):
            signal.setitimer(signal.ITIMER_REAL, 0.05)  # then SIGALRM: try again
            return
        raised = True
        raise Stopped(stop_requested() or signum)

    def retry(_: int, frame: FrameType | None) -> None:
        signum = stop_requested()
        if signum is not None:
            on_signal(signum, frame)

    handlers = dict.fromkeys(_SIGNALS, on_signal) | {signal.SIGALRM: retry}
    previous: dict[int, Any] = {}
    with suppress(ValueError):  # not the main thread
        for signum, handler in handlers.items():
            previous[signum] = signal.signal(signum, handler)
    unraisable = sys.unraisablehook
    sys.unraisablehook = partial(_unless_stopped, unraisable)
    try:
        yield
    finally:
        if signal.SIGALRM in previous:
            signal.setitimer(signal.ITIMER_REAL, 0)
        for number, handler in previous.items():
            signal.signal(number, handler)
        sys.unraisablehook = unraisable


def _importing(frame: FrameType | None) -> bool:
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def _unless_stopped(hook: Callable[[Any], object], unraisable: Any) -> None:
    """Reports an exception Python cannot raise (in a finalizer), unless it is a stop, which
    the entry point reports itself."""
    if not isinstance(unraisable.exc_value, Stopped):
        hook(unraisable)


def error_line(message: str) -> str:
    """The one line an error is printed as: ``gnet-inspect: error: `` and ``message``, its
    control characters escaped as Python writes them (``\\n``, ``\\x1b``, ``\\u2028``) and a
    byte of a file name that is no text (``surrogateescape``) as ``\\xff``."""
    escaped = "".join(
        _escape(char) if unicodedata.category(char) in _ESCAPED_CATEGORIES else char
        for char in message
    )
    return _PREFIX + escaped


def _escape(char: str) -> str:
    if "\udc80" <= char <= "\udcff":  # a byte os.fsdecode could not decode
        return f"\\x{ord(char) - 0xDC00:02x}"
    return repr(char)[1:-1]


def _fail(message: str) -> None:
    stream = sys.stderr
    if stream is None:  # started without stderr: the exit code is all that can be said
        return
    try:
        stream.write(error_line(message) + "\n")
        stream.flush()
    except (OSError, ValueError):  # stderr full, gone or closed: nothing left to tell anyone
        pass


def run() -> None:
    """Console-script entry: runs ``main`` and ends the process with its code.

    It ends with ``os._exit`` after flushing the output: tearing down an interpreter that has
    imported torch takes about 0.3 s here and does nothing a finished command needs.
    """
    try:
        code = main()
    except SystemExit as exc:  # click ends a broken pipe this way
        code = exc.code if isinstance(exc.code, int) else EXIT_ERROR
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a closed pipe or a full disk: nothing left to tell
            code = code or EXIT_ERROR
    os._exit(code)
