"""The entry point: runs the typer app and turns every input error into one line on stderr.

A traceback reaches the user only for a real bug; a GnetInspectError or a usage error prints
``gnet-inspect: error: ...`` and exits non-zero.
"""

from __future__ import annotations

import os
import sys
from importlib import import_module

import typer

from gnet_inspect.cli.app import app
from gnet_inspect.errors import GnetInspectError

__all__ = ["COMMANDS", "app", "main"]

COMMANDS = ("table", "flops", "memory", "diagram", "docs", "profile")
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


def main(argv: list[str] | None = None) -> int:
    """Runs gnet-inspect with ``argv`` (the process's arguments by default); returns the code."""
    try:
        result = app(args=argv, prog_name="gnet-inspect", standalone_mode=False)
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
        return 130
    except BrokenPipeError:  # the reader (| head) has what it wanted: end quietly, as SIGPIPE
        return EXIT_BROKEN_PIPE
    return result if isinstance(result, int) else 0


def _fail(message: str) -> None:
    print(f"gnet-inspect: error: {message}", file=sys.stderr)


def run() -> None:
    """Console-script entry: runs ``main`` and ends the process with its code.

    It ends with ``os._exit`` after flushing the output: tearing down an interpreter that has
    imported torch takes about 0.3 s here and does nothing a finished command needs.
    """
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:  # a closed pipe or a full disk: nothing left to tell anyone
            code = code or EXIT_ERROR
    os._exit(code)
