"""Profiling a GoogLeNet's latency block by block: the public entry point.

It checks the options, places the model (``placement.py``), times its passes (``timing.py``)
and puts each block's samples beside its MACs in the plain-data profile of ``result.py``.
``profile_latency`` is long only by its keyword signature and its Args; its body is those
steps in order, each one call.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from gnet_inspect.errors import MemoryLimitError, OptionError
from gnet_inspect.measure.devices import DtypeName, resolve_device, resolve_dtype
from gnet_inspect.measure.levels import Level, pick_level
from gnet_inspect.measure.measure import Measurement, ModuleMeasure, measure, network_spec
from gnet_inspect.measure.memory import forward_peak_elements, is_out_of_memory, require_memory
from gnet_inspect.measure.traffic import Traffic, entry_traffic
from gnet_inspect.model import GoogLeNet, build_model
from gnet_inspect.reports.diagram.graph import diagram_graph
from gnet_inspect.reports.flops import break_down
from gnet_inspect.reports.profile.ceilings import measure_ceilings
from gnet_inspect.reports.profile.placement import (
    check_dtype,
    check_forward,
    device_name,
    running,
)
from gnet_inspect.reports.profile.result import (
    DEPTHS,
    AuxCost,
    BlockLatency,
    LatencyProfile,
    LatencyStats,
    ProfileSettings,
)
from gnet_inspect.reports.profile.timing import (
    Block,
    Progress,
    Samples,
    plan_blocks,
    time_passes,
)
from gnet_inspect.spec.schema import NetworkSpec

__all__ = ["block_type", "build_network", "check_options", "profile_latency"]


def profile_latency(
    network: NetworkSpec | GoogLeNet,
    input_size: int | None = None,
    *,
    batch_size: int = 1,
    device: str = "cpu",
    dtype: DtypeName = "float32",
    channels_last: bool = False,
    depth: str = "modules",
    warmup: int = 10,
    repeats: int = 100,
    on_progress: Progress | None = None,
) -> LatencyProfile:
    """Times each block of a network's inference forward pass, and the whole pass apart.

    A spec is built with initialised weights once the options, the device and the input size
    have been checked; a built network is profiled as it is. The model runs in eval mode
    under ``torch.inference_mode`` on a seeded random batch. It is left as it was found:
    hooks removed, every module's mode restored, its own parameters and buffers (device,
    dtype, memory format) back in place.

    The MACs beside each block are those of the network's spec, counted by ``measure`` on a
    fresh CPU float32 build of it, as ``gnet-inspect table`` counts them: a count depends only
    on the layers, and fvcore cannot trace every model it could be given here (on a GPU, in
    float16). A model changed after ``build_model`` is counted as its spec describes it.

    Args:
        network: a NetworkSpec, or a GoogLeNet built by ``build_model``.
        input_size: square input in pixels (the table's own by default).
        batch_size: images per forward pass.
        device: ``cpu``, ``cuda`` or ``cuda:N``; never replaced by another.
        dtype: ``float32``, ``float16`` or ``bfloat16``, tried on the device first.
        channels_last: input and 4-d weights in channels-last memory order.
        depth: ``modules`` (one block per table row), ``branches`` (Inception modules split
            into their branches and concatenations) or ``layers`` (each convolution
            unit, pool and linear layer), as ``measure.levels`` defines them.
        warmup: passes of each kind run first and not recorded.
        repeats: recorded passes of each kind (the samples per block).
        on_progress: called with the phase, the passes done and the passes in the phase.

    Raises:
        DeviceError: no such device, a dtype it cannot run, a batch that does not fit.
        InputSizeError: an input size the network cannot take.
        OptionError: a count below its minimum, an unknown depth or dtype.
        NetworkTypeError: ``network`` is neither a NetworkSpec nor a network built from one.
    """
    spec = network_spec(network, "profile_latency()")
    size = input_size or spec.input.height
    level = check_options(batch_size=batch_size, warmup=warmup, repeats=repeats, depth=depth)
    torch_device, torch_dtype = resolve_device(device), resolve_dtype(dtype)
    check_dtype(torch_device, torch_dtype)
    measured = measure(spec, size)  # first: an input size it cannot take fails fast
    modules, blocks = measured.modules, plan_blocks(measured.tree, level)
    _require_memory(measured, torch_device, torch_dtype, batch_size, isinstance(network, GoogLeNet))
    traffic, graph = entry_traffic(measured, level), diagram_graph(measured, level)
    aux = tuple(AuxCost(r.id, r.macs, r.params) for r in break_down(measured, "modules").aux_rows)
    del measured  # its zero-weight network: not kept while the real one runs
    model = network if isinstance(network, GoogLeNet) else build_network(spec)
    batch = (batch_size, spec.input.channels, size, size)
    with running(model, torch_device, torch_dtype, channels_last, batch) as x:
        check_forward(model, x, model.row_ids)
        samples = time_passes(model, x, blocks, torch_device, warmup, repeats, on_progress)
    ceilings = measure_ceilings(torch_device, torch_dtype)
    settings = ProfileSettings(
        network=spec.name, variant=spec.label, device=str(torch_device),
        device_name=device_name(torch_device), dtype=dtype, batch_size=batch_size,
        input_size=size, channels=spec.input.channels, channels_last=channels_last,
        depth=depth, warmup=warmup, repeats=repeats, threads=torch.get_num_threads(),
        torch_version=torch.__version__, timer=samples.timer,
    )  # fmt: skip
    element = torch.empty((), dtype=torch_dtype).element_size()
    costs = _Costs(modules, traffic, element, batch_size)
    profile = _profile(settings, model, blocks, costs, samples)
    return replace(profile, ceilings=ceilings, aux=aux, diagram=graph)


def _require_memory(
    measured: Measurement,
    device: torch.device,
    dtype: torch.dtype,
    batch_size: int,
    built: bool,
) -> None:
    """Refuses a profile whose weights (float32 on the CPU when built here, and in ``dtype``
    on ``device``) and batch activations at their peak would not fit, before allocating."""
    element = torch.empty((), dtype=dtype).element_size()
    params = sum(m.params.params for m in measured.modules.values() if "." not in m.name)
    host = 0 if built else 4 * params
    placed = 0 if built and device.type == "cpu" else element * params
    activations = batch_size * element * forward_peak_elements(measured)
    size = measured.input_size
    what = f"profiling a batch of {batch_size} {size}×{size} images"
    advice = {
        "activations": "use a smaller --batch-size (or --input-size)",
        "weights": "the table's layers are too wide to build here; use fewer channels or features",
    }
    if device.type == "cuda":
        require_memory(what, {"weights": host}, advice)
        require_memory(
            f"{what} on {device}",
            {"activations": activations, "weights": placed},
            advice,
            available=torch.cuda.mem_get_info(device)[0],
        )
    else:
        require_memory(what, {"activations": activations, "weights": host + placed}, advice)


def build_network(spec: NetworkSpec) -> GoogLeNet:
    """The network with initialised weights; an allocator that refuses is one line."""
    try:
        return build_model(spec)
    except (RuntimeError, MemoryError) as exc:
        if not is_out_of_memory(exc):
            raise
        raise MemoryLimitError(
            "building the network's weights needs more memory than this process can have; "
            "use fewer channels or features"
        ) from None


def check_options(*, depth: str, depths: tuple[Level, ...] = DEPTHS, **counts: int) -> Level:
    """The level ``depth`` names among ``depths``; OptionError for a count below its minimum."""
    least = {"batch_size": 1, "warmup": 0, "repeats": 1}
    for name, value in counts.items():
        if value < least[name]:
            option = "--" + name.replace("_", "-")
            raise OptionError(f"{option} {value}: it must be at least {least[name]}")
    return pick_level(depth, depths)


def block_type(
    block: Block, model: GoogLeNet, modules: dict[str, ModuleMeasure] | None = None
) -> str:
    """A block's type in the paper's words: its row's (``inception``), a branch's layers
    (``ch3x3red → ch3x3``), a layer's kind (from ``modules``), or ``concat``."""
    if block.kind == "row":
        return model.spec.row(block.row).printed.type
    if block.kind == "branch":
        return " → ".join(name for name, _ in model.get_submodule(block.name).named_children())
    if block.kind == "layer" and modules is not None:
        return modules[block.name].kind
    return block.kind


@dataclass(frozen=True)
class _Costs:
    """What each block costs besides time: its layers' counts, its least activation traffic
    (elements per image), and the bytes of an element and images of a batch to scale them."""

    modules: dict[str, ModuleMeasure]
    traffic: dict[str, Traffic]
    element: int
    batch: int


def _profile(
    settings: ProfileSettings,
    model: GoogLeNet,
    blocks: tuple[Block, ...],
    costs: _Costs,
    samples: Samples,
) -> LatencyProfile:
    """The profile: each block's samples as statistics beside its MACs, and the whole pass."""
    passes = range(len(samples.end_to_end))
    per_pass = [sum(times[i] for times in samples.blocks.values()) for i in passes]
    return LatencyProfile(
        settings=settings,
        blocks=tuple(_block(b, model, costs, samples.blocks[b.name]) for b in blocks),
        end_to_end=LatencyStats.of(samples.end_to_end),
        blocks_per_pass=LatencyStats.of(per_pass),
    )


def _block(block: Block, model: GoogLeNet, costs: _Costs, samples: list[float]) -> BlockLatency:
    """A block's record, with its type (``block_type``) and costs."""
    type_ = block_type(block, model, costs.modules)
    module = costs.modules.get(block.name)
    params = module.params.params if module is not None else 0
    traffic = costs.traffic.get(block.name, Traffic(0, 0))
    scale = costs.element * costs.batch
    return BlockLatency(
        block.name, block.row, block.kind, type_, module.macs if module is not None else 0,
        LatencyStats.of(samples), params=params, weight_bytes=costs.element * params,
        read_bytes=scale * traffic.read, written_bytes=scale * traffic.written,
    )  # fmt: skip
