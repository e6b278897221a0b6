"""The lineage as plain data: what each generation costs, measured, beside what its paper
printed, and each generation's ratio to GoogLeNet's.

Every number of a generation is the one the per-table command prints for its table:
``table`` (params, MACs, depth), ``flops --pass train`` (a training step's multiply-adds),
``flops --depth stages`` (MACs and parameters per grid size), ``memory`` (inference and a
training step at the batch), ``profile`` (the end-to-end forward latency). The error rates
are the table file's ``claims.error``, with the paper's table they come from. Nothing here
measures or renders; imports no torch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from gnet_inspect.spec.schema import PrintedError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "LINEAGE_FORMAT",
    "LINEAGE_VERSION",
    "ForwardLatency",
    "Generation",
    "Lineage",
    "StageCost",
]

LINEAGE_FORMAT, LINEAGE_VERSION = "gnet-inspect lineage", 1
"""What a saved lineage (``lineage --format json``) says it is, read back by ``saved.py``."""


@dataclass(frozen=True)
class StageCost:
    """One stage of a generation (its rows that output one grid size, ``flops --depth
    stages``): the grid, its first and last rows, its MACs and parameters."""

    grid: str
    first: str
    last: str
    macs: int
    params: int


@dataclass(frozen=True)
class ForwardLatency:
    """The end-to-end inference forward pass, timed as ``profile`` times it (no hooks)."""

    device: str
    device_name: str
    dtype: str
    batch_size: int
    median_ms: float
    p10_ms: float
    p90_ms: float
    samples: int

    @property
    def images_per_s(self) -> float:
        return 1000 * self.batch_size / self.median_ms


@dataclass(frozen=True)
class Generation:
    """One table (one generation) measured: its costs, its printed error rates (None where the
    table carries none) and, when timed, its forward latency."""

    table: str
    network: str
    variant: str
    source: str
    published: str | None
    input_size: int
    params: int
    params_with_aux: int
    macs: int
    step_macs: int
    depth: int
    depth_with_pooling: int
    inference_bytes: int
    training_step_bytes: int
    error: PrintedError | None
    stages: tuple[StageCost, ...]
    latency: ForwardLatency | None = None

    @property
    def step_flops(self) -> int:
        """A training step's FLOPs: 2 × its multiply-adds, as ``flops --pass train`` says."""
        return 2 * self.step_macs


@dataclass(frozen=True)
class Lineage:
    """Generations side by side at one batch size, dtype and optimizer; ``base`` is the table
    every ratio is to (GoogLeNet's where it is among them, else the first)."""

    generations: tuple[Generation, ...]
    batch_size: int
    dtype: str
    optimizer: str
    base: str

    @property
    def base_generation(self) -> Generation:
        return next(g for g in self.generations if g.table == self.base)

    @property
    def timed(self) -> bool:
        return all(g.latency is not None for g in self.generations)

    def ratio(self, generation: Generation, value: Callable[[Generation], float]) -> float:
        """``generation``'s ``value`` over the base generation's."""
        base = value(self.base_generation)
        return value(generation) / base if base else float("nan")

    def records(self) -> list[dict[str, Any]]:
        """One flat record per generation (CSV): the costs, the ratios, the printed errors."""
        records = []
        for g in self.generations:
            record: dict[str, Any] = {
                key: value
                for key, value in asdict(g).items()
                if key not in ("stages", "error", "latency")
            }
            record["step_flops"] = g.step_flops
            for key in ("params", "macs", "step_macs", "inference_bytes", "training_step_bytes"):
                record[f"{key}_ratio"] = self.ratio(g, attrgetter(key))
            error = g.error
            record["top1_error"] = error.top1_text if error else None
            record["top5_error"] = error.top5_text if error else None
            record["error_source"] = error.source if error else None
            latency = g.latency
            record["latency_ms"] = latency.median_ms if latency else None
            record["images_per_s"] = latency.images_per_s if latency else None
            record["latency_ratio"] = (
                self.ratio(g, lambda x: x.latency.median_ms if x.latency else 0)
                if self.timed
                else None
            )
            records.append(record)
        return records

    def to_frame(self) -> pd.DataFrame:
        """The records as a DataFrame indexed by table."""
        import pandas as pd

        return pd.DataFrame.from_records(self.records(), index="table")

    def document(self) -> dict[str, Any]:
        """The whole lineage as JSON-ready data, read back by ``saved.load_lineage``."""
        return {
            "format": LINEAGE_FORMAT,
            "version": LINEAGE_VERSION,
            "batch_size": self.batch_size,
            "dtype": self.dtype,
            "optimizer": self.optimizer,
            "base": self.base,
            "generations": [asdict(g) for g in self.generations],
        }
