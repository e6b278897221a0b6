"""The training-step profile as plain data: each block's forward and backward beside its MACs.

A block's forward and backward latency (median, p10, p90, samples) sit beside the forward
and backward multiply-adds ``gnet-inspect flops --pass train`` counts for the same id, so the
two join with nothing left over. The loss and the optimizer are parts of their own; the whole
step is timed apart, and the gap to the sum of every part says how far the split can be
trusted. Nothing here measures or renders; it imports no torch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from gnet_inspect.reports.profile.result import (
    RESULT_FORMAT,
    RESULT_VERSION,
    LatencyStats,
    ProfileSettings,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["StepBlock", "StepPart", "StepProfile"]


@dataclass(frozen=True)
class StepBlock:
    """One block of a training step: its id (as ``flops`` names it), row, kind (``row``,
    ``branch``, ``concat`` or ``head``: a row of an auxiliary head) and type; its forward
    MACs and backward MACs towards its input and its weights, per image; its forward latency
    and its backward latency (None where no gradient flows through it)."""

    id: str
    row: str
    kind: str
    type: str
    macs: int
    backward_input_macs: int
    backward_weight_macs: int
    forward: LatencyStats
    backward: LatencyStats | None

    @property
    def backward_macs(self) -> int:
        return self.backward_input_macs + self.backward_weight_macs


@dataclass(frozen=True)
class StepPart:
    """A part of the step that is no block: ``loss forward``, ``loss backward``, ``optimizer``."""

    name: str
    latency: LatencyStats


@dataclass(frozen=True)
class StepProfile:
    """A training step, block by block, beside the whole step timed apart."""

    settings: ProfileSettings
    optimizer: str
    blocks: tuple[StepBlock, ...]
    parts: tuple[StepPart, ...]
    backward_order: tuple[str, ...]
    """The blocks in the order their backward passes started (in the last recorded step)."""
    end_to_end: LatencyStats
    stamped_steps: LatencyStats
    """The whole of each stamped step: beside ``end_to_end``, what the stamps cost."""

    @property
    def forward_ms(self) -> float:
        return sum(b.forward.median_ms for b in self.blocks)

    @property
    def backward_ms(self) -> float:
        return sum(b.backward.median_ms for b in self.blocks if b.backward is not None)

    @property
    def parts_ms(self) -> float:
        return sum(p.latency.median_ms for p in self.parts)

    @property
    def sum_ms(self) -> float:
        """The sum of every median: blocks forward and backward, loss and optimizer."""
        return self.forward_ms + self.backward_ms + self.parts_ms

    @property
    def gap_ms(self) -> float:
        """The whole step's median minus the sum of the medians."""
        return self.end_to_end.median_ms - self.sum_ms

    @property
    def gap_share(self) -> float:
        return self.gap_ms / self.end_to_end.median_ms

    @property
    def step_macs(self) -> int:
        """Forward and backward MACs of every block, per image."""
        return sum(b.macs + b.backward_macs for b in self.blocks)

    def part(self, name: str) -> StepPart:
        return next(p for p in self.parts if p.name == name)

    def records(self) -> list[dict[str, Any]]:
        """Every block as a flat dict of plain values: the rows of ``to_frame``.

        MACs are per image, as ``flops --pass train`` counts them; ``share_time`` is the
        block's forward and backward share of the sum of every median; ``share_macs`` its
        share of the step's MACs; FLOP/s are 2 × MACs × batch ÷ median, forward and backward
        apart.
        """
        total_ms, total_macs = self.sum_ms, self.step_macs
        batch = self.settings.batch_size
        rows = []
        for b in self.blocks:
            back = b.backward
            back_ms = back.median_ms if back is not None else 0.0
            rows.append(
                {
                    "id": b.id,
                    "row": b.row,
                    "kind": b.kind,
                    "type": b.type,
                    "macs": b.macs,
                    "backward_input_macs": b.backward_input_macs,
                    "backward_weight_macs": b.backward_weight_macs,
                    "forward_ms": b.forward.median_ms,
                    "forward_p10_ms": b.forward.p10_ms,
                    "forward_p90_ms": b.forward.p90_ms,
                    "backward_ms": back.median_ms if back is not None else None,
                    "backward_p10_ms": back.p10_ms if back is not None else None,
                    "backward_p90_ms": back.p90_ms if back is not None else None,
                    "samples": b.forward.samples,
                    "share_time": (b.forward.median_ms + back_ms) / total_ms if total_ms else 0.0,
                    "share_macs": (b.macs + b.backward_macs) / total_macs if total_macs else 0.0,
                    "forward_flops_per_s": _rate(b.macs * batch, b.forward.median_ms),
                    "backward_flops_per_s": _rate(b.backward_macs * batch, back_ms),
                }
            )
        return rows

    def summary(self) -> dict[str, Any]:
        """The settings, the whole step, every part, the sums and the gap."""
        return {
            "format": RESULT_FORMAT,
            "version": RESULT_VERSION,
            "pass": "train",
            "settings": asdict(self.settings),
            "optimizer": self.optimizer,
            "end_to_end": asdict(self.end_to_end),
            "stamped_steps": asdict(self.stamped_steps),
            "parts": {p.name: asdict(p.latency) for p in self.parts},
            "forward_ms": self.forward_ms,
            "backward_ms": self.backward_ms,
            "sum_ms": self.sum_ms,
            "gap_ms": self.gap_ms,
            "gap_share": self.gap_share,
            "step_macs": self.step_macs,
            "backward_order": list(self.backward_order),
        }

    def to_frame(self) -> pd.DataFrame:
        """The blocks as a pandas DataFrame indexed by ``id``."""
        import pandas as pd

        return pd.DataFrame.from_records(self.records(), index="id")


def _rate(macs: int, ms: float) -> float:
    return 2 * macs / (ms / 1e3) if macs and ms > 0 else 0.0
