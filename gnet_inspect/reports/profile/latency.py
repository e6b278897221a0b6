"""Profiling a built GoogLeNet's latency block by block: the public functions.

These check the options, place the model (``placement.py``), time its passes (``timing.py``)
and put each block's samples beside its MACs in the plain-data profile of ``result.py``.
``profile_model`` is long only by its keyword signature and its Args; its body is those steps
in order, each one call.
"""

from __future__ import annotations

import torch

from gnet_inspect.errors import OptionError
from gnet_inspect.measure.measure import ModuleMeasure, measure
from gnet_inspect.model import GoogLeNet, build_model
from gnet_inspect.reports.profile.placement import (
    DtypeName,
    check_dtype,
    check_forward,
    device_name,
    resolve_device,
    resolve_dtype,
    running,
)
from gnet_inspect.reports.profile.result import (
    BlockLatency,
    LatencyProfile,
    LatencyStats,
    ProfileSettings,
)
from gnet_inspect.reports.profile.timing import (
    Block,
    Depth,
    Progress,
    Samples,
    plan_blocks,
    time_passes,
)
from gnet_inspect.spec.schema import NetworkSpec
from gnet_inspect.spec.shapes import infer_shapes

__all__ = ["profile_latency", "profile_model"]


def profile_latency(
    spec: NetworkSpec,
    input_size: int | None = None,
    *,
    batch_size: int = 1,
    device: str = "cpu",
    dtype: DtypeName = "float32",
    channels_last: bool = False,
    depth: Depth = "modules",
    warmup: int = 10,
    repeats: int = 100,
    on_progress: Progress | None = None,
) -> LatencyProfile:
    """Builds ``spec`` (initialised weights) and profiles it; see ``profile_model``.

    The device, dtype and input size are checked before the network is built.
    """
    torch_device = resolve_device(device)
    resolve_dtype(dtype)
    infer_shapes(spec, input_size or spec.input.height)
    return profile_model(
        build_model(spec),
        input_size,
        batch_size=batch_size,
        device=str(torch_device),
        dtype=dtype,
        channels_last=channels_last,
        depth=depth,
        warmup=warmup,
        repeats=repeats,
        on_progress=on_progress,
    )


def profile_model(
    model: GoogLeNet,
    input_size: int | None = None,
    *,
    batch_size: int = 1,
    device: str = "cpu",
    dtype: DtypeName = "float32",
    channels_last: bool = False,
    depth: Depth = "modules",
    warmup: int = 10,
    repeats: int = 100,
    on_progress: Progress | None = None,
) -> LatencyProfile:
    """Times each block of ``model``'s inference forward pass, and the whole pass apart.

    The model runs in eval mode under ``torch.inference_mode`` on a seeded random batch. It is
    left as it was found: hooks removed, every module's mode restored, its own parameters and
    buffers (device, dtype, memory format) back in place.

    The MACs beside each block are those of ``model.spec``, counted by ``measure`` on a fresh
    CPU float32 build of it, as ``gnet-inspect table`` counts them: a count depends only on
    the layers, and fvcore cannot trace every model it could be given here (on a GPU, in
    float16). A model changed after ``build_model`` is counted as its spec describes it.

    Args:
        model: a GoogLeNet built by ``build_model``.
        input_size: square input in pixels (the table's own by default).
        batch_size: images per forward pass.
        device: ``cpu``, ``cuda`` or ``cuda:N``; never replaced by another.
        dtype: ``float32``, ``float16`` or ``bfloat16``, tried on the device first.
        channels_last: input and 4-d weights in channels-last memory order.
        depth: ``modules`` (one block per table row) or ``branches`` (Inception modules
            split into their four branches and the concatenation).
        warmup: passes of each kind run first and not recorded.
        repeats: recorded passes of each kind (the samples per block).
        on_progress: called with the phase, the passes done and the passes in the phase.

    Raises:
        DeviceError: no such device, a dtype it cannot run, a batch that does not fit.
        InputSizeError: an input size the network cannot take.
        OptionError: a count below its minimum, an unknown depth or dtype.
    """
    spec = model.spec
    size = input_size or spec.input.height
    _check_options(batch_size=batch_size, warmup=warmup, repeats=repeats, depth=depth)
    torch_device, torch_dtype = resolve_device(device), resolve_dtype(dtype)
    check_dtype(torch_device, torch_dtype)
    modules = measure(spec, size).modules  # first: an input size it cannot take fails fast
    blocks = plan_blocks(model, model.row_ids, depth)
    batch = (batch_size, spec.input.channels, size, size)
    with running(model, torch_device, torch_dtype, channels_last, batch) as x:
        check_forward(model, x, model.row_ids)
        samples = time_passes(model, x, blocks, torch_device, warmup, repeats, on_progress)
    settings = ProfileSettings(
        network=spec.name, variant=spec.label, device=str(torch_device),
        device_name=device_name(torch_device), dtype=dtype, batch_size=batch_size,
        input_size=size, channels=spec.input.channels, channels_last=channels_last,
        depth=depth, warmup=warmup, repeats=repeats, threads=torch.get_num_threads(),
        torch_version=torch.__version__, timer=samples.timer,
    )  # fmt: skip
    return _profile(settings, model, blocks, modules, samples)


def _check_options(*, depth: str, **counts: int) -> None:
    least = {"batch_size": 1, "warmup": 0, "repeats": 1}
    for name, value in counts.items():
        if value < least[name]:
            option = "--" + name.replace("_", "-")
            raise OptionError(f"{option} {value}: it must be at least {least[name]}")
    if depth not in ("modules", "branches"):
        raise OptionError(f"unknown depth '{depth}'; use modules or branches")


def _profile(
    settings: ProfileSettings,
    model: GoogLeNet,
    blocks: tuple[Block, ...],
    modules: dict[str, ModuleMeasure],
    samples: Samples,
) -> LatencyProfile:
    """The profile: each block's samples as statistics beside its MACs, and the whole pass."""
    per_pass = [sum(p) for p in zip(*samples.blocks.values())]
    return LatencyProfile(
        settings=settings,
        blocks=tuple(_block(b, model, modules, samples.blocks[b.name]) for b in blocks),
        end_to_end=LatencyStats.of(samples.end_to_end),
        blocks_per_pass=LatencyStats.of(per_pass),
    )


def _block(
    block: Block, model: GoogLeNet, modules: dict[str, ModuleMeasure], samples: list[float]
) -> BlockLatency:
    """A block's record; a branch's type names its layers in the paper's words
    (``ch3x3red → ch3x3``)."""
    if block.kind == "row":
        type_ = model.spec.row(block.row).printed.type
    elif block.kind == "branch":
        type_ = " → ".join(name for name, _ in model.get_submodule(block.name).named_children())
    else:
        type_ = "concat"
    macs = modules[block.name].macs if block.name in modules else 0
    return BlockLatency(block.name, block.row, block.kind, type_, macs, LatencyStats.of(samples))
