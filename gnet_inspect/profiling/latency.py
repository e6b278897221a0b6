"""Latency per block of a built GoogLeNet: the public API and the plain-data profile it returns.

A profile puts each block's measured latency (median, p10, p90 and the number of samples)
beside its MACs, the same numbers ``gnet-inspect table`` prints, with the block's share of
the time against its share of the arithmetic and the throughput it achieved. The end-to-end
forward pass is timed apart, so that the gap between it and the sum of the blocks says how
far the split can be trusted.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import torch

from gnet_inspect.analysis.measure import measure
from gnet_inspect.errors import OptionError
from gnet_inspect.model import GoogLeNet, build_model
from gnet_inspect.profiling.placement import (
    DtypeName,
    check_dtype,
    check_forward,
    device_name,
    resolve_device,
    resolve_dtype,
    running,
)
from gnet_inspect.profiling.timing import Block, Depth, Progress, plan_blocks, time_passes
from gnet_inspect.shapes import infer_shapes
from gnet_inspect.spec import NetworkSpec

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "BlockLatency",
    "LatencyProfile",
    "LatencyStats",
    "ProfileSettings",
    "profile_latency",
    "profile_model",
]


@dataclass(frozen=True)
class LatencyStats:
    """The distribution of one latency over the timed passes, in milliseconds."""

    median_ms: float
    p10_ms: float
    p90_ms: float
    samples: int

    @classmethod
    def of(cls, samples_ms: list[float]) -> LatencyStats:
        """Median and the 10th and 90th percentiles (inclusive method) of ``samples_ms``."""
        if len(samples_ms) == 1:
            return cls(samples_ms[0], samples_ms[0], samples_ms[0], 1)
        deciles = statistics.quantiles(samples_ms, n=10, method="inclusive")
        return cls(statistics.median(samples_ms), deciles[0], deciles[-1], len(samples_ms))


@dataclass(frozen=True)
class BlockLatency:
    """One block: its name (the row id, ``inception_3a.branch3x3`` or ``inception_3a.concat``),
    its row, its kind and type, its MACs per image, and its measured latency."""

    block: str
    row: str
    kind: str
    type: str
    macs: int
    latency: LatencyStats


@dataclass(frozen=True)
class ProfileSettings:
    """What was profiled, where and how."""

    network: str
    variant: str
    device: str
    device_name: str
    dtype: str
    batch_size: int
    input_size: int
    channels: int
    channels_last: bool
    depth: str
    warmup: int
    repeats: int
    threads: int
    torch_version: str
    timer: str


@dataclass(frozen=True)
class LatencyProfile:
    """Per-block latencies and the separately timed end-to-end forward pass."""

    settings: ProfileSettings
    blocks: tuple[BlockLatency, ...]
    end_to_end: LatencyStats
    blocks_per_pass: LatencyStats
    """The sum of the blocks within each stamped pass: beside ``end_to_end`` it shows what the
    stamps cost; beside ``blocks_sum_ms`` what noise did to single passes."""

    @property
    def blocks_sum_ms(self) -> float:
        """The sum of the block medians."""
        return sum(b.latency.median_ms for b in self.blocks)

    @property
    def gap_ms(self) -> float:
        """End-to-end median minus the sum of the block medians: time no block holds when
        positive, what the per-block stamps added when negative."""
        return self.end_to_end.median_ms - self.blocks_sum_ms

    @property
    def gap_share(self) -> float:
        """The gap as a fraction of the end-to-end median."""
        return self.gap_ms / self.end_to_end.median_ms

    @property
    def total_macs(self) -> int:
        return sum(b.macs for b in self.blocks)

    def records(self) -> list[dict[str, Any]]:
        """Every block as a flat dict of plain values: the rows of ``to_frame``.

        ``macs`` and ``flops`` (2 × MACs) are per image, as ``table`` counts them;
        ``latency_share`` is the block's share of the sum of block medians, ``macs_share``
        its share of the MACs; ``flops_per_s`` is 2 × MACs × batch size / median latency.
        """
        total_ms, total_macs = self.blocks_sum_ms, self.total_macs
        batch = self.settings.batch_size
        return [
            {
                "block": b.block,
                "row": b.row,
                "kind": b.kind,
                "type": b.type,
                "macs": b.macs,
                "flops": 2 * b.macs,
                "latency_ms": b.latency.median_ms,
                "latency_p10_ms": b.latency.p10_ms,
                "latency_p90_ms": b.latency.p90_ms,
                "samples": b.latency.samples,
                "latency_share": b.latency.median_ms / total_ms if total_ms else 0.0,
                "macs_share": b.macs / total_macs if total_macs else 0.0,
                "flops_per_s": 2 * b.macs * batch / (b.latency.median_ms / 1e3)
                if b.latency.median_ms > 0
                else 0.0,
            }
            for b in self.blocks
        ]

    def summary(self) -> dict[str, Any]:
        """The settings, the end-to-end latency, the sum of the blocks and the gap."""
        return {
            "settings": asdict(self.settings),
            "end_to_end": asdict(self.end_to_end),
            "blocks_per_pass": asdict(self.blocks_per_pass),
            "blocks_sum_ms": self.blocks_sum_ms,
            "gap_ms": self.gap_ms,
            "gap_share": self.gap_share,
            "total_macs": self.total_macs,
        }

    def to_frame(self) -> pd.DataFrame:
        """The blocks as a pandas DataFrame indexed by block name (what ``--format csv`` writes)."""
        import pandas as pd

        return pd.DataFrame.from_records(self.records(), index="block")


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
    """Builds ``spec`` (initialised weights) and profiles it; see ``profile_model``."""
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

    Args:
        model: a GoogLeNet built by ``build_model``.
        input_size: square input in pixels (the table's own by default).
        batch_size: images per forward pass.
        device: ``cpu``, ``cuda`` or ``cuda:N``; never replaced by another.
        dtype: ``float32``, ``float16`` or ``bfloat16``, tried on the device first.
        channels_last: input and 4-d weights in channels-last memory order.
        depth: ``row`` (each table row) or ``branch`` (Inception modules split into their
            four branches and the concatenation).
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
    _check_counts(batch_size=batch_size, warmup=warmup, repeats=repeats)
    if depth not in ("modules", "branches"):
        raise OptionError(f"unknown depth '{depth}'; use modules or branches")
    torch_device, torch_dtype = resolve_device(device), resolve_dtype(dtype)
    check_dtype(torch_device, torch_dtype)
    measured = measure(spec, size)
    blocks = plan_blocks(model, model.row_ids, depth)
    batch = (batch_size, spec.input.channels, size, size)
    with running(model, torch_device, torch_dtype, channels_last, batch) as x:
        check_forward(model, x, model.row_ids)
        samples = time_passes(model, x, blocks, torch_device, warmup, repeats, on_progress)
    settings = ProfileSettings(
        network=spec.name,
        variant=spec.label,
        device=str(torch_device),
        device_name=device_name(torch_device),
        dtype=dtype,
        batch_size=batch_size,
        input_size=size,
        channels=spec.input.channels,
        channels_last=channels_last,
        depth=depth,
        warmup=warmup,
        repeats=repeats,
        threads=torch.get_num_threads(),
        torch_version=torch.__version__,
        timer=samples.timer,
    )
    return LatencyProfile(
        settings=settings,
        blocks=tuple(_block(b, model, measured.modules, samples.blocks[b.name]) for b in blocks),
        end_to_end=LatencyStats.of(samples.end_to_end),
        blocks_per_pass=LatencyStats.of([sum(p) for p in zip(*samples.blocks.values())]),
    )


def _check_counts(**counts: int) -> None:
    least = {"batch_size": 1, "warmup": 0, "repeats": 1}
    for name, value in counts.items():
        if value < least[name]:
            option = "--" + name.replace("_", "-")
            raise OptionError(f"{option} {value}: it must be at least {least[name]}")


def _block(
    block: Block, model: GoogLeNet, modules: dict[str, Any], samples: list[float]
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
