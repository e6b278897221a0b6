"""The timing engine: block boundaries stamped in one forward pass, the whole pass timed apart.

Where per-block timing overhead comes from, and how it is kept out:

* Each block is timed between two stamps taken by hooks at its boundaries (a forward pre-hook
  at its start, a forward hook at its end), in the same ordinary forward pass as every other
  block. A block is never run in isolation, so it sees the caches, memory and thread pool the
  real pass gives it, and nothing is re-run or copied per block.
* A stamp is one call and one store into a preallocated slot: ``time.perf_counter_ns`` on the
  CPU (whose operators return when their work is done), a CUDA event recorded on the stream on
  a GPU, whose clock is the GPU's own. No hook synchronises; the host reads the events once,
  after one synchronisation at the end of each pass, so the host clock never times
  asynchronous work.
* The end-to-end forward pass is timed separately, with no hook on the model at all, in passes
  interleaved with the stamped ones (alternating which comes first), so drift on a shared
  machine reaches both alike. What the stamps cost shows as the gap between the sum of the
  block medians and the end-to-end median.

Warm-up passes of both kinds run first and are not recorded.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal, Protocol

import torch
from torch import Tensor, nn

from gnet_inspect.measure.levels import CONCAT, Level
from gnet_inspect.measure.tree import ModuleTree

__all__ = [
    "Block",
    "BlockKind",
    "Clock",
    "CpuClock",
    "CudaClock",
    "Depth",
    "Progress",
    "Samples",
    "interleave",
    "make_clock",
    "plan_blocks",
    "time_passes",
]

Depth = Level
BlockKind = Literal["row", "branch", "layer", "concat", "head"]
Progress = Callable[[str, int, int], None]
"""Called with a phase (``warm-up`` or ``timing``), the passes done and the passes in it."""


@dataclass(frozen=True)
class Block:
    """A timed stretch of the forward pass, from mark ``start`` to mark ``end``.

    A mark is a module's qualified name and ``start`` or ``end``. ``kind`` is ``row`` (a
    table row), ``branch`` (one of an Inception module's four branches), ``layer`` (one
    layer of a row), ``concat`` (an Inception module's time after its last branch ends: the
    concatenation of the branches) or ``head`` (a row of an auxiliary head, which runs in a
    training step).
    """

    name: str
    row: str
    kind: BlockKind
    start: tuple[str, str]
    end: tuple[str, str]


def plan_blocks(tree: ModuleTree, level: Level) -> tuple[Block, ...]:
    """The blocks of a network's main path in forward order: the entries of each row at
    ``level`` (``measure.levels``), a concatenation timed from the end of the entry before it
    (its last branch) to the end of the module (or fork) it concatenates for, or to the start
    of the module's residual connection, which follows it.

    Entries run in the order they are registered, as the model's ``forward`` calls them.
    """
    blocks: list[Block] = []
    for row in tree.main_rows:
        previous = row
        entries = tree.entries(row, level)
        for entry, following in zip(entries, [*entries[1:], None], strict=True):
            if entry.kind == CONCAT:  # a module's, or a fork's inside it: to its own end,
                owner = entry.id.removesuffix(f".{CONCAT}")  # or to its residual's start
                end = (owner, "end")
                if following is not None and following.id.startswith(f"{owner}."):
                    end = (following.id, "start")
                blocks.append(Block(entry.id, row, "concat", (previous, "end"), end))
            elif entry.id == row:
                blocks.append(Block(row, row, "row", (row, "start"), (row, "end")))
            else:
                kind: BlockKind = "branch" if level == "branches" else "layer"
                blocks.append(Block(entry.id, row, kind, (entry.id, "start"), (entry.id, "end")))
            previous = entry.id
    return tuple(blocks)


class Clock(Protocol):
    """Stamps into numbered slots, and the time between two slots once a pass has finished."""

    timer: str

    def stamp(self, slot: int) -> Callable[..., None]:
        """A hook (any arguments, returns None) that stamps ``slot``."""
        ...

    def finish(self) -> None:
        """Waits for the pass's work so that every stamp can be read."""
        ...

    def elapsed_ms(self, start: int, end: int) -> float: ...


class CpuClock:
    """Host stamps with ``time.perf_counter_ns``: right on the CPU, where operators return
    when their work is done."""

    timer = "time.perf_counter_ns at block boundaries (forward hooks)"

    def __init__(self, slots: int) -> None:
        self._stamps = [0] * slots

    def stamp(self, slot: int) -> Callable[..., None]:
        stamps, clock = self._stamps, time.perf_counter_ns

        def hook(*_: object) -> None:
            stamps[slot] = clock()

        return hook

    def finish(self) -> None:
        return None

    def elapsed_ms(self, start: int, end: int) -> float:
        return (self._stamps[end] - self._stamps[start]) / 1e6


