"""How much memory a request needs, how much this process can have, and the allocator's word.

Every command that allocates in proportion to its input (a measurement's activations, a
profile's batch) checks here first and refuses with one line naming the largest cost and the
option that shrinks it. What is available is the least of the machine's available memory, the
address-space limit (``ulimit -v``) less what the process already maps, and a cgroup's limit
less its use. An allocation that fails anyway is translated by ``is_out_of_memory``.
"""

from __future__ import annotations

import resource
from pathlib import Path

from gnet_inspect.errors import MemoryLimitError

__all__ = ["GiB", "available_bytes", "is_out_of_memory", "require_memory"]

GiB = 2**30


def available_bytes() -> int | None:
    """The bytes this process can still allocate, or None where nothing says."""
    limits = [_meminfo("MemAvailable"), _address_space_left(), _cgroup_left()]
    known = [limit for limit in limits if limit is not None]
    return max(0, min(known)) if known else None


def require_memory(what: str, costs: dict[str, int], advice: dict[str, str]) -> None:
    """Refuses ``what`` when the sum of ``costs`` (bytes by part) exceeds what is available.

    The message names the parts, largest first, and the ``advice`` for the largest one.
    """
    needed = sum(costs.values())
    available = available_bytes()
    if available is None or needed <= available:
        return
    parts = sorted(costs.items(), key=lambda item: -item[1])
    detail = ", ".join(f"{name} {_gib(size)}" for name, size in parts if size)
    raise MemoryLimitError(
        f"{what} needs about {_gib(needed)} ({detail}) and {_gib(available)} is available; "
        f"{advice[parts[0][0]]}"
    )


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` is an allocation failure: Python's MemoryError, CUDA's out-of-memory
    error or the CPU allocator's RuntimeError."""
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError":
        return True
    text = str(exc)
    return isinstance(exc, RuntimeError) and any(
        words in text for words in ("can't allocate memory", "not enough memory", "out of memory")
    )


def _gib(size: int) -> str:
    return f"{size / GiB:.1f} GiB" if size >= GiB / 10 else f"{size / 2**20:.1f} MiB"


def _meminfo(key: str) -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _address_space_left() -> int | None:
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
        mapped = next(
            int(line.split()[1]) * 1024
            for line in status.splitlines()
            if line.startswith("VmSize:")
        )
    except (OSError, ValueError, IndexError):
        return soft
    return soft - mapped


def _cgroup_left() -> int | None:
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text(encoding="ascii").strip()
        used = Path("/sys/fs/cgroup/memory.current").read_text(encoding="ascii").strip()
    except OSError:
        return None
    if limit == "max" or not limit.isdigit() or not used.isdigit():
        return None
    return int(limit) - int(used)
