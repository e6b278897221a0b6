"""The training-step timing engine: every block's forward and backward stamped in one ordinary
step, the loss and the optimizer step timed apart, the whole step timed apart with no hooks.

A training step here is what a training loop runs: the training-mode forward pass (the
auxiliary heads on their taps), the loss, ``loss.backward()``, ``optimizer.step()`` and
``optimizer.zero_grad()``. How each part is timed:

* **Forward**: as the inference profile does (``timing.py``), a forward pre-hook and a forward
  hook at each block's boundaries. An auxiliary head's rows are blocks of their own.
* **Backward**: a block's backward starts when autograd is about to run the node that made
  its output (the gradient of the output is then complete): a pre-hook on that node, put
  there by a forward hook on the block's module, stamps it. Autograd runs one node at a time
  on a device, newest first, so a block's backward lasts until the next block's starts (the
  last block's until ``backward()`` returns), and the blocks come in the reverse of the
  forward order, each aux head's rows between the block after its tap and the tap. The
  stamps add no node to the graph and wrap no tensor (a module's full backward hooks would
  add two per module). A block whose output needs no gradient (a pool before any weights) has
  no backward. At branch depth, an Inception module's concatenation is the time from its
  output's node (splitting the gradient) to its first branch's; with a residual connection
  after it, its output is what the connection reads.
* **Loss**: its forward between the end of the network's forward and the call to
  ``backward()``; its backward from that call to the first block's backward start.
* **Optimizer**: ``step()`` and ``zero_grad()``, from the return of ``backward()``.

A stamp is one call and one store: ``time.perf_counter_ns`` on the CPU, a CUDA event on the
stream on a GPU (autograd runs a GPU's backward on the stream of the forward). The host
synchronises once per step, at its end. Nothing is re-run per block. Plain steps with no hook
at all are interleaved with the stamped ones (alternating which comes first), and their
median is the step's time; the gap to the sum of the parts is what the stamps cost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from gnet_inspect.measure.levels import CONCAT, Level
from gnet_inspect.measure.tree import ModuleTree
from gnet_inspect.model import ResidualConnection
from gnet_inspect.reports.profile.timing import (
    Block,
    Clock,
    Progress,
    interleave,
    make_clock,
    plan_blocks,
)
from gnet_inspect.spec.branches import RESIDUAL

__all__ = ["StepSamples", "plan_step_blocks", "time_steps"]

# The step's own marks, stamped by the step itself rather than by hooks.
_STEP_START, _LOSS, _BACKWARD_END, _STEP_END = range(4)
_OWN = 4
_PARTS = ("loss forward", "loss backward", "optimizer")


def plan_step_blocks(
    tree: ModuleTree, level: Level, taps: dict[str, tuple[str, ...]]
) -> tuple[Block, ...]:
    """The blocks of a training step's forward pass in the order it runs them: the main
    path's at ``level`` (``plan_blocks``), each aux head's rows after the row it taps."""
    blocks: list[Block] = []
    main = plan_blocks(tree, level)
    for i, block in enumerate(main):
        blocks.append(block)
        if i + 1 < len(main) and main[i + 1].row == block.row:
            continue  # the tap's heads run after its last block
        for head in taps.get(block.row, ()):
            for child in tree.children[head]:
                name = f"{head}.{child}"
                blocks.append(Block(name, head, "head", (name, "start"), (name, "end")))
    return tuple(blocks)


@dataclass(frozen=True)
class StepSamples:
    """Every recorded step, in ms: each block's forward and backward (None for a block no
    gradient flows through), the loss's forward and backward, the optimizer, the whole
    stamped step, the plain steps; and the order the blocks' backward passes ran in."""

    forward: dict[str, list[float]]
    backward: dict[str, list[float] | None]
    parts: dict[str, list[float]]
    stamped: list[float]
    plain: list[float]
    backward_order: list[str]
    timer: str


