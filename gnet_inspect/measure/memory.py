"""How much memory a request needs, how much this process can have, and the allocator's word.

Estimates here come from the shape arithmetic alone (no torch, no meta device: both would
cost more than the check saves).

Every command that allocates in proportion to its input (a measurement's activations, a
profile's batch) checks here first and refuses with one line naming the largest cost and the
option that shrinks it. What is available is the least of the machine's available memory, the
address-space limit (``ulimit -v``) less what the process already maps, and a cgroup's limit
less its use. An allocation that fails anyway is translated by ``is_out_of_memory``.
"""

from __future__ import annotations

import resource
from pathlib import Path
from typing import TYPE_CHECKING

from gnet_inspect.errors import MemoryLimitError
from gnet_inspect.spec.branches import Branch, ConvLayer, Fork
from gnet_inspect.spec.notation import Size
from gnet_inspect.spec.schema import (
    ConvRow,
    InceptionRow,
    LinearRow,
    LrnRow,
    ModuleRow,
    NetworkSpec,
    PoolRow,
)
from gnet_inspect.spec.shapes import branches_output, infer_shapes, layer_output, qualified_rows

if TYPE_CHECKING:
    from gnet_inspect.measure.measure import Measurement

__all__ = [
    "GiB",
    "available_bytes",
    "forward_peak_elements",
    "is_out_of_memory",
    "kept_elements",
    "require_memory",
]

GiB = 2**30


def available_bytes() -> int | None:
    """The bytes this process can still allocate, or None where nothing says."""
    limits = [_meminfo("MemAvailable"), _address_space_left(), _cgroup_left()]
    known = [limit for limit in limits if limit is not None]
    return max(0, min(known)) if known else None


# Modules whose output is a view of their input, or the input itself (in-place, eval dropout).
_NO_NEW_TENSOR = frozenset({"relu", "dropout", "flatten"})


def forward_peak_elements(measured: Measurement) -> int:
    """An upper bound on the activation elements alive at once in one image's inference
    forward pass: the largest, over the rows, of the row's input plus every new tensor made
    inside it (a tensor no longer used is freed at once; within a row none is counted as
    freed, so the bound holds for an Inception module's four branches and concatenation)."""
    image = measured.input_size**2 * measured.spec.input.channels
    peak = received = image
    for row in measured.rows:
        module = measured.modules.get(row.id)
        if module is None:
            continue
        made = sum(
            _elements(m.output) * (2 if m.kind == "add" else 1)  # a residual sum: scaled, summed
            for name, m in measured.modules.items()
            if (name == row.id or name.startswith(row.id + "."))
            and m.kind not in _NO_NEW_TENSOR
            and not measured.tree.children.get(name)
        )
        inception = row.id in measured.tree.inceptions
        concat = _elements(measured.concatenation(row.id)) if inception else 0
        peak = max(peak, received + made + concat)
        received = _elements(module.output)
    return peak


def _elements(size: Size | None) -> int:
    return 0 if size is None else size.height * size.width * size.channels


def kept_elements(spec: NetworkSpec, size: int) -> int:
    """The activation elements a measurement of one ``size``×``size`` image keeps: every new
    tensor a layer makes (each convolution's output, BatchNorm's, a pool's, a linear layer's,
    an LRN's, an Inception module's (and fork's) concatenation, a residual connection's
    projection, scaled copy and sum), from the shape arithmetic alone, so that
    it is known before anything is built. An in-place ReLU, a flatten and eval-mode dropout
    make none."""
    plan = infer_shapes(spec, size)
    norm = 2 if spec.style.batch_norm_eps is not None else 1
    total = 0
    for qid, row, _ in qualified_rows(spec):
        received, made = plan.inputs[qid], plan.outputs[qid]
        grid = made.height * made.width
        if isinstance(row, ConvRow):
            reduce = row.reduce or 0
            middle = (reduce or received.channels) * (row.depth_multiplier or 0)
            convs = received.height * received.width * reduce + grid * (middle + made.channels)
            total += norm * convs
        elif isinstance(row, (InceptionRow, ModuleRow)):
            ceil = spec.style.pool_ceil
            concat = branches_output(row.branches, received, ceil, qid, received)
            total += _branch_elements(row.branches, received, norm, ceil) + _size(concat)
            if isinstance(row, ModuleRow) and row.residual is not None:
                total += 3 * _size(made)  # the projection, its scaled copy and the sum
        elif isinstance(row, (PoolRow, LinearRow, LrnRow)):
            total += _size(made)
    return total


def _branch_elements(branches: tuple[Branch, ...], received: Size, norm: int, ceil: bool) -> int:
    """What parallel branches make from ``received``, their concatenation aside: every
    convolution's output (``norm`` times, with its BatchNorm's), every pool's, and every
    fork's concatenation."""
    total = 0
    for branch in branches:
        size = received
        for layer in branch.layers:
            if isinstance(layer, Fork):
                total += _branch_elements(layer.branches, size, norm, ceil)
            size = layer_output(layer, size, ceil)
            total += _size(size) * (norm if isinstance(layer, ConvLayer) else 1)
    return total


def _size(size: Size) -> int:
    return size.height * size.width * size.channels


def require_memory(
    what: str, costs: dict[str, int], advice: dict[str, str], available: int | None = None
) -> None:
    """Refuses ``what`` when the sum of ``costs`` (bytes by part) exceeds what is available
    (this process's memory, unless ``available`` says otherwise: a GPU's free memory).

    The message names the parts, largest first, and the ``advice`` for the largest one.
    """
    needed = sum(costs.values())
    available = available_bytes() if available is None else available
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
    if size >= 1000 * GiB:
        return f"{size / GiB:.3g} GiB"
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
