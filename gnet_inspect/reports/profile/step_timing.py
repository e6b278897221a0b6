"""The training-step timing engine: every block's forward and backward stamped in one ordinary
step, the loss and the optimizer step timed apart, the whole step timed apart with no hooks.

A training step here is what a training loop runs: the training-mode forward pass (the
auxiliary heads on their taps), the loss, ``loss.backward()``, ``optimizer.step()`` and
``optimizer.zero_grad()``. How each part is timed:

* **Forward**: as the inference profile does (``timing.py``), a forward pre-hook and a forward
  hook at each block's boundaries. An auxiliary head's rows are blocks of their own.
* **Backward**: a module's full backward pre-hook fires when the gradient of its output is
  ready, the moment its backward starts; its full backward hook fires when the gradient of
  its input is ready, the moment its backward ends. Autograd runs the nodes in the reverse of
  the order they were made, so the blocks' backward passes come in the reverse of the forward
  order, each aux head between the block after its tap and the block of its tap. A block
  whose input needs no gradient (the first layer with weights reads the image) has no input
  gradient to wait for: its backward ends when ``backward()`` returns. A block whose output
  needs none (a pool before any weights) has no backward at all. An Inception module's
  concatenation, at branch depth, is what the module's backward takes beyond its branches'
  (splitting the gradient, adding the four input gradients up).
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

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from gnet_inspect.measure.levels import Level
from gnet_inspect.measure.tree import ModuleTree
from gnet_inspect.reports.profile.timing import Block, Clock, Progress, make_clock, plan_blocks

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
    """Every recorded step, in ms: each block's forward and backward (None for a block with
    no backward), the loss's forward and backward, the optimizer, the whole stamped step, the
    plain steps; and the order the blocks' backward passes started in."""

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
) -> StepSamples:
    """Runs ``warmup`` then ``repeats`` rounds of one stamped and one plain training step.

    ``step`` runs the forward pass and the loss and returns the loss; ``finish`` steps the
    optimizer and zeroes the gradients. The caller puts ``model`` in training mode. Every
    hook is removed when a stamped step ends, however it ends.
    """
    plan = _BackwardPlan.probe(model, step, finish, blocks)
    forward_marks = sorted({mark for b in blocks for mark in (b.start, b.end)})
    backward_marks = [(m, side) for m in plan.hooked for side in ("bstart", "bend")]
    marks = [*forward_marks, *backward_marks]
    slot = {mark: i + _OWN for i, mark in enumerate(marks)}
    clock, whole = make_clock(device, len(slot) + _OWN), make_clock(device, 2)
    start_whole, end_whole = whole.stamp(0), whole.stamp(1)
    own = [clock.stamp(i) for i in range(_OWN)]
    samples = StepSamples(
        forward={b.name: [] for b in blocks},
        backward={b.name: [] if plan.has_backward(b) else None for b in blocks},
        parts={part: [] for part in _PARTS},
        stamped=[],
        plain=[],
        backward_order=[],
        timer=clock.timer.replace("(forward hooks)", "(forward and full backward hooks)").replace(
            "per pass", "per step"
        ),
    )
    order: list[str] = []

    def stamped() -> None:
        order.clear()
        with _stamps_on(model, slot, clock, plan.hooked, order):
            own[_STEP_START]()
            loss = step()
            own[_LOSS]()
            loss.backward()  # type: ignore[no-untyped-call]
            own[_BACKWARD_END]()
            finish()
            own[_STEP_END]()
        clock.finish()

    def plain() -> None:
        start_whole()
        step().backward()  # type: ignore[no-untyped-call]
        finish()
        end_whole()
        whole.finish()

    for phase, rounds in (("warm-up", warmup), ("timing", repeats)):
        for i in range(rounds):
            for run in (stamped, plain) if i % 2 == 0 else (plain, stamped):
                run()
            if phase == "timing":
                _record(samples, blocks, plan, slot, clock, whole)
                samples.backward_order[:] = order
            if on_progress is not None:
                on_progress(phase, i + 1, rounds)
    return samples


