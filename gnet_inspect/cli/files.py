"""Files written whole or not at all: one through a temporary in its folder and a rename, a
set staged in full before any rename and put back if one fails; a device, a named pipe or a
descriptor link (``/dev/stdout``) written in place, since it cannot be replaced."""

from __future__ import annotations

import errno
import os
import secrets
import stat
import sys
import tempfile
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gnet_inspect.errors import OutputError

if TYPE_CHECKING:
    pass


from gnet_inspect.cli.streams import check_not_stopped

__all__ = [
    "flush_standard_streams",
    "own_descriptor",
    "write_all",
    "write_all_atomically",
    "write_atomically",
]

# Temporary files are named apart from their target, so a name of any legal length fits.
_TEMPORARY = ".gnet-inspect-"


def write_atomically(path: Path, data: bytes) -> None:
    """Writes ``path`` whole or not at all.

    A regular file (new or not) is written through a temporary file in its folder and renamed
    into place, keeping an existing file's permissions; a link is followed to the file it
    names. ``/dev/stdout``, ``/dev/fd/N`` and ``/proc/self/fd/N`` are written to the descriptor
    they name (into the pipe, or where the shell opened the file). Anything else that exists
    (a device such as /dev/null, a named pipe, a terminal) is written in place; a named pipe
    that no process reads is refused rather than waited on.
    """
    check_not_stopped()
    try:
        descriptor = own_descriptor(path)
        if descriptor is not None:
            flush_standard_streams()
            write_all(descriptor, data)
            return
        status = file_status(path)
        if status is not None and stat.S_ISDIR(status.st_mode):
            raise OutputError(f"cannot write {path}: it is a directory; give a file name")
        if status is not None and not stat.S_ISREG(status.st_mode):
            write_in_place(path, data, status)
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
        check_not_stopped()
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
        status = file_status(target)
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


def file_status(path: Path) -> os.stat_result | None:
    """What ``path`` names, links followed; None if nothing is there."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


def own_descriptor(path: Path) -> int | None:
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


def write_in_place(path: Path, data: bytes, status: os.stat_result) -> None:
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
        write_all(descriptor, data)
    finally:
        os.close(descriptor)


def write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def flush_standard_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError, AttributeError):
            stream.flush()


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _cannot_write(path: Path, exc: OSError) -> OutputError:
    return OutputError(f"cannot write {path}: {exc.strerror or exc}; choose a writable path")
