"""The latency profile as plain data: each block's statistics, the settings, and its records.

A profile puts each block's measured latency (median, p10, p90 and the number of samples)
beside its MACs, the same numbers ``gnet-inspect table`` prints, with the block's share of
the time against its share of the arithmetic and the throughput it achieved. The end-to-end
forward pass is timed apart, so that the gap between it and the sum of the blocks says how
far the split can be trusted. Nothing here measures or renders: ``latency.py`` fills these
types, ``render/profile_view.py`` formats them.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from gnet_inspect.measure.levels import Level
from gnet_inspect.reports.diagram.graph import DiagramGraph

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEPTHS",
    "RESULT_FORMAT",
    "RESULT_VERSION",
    "STEP_DEPTHS",
    "AuxCost",
    "BlockLatency",
    "Ceilings",
    "LatencyProfile",
    "LatencyStats",
    "ProfileSettings",
]

RESULT_FORMAT, RESULT_VERSION = "gnet-inspect profile", 1
"""What a saved profile (``profile --format json``) says it is, read back by ``saved.py``."""

DEPTHS: tuple[Level, ...] = ("modules", "branches", "layers")
"""The levels a profile times: hooks at every operation would time the hooks."""

STEP_DEPTHS: tuple[Level, ...] = ("modules", "branches")
"""The levels a training step is timed at: a layer's backward hooks would cut autograd's
nodes into slices too thin to time."""


@dataclass(frozen=True)
class LatencyStats:
    """The distribution of one latency over the timed passes, in milliseconds."""

    median_ms: float
    p10_ms: float
    p90_ms: float
    samples: int

    @classmethod
    def of(cls, samples_ms: list[float]) -> LatencyStats:
        """Median and the 10th and 90th percentiles (inclusive method) of ``samples_ms``; the
        percentiles bound the median, as they do exactly (interpolating between two equal
        samples can land a rounding step past them)."""
        if len(samples_ms) == 1:
            return cls(samples_ms[0], samples_ms[0], samples_ms[0], 1)
        deciles = statistics.quantiles(samples_ms, n=10, method="inclusive")
        median = statistics.median(samples_ms)
        return cls(median, min(deciles[0], median), max(deciles[-1], median), len(samples_ms))


@dataclass(frozen=True)
class BlockLatency:
    """One block: its id (the module path, as ``flops`` names it: ``inception_3a``,
    ``inception_3a.branch3x3``, or ``inception_3a.concat`` for the time after the last
    branch), its row, its kind (``row``, ``branch`` or ``concat``) and type, its MACs per
    image, and its measured latency."""

    id: str
    row: str
    kind: str
    type: str
    macs: int
    latency: LatencyStats
    params: int = 0
    weight_bytes: int = 0
    """Its weights in the profiled dtype."""
    read_bytes: int = 0
    """The activations it must read for the batch, in the profiled dtype
    (``measure.traffic``)."""
    written_bytes: int = 0
    """The activations it must write for the batch."""

    @property
    def traffic_bytes(self) -> int:
        """The least memory traffic of one pass: activations read and written, weights read."""
        return self.read_bytes + self.written_bytes + self.weight_bytes


@dataclass(frozen=True)
class AuxCost:
    """An auxiliary head's row: its MACs and parameters (it does not run at inference)."""

    id: str
    macs: int
    params: int