@dataclass(frozen=True)
class _BackwardPlan:
    """Which modules get backward hooks, and which of them see a gradient go in or out."""

    hooked: tuple[str, ...]
    gets_output_grad: frozenset[str]
    gives_input_grad: frozenset[str]
    branches: dict[str, tuple[str, ...]]

    @classmethod
    def probe(
        cls,
        model: nn.Module,
        step: Callable[[], Tensor],
        finish: Callable[[], None],
        blocks: tuple[Block, ...],
    ) -> _BackwardPlan:
        """Reads off one forward pass which modules' outputs and inputs carry gradients."""
        branches: dict[str, list[str]] = {}
        for block in blocks:
            if block.kind == "branch":
                branches.setdefault(block.row, []).append(block.name)
        concat_rows = [b.row for b in blocks if b.kind == "concat"]
        hooked = [b.name for b in blocks if b.kind != "concat"] + concat_rows
        output_grad: set[str] = set()
        input_grad: set[str] = set()

        def seen(name: str) -> Callable[[nn.Module, tuple[object, ...], object], None]:
            def hook(_: nn.Module, args: tuple[object, ...], output: object) -> None:
                if isinstance(output, Tensor) and output.requires_grad:
                    output_grad.add(name)
                if any(isinstance(a, Tensor) and a.requires_grad for a in args):
                    input_grad.add(name)

            return hook

        handles = [model.get_submodule(n).register_forward_hook(seen(n)) for n in hooked]
        try:
            loss = step()
        finally:
            for handle in handles:
                handle.remove()
        loss.backward()  # type: ignore[no-untyped-call]
        finish()
        return cls(
            tuple(hooked),
            frozenset(output_grad),
            frozenset(input_grad),
            {row: tuple(names) for row, names in branches.items()},
        )

    def has_backward(self, block: Block) -> bool:
        return (block.row if block.kind == "concat" else block.name) in self.gets_output_grad


def _record(
    samples: StepSamples,
    blocks: tuple[Block, ...],
    plan: _BackwardPlan,
    slot: dict[tuple[str, str], int],
    clock: Clock,
    whole: Clock,
) -> None:
    """Adds one finished round to ``samples``."""

    def span(name: str) -> float:
        end = slot[(name, "bend")] if name in plan.gives_input_grad else _BACKWARD_END
        return clock.elapsed_ms(slot[(name, "bstart")], end)

    for block in blocks:
        samples.forward[block.name].append(clock.elapsed_ms(slot[block.start], slot[block.end]))
        times = samples.backward[block.name]
        if times is None:
            continue
        if block.kind == "concat":
            inside = plan.branches.get(block.row, ())
            times.append(span(block.row) - sum(span(b) for b in inside))
        else:
            times.append(span(block.name))
    starts = [slot[(n, "bstart")] for n in plan.hooked if n in plan.gets_output_grad]
    first = min((clock.elapsed_ms(_LOSS, s) for s in starts), default=None)
    loss_backward = clock.elapsed_ms(_LOSS, _BACKWARD_END) if first is None else first
    samples.parts["loss forward"].append(_forward_end_to_loss(clock, slot, blocks))
    samples.parts["loss backward"].append(loss_backward)
    samples.parts["optimizer"].append(clock.elapsed_ms(_BACKWARD_END, _STEP_END))
    samples.stamped.append(clock.elapsed_ms(_STEP_START, _STEP_END))
    samples.plain.append(whole.elapsed_ms(0, 1))


def _forward_end_to_loss(
    clock: Clock, slot: dict[tuple[str, str], int], blocks: tuple[Block, ...]
) -> float:
    """The loss's forward: from the end of the last block the forward pass runs to the loss."""
    return clock.elapsed_ms(slot[blocks[-1].end], _LOSS)


@contextmanager
def _stamps_on(
    model: nn.Module,
    slot: dict[tuple[str, str], int],
    clock: Clock,
    hooked: tuple[str, ...],
    order: list[str],
) -> Iterator[None]:
    """Forward hooks stamping each block boundary, full backward hooks stamping each hooked
    module's backward start and end (and noting the order backward starts come in); all
    removed when the block ends."""
    handles = []
    try:
        for (name, side), i in slot.items():
            module = model.get_submodule(name)
            hook = clock.stamp(i)
            if side == "start":
                handles.append(module.register_forward_pre_hook(hook))
            elif side == "end":
                handles.append(module.register_forward_hook(hook))
            elif side == "bstart":
                handles.append(module.register_full_backward_pre_hook(_noting(hook, name, order)))
            else:
                handles.append(module.register_full_backward_hook(hook))
        with warnings.catch_warnings():
            # The first block with weights reads the image: its full backward hook fires
            # early, as torch warns, and its end is read from backward()'s return instead.
            warnings.filterwarnings("ignore", "Full backward hook is firing", UserWarning)
            yield
    finally:
        for handle in handles:
            handle.remove()


def _noting(hook: Callable[..., None], name: str, order: list[str]) -> Callable[..., None]:
    def noted(*_: object) -> None:
        hook()
        order.append(name)

    return noted