def time_steps(
    model: nn.Module,
    step: Callable[[], Tensor],
    finish: Callable[[], None],
    blocks: tuple[Block, ...],
    device: torch.device,
    warmup: int,
    repeats: int,
    on_progress: Progress | None = None,
    reset: Callable[[], None] | None = None,
) -> StepSamples:
    """Runs ``warmup`` then ``repeats`` rounds of one stamped and one plain training step.

    ``step`` runs the forward pass and the loss and returns the loss; ``finish`` steps the
    optimizer and zeroes the gradients; ``reset``, if given, runs before every step, untimed
    (the caller's way to start each step from the same weights). The caller puts ``model``
    in training mode. Every hook is removed when a stamped step ends, however it ends.
    """
    before = reset or (lambda: None)
    marks = sorted({mark for b in blocks for mark in (b.start, b.end)})
    slot = {mark: i + _OWN for i, mark in enumerate(marks)}
    backward_slot = {b.name: i + _OWN + len(slot) for i, b in enumerate(blocks)}
    clock = make_clock(device, _OWN + len(slot) + len(backward_slot))
    whole = make_clock(device, 2)
    start_whole, end_whole = whole.stamp(0), whole.stamp(1)
    own = [clock.stamp(i) for i in range(_OWN)]
    samples = StepSamples(
        forward={b.name: [] for b in blocks},
        backward={b.name: [] for b in blocks},
        parts={part: [] for part in _PARTS},
        stamped=[],
        plain=[],
        backward_order=[],
        timer=clock.timer.replace(
            "(forward hooks)", "(forward hooks; autograd node pre-hooks)"
        ).replace("per pass", "per step"),
    )
    order: list[str] = []

    def stamped() -> None:
        order.clear()
        before()
        with _stamps_on(model, slot, clock, blocks, backward_slot, order):
            own[_STEP_START]()
            loss = step()
            own[_LOSS]()
            loss.backward()  # type: ignore[no-untyped-call]
            del loss  # the graph and its node hooks go with it
            own[_BACKWARD_END]()
            finish()
            own[_STEP_END]()
        clock.finish()

    def plain() -> None:
        before()
        start_whole()
        step().backward()  # type: ignore[no-untyped-call]
        finish()
        end_whole()
        whole.finish()

    def record() -> None:
        _record(samples, blocks, slot, backward_slot, order, clock, whole)

    interleave(stamped, plain, record, warmup, repeats, on_progress)
    for name, times in samples.backward.items():
        if not times:
            samples.backward[name] = None
    return samples


def _record(
    samples: StepSamples,
    blocks: tuple[Block, ...],
    slot: dict[tuple[str, str], int],
    backward_slot: dict[str, int],
    order: list[str],
    clock: Clock,
    whole: Clock,
) -> None:
    """Adds one finished round to ``samples``: each block's forward between its marks, its
    backward from its start to the next block's (in the order they ran), the parts, the
    stamped and the plain step."""
    for block in blocks:
        samples.forward[block.name].append(clock.elapsed_ms(slot[block.start], slot[block.end]))
    starts = [backward_slot[name] for name in order]
    for name, start, end in zip(order, starts, [*starts[1:], _BACKWARD_END], strict=True):
        times = samples.backward[name]
        if times is not None:
            times.append(clock.elapsed_ms(start, end))
    samples.backward_order[:] = order
    samples.parts["loss forward"].append(clock.elapsed_ms(slot[blocks[-1].end], _LOSS))
    samples.parts["loss backward"].append(
        clock.elapsed_ms(_LOSS, starts[0] if starts else _BACKWARD_END)
    )
    samples.parts["optimizer"].append(clock.elapsed_ms(_BACKWARD_END, _STEP_END))
    samples.stamped.append(clock.elapsed_ms(_STEP_START, _STEP_END))
    samples.plain.append(whole.elapsed_ms(0, 1))


@contextmanager
def _stamps_on(
    model: nn.Module,
    slot: dict[tuple[str, str], int],
    clock: Clock,
    blocks: tuple[Block, ...],
    backward_slot: dict[str, int],
    order: list[str],
) -> Iterator[None]:
    """Forward hooks stamping each block boundary, and forward hooks putting a pre-hook on
    the node that made each block's output; all removed when the block ends."""
    handles = []
    nodes: dict[object, list[str]] = {}  # a node, and the blocks whose output it made
    stamps = {name: clock.stamp(i) for name, i in backward_slot.items()}

    def on_node(names: list[str]) -> Callable[..., None]:
        def fire(*_: object) -> None:
            for name in names:
                stamps[name]()
                order.append(name)

        return fire

    def on_output(name: str) -> Callable[[nn.Module, object, object], None]:
        def hook(_: nn.Module, __: object, output: object) -> None:
            node = output.grad_fn if isinstance(output, Tensor) else None
            if node is None:
                return  # no gradient flows back through this block
            if node in nodes:  # an identity block: the later one's backward comes first
                nodes[node].insert(0, name)
                return
            nodes[node] = [name]
            handles.append(node.register_prehook(on_node(nodes[node])))

        return hook

    try:
        for (name, side), i in slot.items():
            module = model.get_submodule(name)
            stamp = clock.stamp(i)
            if side == "start":
                handles.append(module.register_forward_pre_hook(stamp))
            else:
                handles.append(module.register_forward_hook(stamp))
        for block in blocks:
            owner = block.name.removesuffix(f".{CONCAT}") if block.kind == "concat" else block.name
            module = model.get_submodule(owner)
            residual = getattr(module, RESIDUAL, None) if block.kind == "concat" else None
            if isinstance(residual, ResidualConnection):  # the concatenation is what it reads
                hook = on_output(block.name)
                handles.append(
                    residual.register_forward_pre_hook(
                        lambda m, inputs, h=hook: h(m, (), inputs[0])
                    )
                )
            else:
                handles.append(module.register_forward_hook(on_output(block.name)))
        yield
    finally:
        for handle in handles:
            handle.remove()
        nodes.clear()