@dataclass(frozen=True)
class Ceilings:
    """The device's measured ceilings: compute and memory bandwidth, and how each was measured."""

    compute_flops_per_s: float
    compute_how: str
    bandwidth_bytes_per_s: float
    bandwidth_how: str

    @property
    def ridge(self) -> float:
        """The arithmetic intensity (FLOPs per byte) where the two ceilings meet: a block
        below it is bound by memory bandwidth."""
        return self.compute_flops_per_s / self.bandwidth_bytes_per_s


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
    ceilings: Ceilings | None = None
    """The device's compute and bandwidth, measured beside the profile (for a roofline)."""
    aux: tuple[AuxCost, ...] = ()
    """The auxiliary heads' rows, for charts that set them apart."""
    diagram: DiagramGraph | None = None
    """The network's graph at the profile's depth, so that a saved profile can be drawn
    without building the network again."""

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
        """The MACs of every block, per image."""
        return sum(b.macs for b in self.blocks)

    @property
    def total_params(self) -> int:
        """The parameters of every block (the inference network's)."""
        return sum(b.params for b in self.blocks)

    def records(self) -> list[dict[str, Any]]:
        """Every block as a flat dict of plain values: the rows of ``to_frame``.

        ``macs`` and ``flops`` (2 × MACs) are per image, as ``table`` counts them;
        ``share_latency`` is the block's share of the sum of block medians, ``share_macs``
        its share of the MACs (as ``flops`` names it); ``flops_per_s`` is
        2 × MACs × batch size / median latency. Bytes are for the batch in the profiled
        dtype; ``intensity`` is 2 × MACs × batch / traffic bytes (FLOPs per byte of the least
        traffic), and ``bound`` says which ceiling limits the block: ``memory`` below the
        ridge point, ``compute`` above it (empty without MACs or ceilings).
        """
        total_ms, total_macs = self.blocks_sum_ms, self.total_macs
        batch = self.settings.batch_size
        return [
            {
                "id": b.id,
                "row": b.row,
                "kind": b.kind,
                "type": b.type,
                "macs": b.macs,
                "flops": 2 * b.macs,
                "latency_ms": b.latency.median_ms,
                "latency_p10_ms": b.latency.p10_ms,
                "latency_p90_ms": b.latency.p90_ms,
                "samples": b.latency.samples,
                "share_latency": b.latency.median_ms / total_ms if total_ms else 0.0,
                "share_macs": b.macs / total_macs if total_macs else 0.0,
                "flops_per_s": 2 * b.macs * batch / (b.latency.median_ms / 1e3)
                if b.latency.median_ms > 0
                else 0.0,
                "params": b.params,
                "weight_bytes": b.weight_bytes,
                "read_bytes": b.read_bytes,
                "written_bytes": b.written_bytes,
                "intensity": self.intensity(b),
                "bound": self.bound(b),
            }
            for b in self.blocks
        ]

    def intensity(self, block: BlockLatency) -> float:
        """FLOPs per byte of the block's least traffic (0 without either)."""
        if not block.macs or not block.traffic_bytes:
            return 0.0
        return 2 * block.macs * self.settings.batch_size / block.traffic_bytes

    def bound(self, block: BlockLatency) -> str:
        """``memory`` for a block below the ridge point, ``compute`` above it, empty for a
        block without MACs or a profile without ceilings."""
        if self.ceilings is None or not block.macs or not block.traffic_bytes:
            return ""
        return "memory" if self.intensity(block) < self.ceilings.ridge else "compute"

    def summary(self) -> dict[str, Any]:
        """The settings, the end-to-end latency, the sum of the blocks and the gap."""
        return {
            "format": RESULT_FORMAT,
            "version": RESULT_VERSION,
            "settings": asdict(self.settings),
            "end_to_end": asdict(self.end_to_end),
            "blocks_per_pass": asdict(self.blocks_per_pass),
            "blocks_sum_ms": self.blocks_sum_ms,
            "gap_ms": self.gap_ms,
            "gap_share": self.gap_share,
            "total_macs": self.total_macs,
            "ceilings": None if self.ceilings is None else asdict(self.ceilings),
            "aux": [asdict(a) for a in self.aux],
            "diagram": None if self.diagram is None else asdict(self.diagram),
        }

    def to_frame(self) -> pd.DataFrame:
        """The blocks as a pandas DataFrame indexed by ``id``, the key ``flops`` uses (what
        ``--format csv`` writes)."""
        import pandas as pd

        return pd.DataFrame.from_records(self.records(), index="id")
