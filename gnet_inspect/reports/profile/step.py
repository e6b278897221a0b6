"""Profiling a GoogLeNet's training step block by block: the public entry point.

It checks the options, the device and the memory a step needs, places the model on copies of
its tensors (``placement.running``), times its steps (``step_timing.py``) and puts each
block's samples beside its forward and backward MACs in the plain-data profile of
``step_result.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from gnet_inspect.errors import OptionError
from gnet_inspect.measure.devices import DtypeName, resolve_device, resolve_dtype
from gnet_inspect.measure.levels import Level
from gnet_inspect.measure.measure import Measurement, measure, network_spec
from gnet_inspect.measure.memory import forward_peak_elements, require_memory
from gnet_inspect.measure.optimizers import OptimizerName, pick_optimizer
from gnet_inspect.measure.training import require_trainable, step_memory, training_loss
from gnet_inspect.model import GoogLeNet
from gnet_inspect.reports.flops import BreakdownRow, break_down
from gnet_inspect.reports.profile.latency import block_type, build_network, check_options
from gnet_inspect.reports.profile.placement import (
    check_dtype,
    check_forward,
    device_name,
    dtype_error,
    running,
)
from gnet_inspect.reports.profile.result import DEPTHS, STEP_DEPTHS, LatencyStats, ProfileSettings
from gnet_inspect.reports.profile.step_result import StepBlock, StepPart, StepProfile
from gnet_inspect.reports.profile.step_timing import StepSamples, plan_step_blocks, time_steps
from gnet_inspect.reports.profile.timing import Block, Progress
from gnet_inspect.spec.schema import NetworkSpec

__all__ = ["LEARNING_RATES", "profile_training"]

LEARNING_RATES: dict[OptimizerName, float] = {"sgd": 0.01, "momentum": 0.01, "adam": 0.001}
"""The learning rate each optimizer steps with: its time does not depend on it."""


def profile_training(
    network: NetworkSpec | GoogLeNet,
    input_size: int | None = None,
    *,
    batch_size: int = 1,
    device: str = "cpu",
    dtype: DtypeName = "float32",
    channels_last: bool = False,
    depth: str = "modules",
    optimizer: str = "momentum",
    warmup: int = 5,
    repeats: int = 30,
    on_progress: Progress | None = None,
) -> StepProfile:
    """Times each block's forward and backward pass inside ordinary training steps, the loss
    and the optimizer apart, and whole steps with no hooks apart.

    A step is the training-mode forward pass (the auxiliary heads on), the loss (the aux
    heads' weighted as the table says) on seeded random labels, ``backward()``, the
    optimizer's ``step()`` and ``zero_grad()``. Between steps, untimed, the weights are put
    back as they were before the first, so that every step computes what a step of real
    training does rather than what a network that has learnt its one batch does (zero
    gradients). It runs on copies of the model's tensors: the
    model is left as it was found, its weights, gradients, BatchNorm statistics, modes, hooks,
    device and dtype, and so are torch's random-number generators.

    The MACs beside each block are those ``flops --pass train`` counts for the same id (a
    fresh CPU float32 build of the spec, as ``profile_latency`` counts them).

    Args:
        network: a NetworkSpec, or a GoogLeNet built by ``build_model``.
        input_size: square input in pixels (the table's own by default).
        batch_size: images per step.
        device: ``cpu``, ``cuda`` or ``cuda:N``; never replaced by another.
        dtype: ``float32``, ``float16`` or ``bfloat16``, tried on the device (forward and
            backward) first.
        channels_last: input and 4-d weights in channels-last memory order.
        depth: ``modules`` or ``branches`` (``measure.levels``).
        optimizer: ``sgd``, ``momentum`` or ``adam`` (``measure.optimizers``), stepping with
            the rate in ``LEARNING_RATES``.
        warmup: steps of each kind run first and not recorded.
        repeats: recorded steps of each kind (the samples per block).
        on_progress: called with the phase, the steps done and the steps in the phase.

    Raises:
        DeviceError: no such device, a dtype it cannot train in, a step that does not fit.
        InputSizeError: an input size the network cannot take.
        OptionError: a count below its minimum, an unknown depth, dtype or optimizer, or a
            network that ends in no class scores.
        NetworkTypeError: ``network`` is neither a NetworkSpec nor a network built from one.
    """
    spec = network_spec(network, "profile_training()")
    size = input_size or spec.input.height
    if depth in DEPTHS and depth not in STEP_DEPTHS:
        raise OptionError(
            f"--depth {depth} times inference only; time a training step at "
            f"{' or '.join(STEP_DEPTHS)}, or drop --pass train"
        )
    level = check_options(
        depth=depth, depths=STEP_DEPTHS, batch_size=batch_size, warmup=warmup, repeats=repeats
    )
    optimizer_name = pick_optimizer(optimizer)
    torch_device, torch_dtype = resolve_device(device), resolve_dtype(dtype)
    check_dtype(torch_device, torch_dtype, train=True)
    measured = measure(spec, size)  # first: an input size it cannot take fails fast
    require_trainable(spec, size, batch_size)
    blocks = plan_step_blocks(measured.tree, level, measured.model.taps)
    counts = _macs(measured, level)
    _require_memory(measured, torch_device, torch_dtype, optimizer_name, batch_size)
    del measured
    if isinstance(network, GoogLeNet):
        model = network
    else:
        with torch.random.fork_rng(devices=[]):  # initialising draws: the caller's generator
            model = build_network(spec)
    shape = (batch_size, spec.input.channels, size, size)
    with running(model, torch_device, torch_dtype, channels_last, shape, train=True) as x:
        check_forward(model, x, model.row_ids)
        step, finish, reset = _step(model, x, optimizer_name)
        try:
            samples = time_steps(
                model, step, finish, blocks, torch_device, warmup, repeats, on_progress, reset
            )
        except NotImplementedError as exc:
            raise dtype_error(torch_device, torch_dtype, exc, None) from None
    settings = ProfileSettings(
        network=spec.name, variant=spec.label, device=str(torch_device),
        device_name=device_name(torch_device), dtype=dtype, batch_size=batch_size,
        input_size=size, channels=spec.input.channels, channels_last=channels_last,
        depth=depth, warmup=warmup, repeats=repeats, threads=torch.get_num_threads(),
        torch_version=torch.__version__, timer=samples.timer,
    )  # fmt: skip
    return _profile(settings, optimizer_name, model, blocks, counts, samples)


def _macs(measured: Measurement, level: Level) -> dict[str, BreakdownRow]:
    """Every entry of ``flops --pass train`` at ``level``, main path and aux heads, by id."""
    breakdown = break_down(measured, level, "train")
    return {row.id: row for row in (*breakdown.rows, *breakdown.aux_rows)}


def _require_memory(
    measured: Measurement,
    device: torch.device,
    dtype: torch.dtype,
    optimizer: OptimizerName,
    batch_size: int,
) -> None:
    """Refuses a step that would not fit, before allocating: the weights' copies and the
    values each step starts from (beside the float32 originals on the CPU), their gradients
    and optimizer state, the activations saved for backward and, on top, the forward pass's
    peak of live activations (what backward's gradients need at most)."""
    memory = step_memory(measured.spec, measured.input_size, dtype, optimizer, batch_size)
    element = torch.empty((), dtype=dtype).element_size()
    placed = 2 * memory.weight_bytes + memory.buffer_bytes  # the copies, and where they start
    originals = 4 * sum(m.params.params for m in measured.modules.values() if "." not in m.name)
    costs = {
        "weights": placed + (originals if device.type == "cpu" else 0),
        "gradients and optimizer state": memory.gradient_bytes + memory.optimizer_bytes,
        "activations": sum(memory.saved.values())
        + batch_size * element * forward_peak_elements(measured),
    }
    size = measured.input_size
    what = f"a training step on a batch of {batch_size} {size}×{size} images"
    advice = {
        "activations": "use a smaller --batch-size (or --input-size)",
        "weights": "the table's layers are too wide to train here; use fewer channels",
        "gradients and optimizer state": "use --optimizer sgd, which keeps no state",
    }
    if device.type == "cuda":
        free = torch.cuda.mem_get_info(device)[0]
        require_memory(f"{what} on {device}", costs, advice, available=free)
    else:
        require_memory(what, costs, advice)


def _step(
    model: GoogLeNet, x: Tensor, optimizer: OptimizerName
) -> tuple[Callable[[], Tensor], Callable[[], None], Callable[[], None]]:
    """The forward pass and loss of one step, the optimizer's step and zeroing after it, and
    the reset before the next: the weights put back as they were before the first step.

    Without the reset the network would learn the one batch it is shown: after some twenty
    steps its loss is 0 and every gradient is zero (passing through denormal numbers, which
    a CPU computes many times slower), and later steps would time arithmetic on zeros. With
    it, every step is the first step's arithmetic; the optimizer keeps its state (momentum,
    Adam's moments) as in training. The labels are seeded random classes; ``torch.optim`` is
    imported here only (it imports torch's compiler, seconds on a small machine).
    """
    import torch.optim

    params = [p for p in model.parameters() if p.requires_grad]
    rate = LEARNING_RATES[optimizer]
    if optimizer == "adam":
        stepper: torch.optim.Optimizer = torch.optim.Adam(params, lr=rate)
    else:
        stepper = torch.optim.SGD(params, lr=rate, momentum=0.9 if optimizer == "momentum" else 0)
    with torch.no_grad():
        classes = _logits(model(x)).shape[1]
    generator = torch.Generator(x.device).manual_seed(1)
    target = torch.randint(0, classes, (x.shape[0],), generator=generator, device=x.device)

    def step() -> Tensor:
        return training_loss(model, model(x), target)

    def finish() -> None:
        stepper.step()
        stepper.zero_grad(set_to_none=True)

    with torch.no_grad():
        start = [p.detach().clone() for p in params]

    def reset() -> None:
        with torch.no_grad():
            torch._foreach_copy_(list[Tensor](params), start)

    return step, finish, reset


def _logits(output: object) -> Tensor:
    logits = getattr(output, "logits", output)
    if not isinstance(logits, Tensor):
        raise OptionError("the network returned no tensor of class scores to train on")
    return logits.flatten(1)


def _profile(
    settings: ProfileSettings,
    optimizer: str,
    model: GoogLeNet,
    blocks: tuple[Block, ...],
    counts: dict[str, BreakdownRow],
    samples: StepSamples,
) -> StepProfile:
    return StepProfile(
        settings=settings,
        optimizer=optimizer,
        blocks=tuple(_block(b, model, counts, samples) for b in blocks),
        parts=tuple(StepPart(n, LatencyStats.of(t)) for n, t in samples.parts.items()),
        backward_order=tuple(samples.backward_order),
        end_to_end=LatencyStats.of(samples.plain),
        stamped_steps=LatencyStats.of(samples.stamped),
    )


def _block(
    block: Block, model: GoogLeNet, counts: dict[str, BreakdownRow], samples: StepSamples
) -> StepBlock:
    """A block's record; a branch's type names its layers (``ch3x3red → ch3x3``), a head
    row's its kind."""
    count = counts.get(block.name)
    type_ = count.kind if block.kind == "head" and count is not None else block_type(block, model)
    backward = samples.backward[block.name]
    return StepBlock(
        id=block.name,
        row=block.row,
        kind=block.kind,
        type=type_,
        macs=count.macs if count is not None else 0,
        backward_input_macs=(count.backward_input_macs or 0) if count is not None else 0,
        backward_weight_macs=(count.backward_weight_macs or 0) if count is not None else 0,
        forward=LatencyStats.of(samples.forward[block.name]),
        backward=LatencyStats.of(backward) if backward is not None else None,
    )
