"""The console script's first moments: a signal that ends the run before the command line is
set up ends it in one line (``gnet-inspect: error: interrupted``, exit 130), not in a
traceback from the middle of an import.

``gnet_inspect/__init__`` calls ``hold_signals_while_starting`` as its first statement, so the
handlers are in place before anything else of the package, the standard library's ``signal``
included, is imported: ``signal`` builds its enums at import (milliseconds in which a Ctrl-C
would land inside it), so this module speaks to the C module ``_signal`` directly. A program
that merely imports gnet_inspect keeps its handlers: they are set only when the process is the
console script. ``cli.main`` replaces them with its own once it is ready.
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # the C half of ``signal``, no stub
import os
import sys
from types import FrameType

__all__ = ["PREFIX", "SIGNAL_WORDS", "end_while_starting", "hold_signals_while_starting"]

SIGNAL_WORDS: dict[int, str] = {
    _signal.SIGINT: "interrupted",
    _signal.SIGTERM: "terminated",
    _signal.SIGHUP: "hung up",
}
"""What each signal that ends a run prints; the exit code is 128 + the signal, as a shell
reports a process it ended."""

PREFIX = "gnet-inspect: error: "


def end_while_starting(signum: int, frame: FrameType | None) -> None:
    """Ends the process at once, in one line, on a signal that arrives while it starts.

    Nothing has been written yet, so there is nothing to clean up; ``print`` and the streams
    may be half set up, so the line goes straight to the descriptor.
    """
    try:  # noqa: SIM105 (contextlib is not imported this early)
        os.write(2, f"{PREFIX}{SIGNAL_WORDS[signum]}\n".encode())
    except OSError:  # stderr closed or gone: the exit code says it
        pass
    os._exit(128 + signum)


def hold_signals_while_starting() -> None:
    """Sets ``end_while_starting`` for every signal that ends a run, in the console script."""
    if os.path.basename(sys.argv[0] if sys.argv else "") == "gnet-inspect":
        for signum in SIGNAL_WORDS:
            _signal.signal(signum, end_while_starting)