class CudaClock:
    """CUDA events recorded on the current stream: the GPU stamps when it reaches them. The
    host synchronises once, in ``finish``, after the whole pass has been queued."""

    timer = "CUDA events at block boundaries (forward hooks), one synchronisation per pass"

    def __init__(self, slots: int, device: torch.device) -> None:
        self._device = device
        self._events = [
            torch.cuda.Event(enable_timing=True)  # type: ignore[no-untyped-call]
            for _ in range(slots)
        ]

    def stamp(self, slot: int) -> Callable[..., None]:
        event = self._events[slot]

        def hook(*_: object) -> None:
            event.record()

        return hook

    def finish(self) -> None:
        torch.cuda.synchronize(self._device)

    def elapsed_ms(self, start: int, end: int) -> float:
        return float(self._events[start].elapsed_time(self._events[end]))


def make_clock(device: torch.device, slots: int) -> Clock:
    """The clock for ``device``: CUDA events on a GPU, the host's counter on the CPU."""
    return CudaClock(slots, device) if device.type == "cuda" else CpuClock(slots)


@dataclass(frozen=True)
class Samples:
    """Every recorded pass: each block's latencies, and the end-to-end latencies, in ms
    (filled round by round as ``time_passes`` runs)."""

    blocks: dict[str, list[float]]
    end_to_end: list[float]
    timer: str


def time_passes(
    model: nn.Module,
    x: Tensor,
    blocks: tuple[Block, ...],
    device: torch.device,
    warmup: int,
    repeats: int,
    on_progress: Progress | None = None,
) -> Samples:
    """Runs ``warmup`` then ``repeats`` rounds of one stamped and one plain forward pass of
    ``model`` on ``x`` (the caller's mode and grad settings apply); returns the samples.

    Every hook is removed when a stamped pass ends, however it ends.
    """
    marks = sorted({mark for block in blocks for mark in (block.start, block.end)})
    slot = {mark: i for i, mark in enumerate(marks)}
    clock, whole = make_clock(device, len(slot)), make_clock(device, 2)
    start_whole, end_whole = whole.stamp(0), whole.stamp(1)  # made once, outside the timing
    samples = Samples({block.name: [] for block in blocks}, [], clock.timer)

    def stamped() -> None:
        with _stamps_on(model, slot, clock):
            model(x)
        clock.finish()

    def plain() -> None:
        start_whole()
        model(x)
        end_whole()
        whole.finish()

    def record() -> None:
        _record(samples, blocks, slot, clock, whole)

    interleave(stamped, plain, record, warmup, repeats, on_progress)
    return samples


def interleave(
    stamped: Callable[[], None],
    plain: Callable[[], None],
    record: Callable[[], None],
    warmup: int,
    repeats: int,
    on_progress: Progress | None,
) -> None:
    """Runs ``warmup`` then ``repeats`` rounds of one ``stamped`` and one ``plain`` run,
    alternating which comes first so that drift reaches both alike, and ``record``s each
    timed round."""
    for phase, rounds in (("warm-up", warmup), ("timing", repeats)):
        for i in range(rounds):
            for run in (stamped, plain) if i % 2 == 0 else (plain, stamped):
                run()
            if phase == "timing":
                record()
            if on_progress is not None:
                on_progress(phase, i + 1, rounds)


def _record(
    samples: Samples,
    blocks: tuple[Block, ...],
    slot: dict[tuple[str, str], int],
    clock: Clock,
    whole: Clock,
) -> None:
    """Adds one finished round to ``samples``: each block's time between its two slots on
    ``clock``, and the plain pass's time on ``whole``."""
    for block in blocks:
        samples.blocks[block.name].append(clock.elapsed_ms(slot[block.start], slot[block.end]))
    samples.end_to_end.append(whole.elapsed_ms(0, 1))


@contextmanager
def _stamps_on(model: nn.Module, slot: dict[tuple[str, str], int], clock: Clock) -> Iterator[None]:
    """A hook on each mark's module that stamps the mark's slot, removed when the block ends."""
    handles = []
    try:
        for mark in slot:
            module = model.get_submodule(mark[0])
            hook = clock.stamp(slot[mark])
            if mark[1] == "start":
                handles.append(module.register_forward_pre_hook(hook))
            else:
                handles.append(module.register_forward_hook(hook))
        yield
    finally:
        for handle in handles:
            handle.remove()
