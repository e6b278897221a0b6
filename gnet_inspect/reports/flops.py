"""Params, MACs and FLOPs of a measured network at one level of ``measure.levels``.

The levels nest, so each level's entries add up exactly to the level above; stages are read
off the measured output sizes. Auxiliary heads are broken down apart: they are training cost,
never part of the inference totals. Shares are of the inference totals.

With ``phase="train"`` each entry also carries its backward multiply-adds (``measure.
backward``): towards the input and towards the weights. A training step is the forward pass
with the auxiliary heads and the backward pass: its total is ``Breakdown.step_macs``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from gnet_inspect.measure.backward import BackwardMacs, backward_macs
from gnet_inspect.measure.levels import CONCAT, LEVELS, Level, Phase
from gnet_inspect.measure.measure import Measurement, ModuleMeasure, RowMeasure
from gnet_inspect.measure.params import ParamCount
from gnet_inspect.spec.notation import Size
from gnet_inspect.spec.shapes import qualified_rows

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "LEVELS",
    "Breakdown",
    "BreakdownRow",
    "Level",
    "break_down",
    "stage_members",
]


@dataclass(frozen=True)
class BreakdownRow:
    """One entry of a breakdown: a stage, a table row, a branch or a layer, by module path."""

    id: str
    row: str
    head: str | None
    kind: str
    output: str
    params: int
    weights: int
    macs: int
    flops: int
    other_ops: int
    share_macs: float
    share_params: float
    backward_input_macs: int | None = None
    backward_weight_macs: int | None = None

    @property
    def step_macs(self) -> int | None:
        """Forward and backward multiply-adds of a training step (None for inference)."""
        if self.backward_input_macs is None or self.backward_weight_macs is None:
            return None
        return self.macs + self.backward_input_macs + self.backward_weight_macs


@dataclass(frozen=True)
class Breakdown:
    """A network broken down at one level, with its inference totals and depth."""

    label: str
    level: Level
    input_size: int
    rows: tuple[BreakdownRow, ...]
    aux_rows: tuple[BreakdownRow, ...]
    params: int
    macs: int
    depth: int
    depth_with_pooling: int
    phase: Phase = "inference"

    def _sum(self, field: str) -> int:
        return sum(getattr(row, field) or 0 for row in (*self.rows, *self.aux_rows))

    @property
    def forward_macs_with_aux(self) -> int:
        """The forward multiply-adds of a training step: the main path and the aux heads."""
        return self._sum("macs")

    @property
    def backward_macs(self) -> int:
        """The backward multiply-adds of a training step (0 for an inference breakdown)."""
        return self._sum("backward_input_macs") + self._sum("backward_weight_macs")

    @property
    def step_macs(self) -> int:
        """Forward (with the aux heads) and backward multiply-adds of one training step."""
        return self.forward_macs_with_aux + self.backward_macs

    def records(self) -> list[dict[str, Any]]:
        rows = [asdict(row) for row in (*self.rows, *self.aux_rows)]
        if self.phase == "train":
            for row, record in zip((*self.rows, *self.aux_rows), rows):
                record["step_macs"] = row.step_macs
        else:
            for record in rows:
                del record["backward_input_macs"], record["backward_weight_macs"]
        return rows

    def to_frame(self) -> pd.DataFrame:
        """The rows (main path, then aux heads) as a DataFrame indexed by id."""
        import pandas as pd

        return pd.DataFrame.from_records(self.records(), index="id")


def break_down(measured: Measurement, level: Level, phase: Phase = "inference") -> Breakdown:
    """Breaks ``measured`` down at ``level`` (one of LEVELS), for inference or a training
    step (``phase="train"``: backward multiply-adds too)."""
    params = sum(r.params.params for r in measured.rows)
    macs = sum(r.macs for r in measured.rows)

    def entry(name: str, row: RowMeasure, kind: str, m: _Measured) -> BreakdownRow:
        return BreakdownRow(
            id=name,
            row=row.id,
            head=row.head,
            kind=kind,
            output=str(m.output) if m.output is not None else "",
            params=m.params.params,
            weights=m.params.weights,
            macs=m.macs,
            flops=2 * m.macs,
            other_ops=m.other_ops,
            share_macs=m.macs / macs if macs else 0.0,
            share_params=m.params.params / params if params else 0.0,
        )

    types = {qid: row.printed.type for qid, row, _ in qualified_rows(measured.spec)}

    def expand(rows: tuple[RowMeasure, ...]) -> list[BreakdownRow]:
        result = []
        for row in rows:
            parts = measured.tree.entries(row.id, level)
            if len(parts) == 1 and parts[0].id == row.id:
                result.append(entry(row.id, row, types[row.id], row))
                continue
            for part in parts:
                counts = measured.modules.get(part.id) or _concatenated(measured, part.id)
                result.append(entry(part.id, row, part.kind, counts))
        return result

    if level == "stages":
        rows = _stages(measured, entry)
        aux = [entry(r.id, r, types[r.id], r) for r in measured.aux_rows]
    else:
        rows, aux = expand(measured.rows), expand(measured.aux_rows)
    if phase == "train":
        backward = backward_macs(measured)
        members = stage_members(measured) if level == "stages" else {}
        rows = [_with_backward(r, backward, members.get(r.id, (r.id,))) for r in rows]
        aux = [_with_backward(r, backward, (r.id,)) for r in aux]
    return Breakdown(
        phase=phase,
        label=measured.spec.label,
        level=level,
        input_size=measured.input_size,
        rows=tuple(rows),
        aux_rows=tuple(aux),
        params=params,
        macs=macs,
        depth=measured.depth.depth,
        depth_with_pooling=measured.depth.depth_with_pooling,
    )


@dataclass(frozen=True)
class _Counts:
    """What an entry without a module of its own counts (a concatenation: nothing)."""

    params: ParamCount
    macs: int
    other_ops: int
    output: Size | None


_Measured = RowMeasure | ModuleMeasure | _Counts


def _concatenated(measured: Measurement, entry: str) -> _Counts:
    """A concatenation's entry: no parameters and no multiply-adds, and the output of the
    branches it joins (``Measurement.concatenation``)."""
    owner = entry.removesuffix(f".{CONCAT}")
    return _Counts(ParamCount(0, 0), 0, 0, measured.concatenation(owner))


def _with_backward(
    row: BreakdownRow, backward: dict[str, BackwardMacs], prefixes: tuple[str, ...]
) -> BreakdownRow:
    """``row`` with the backward multiply-adds of every layer under ``prefixes``."""
    inside = [
        macs
        for name, macs in backward.items()
        if any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)
    ]
    return replace(
        row,
        backward_input_macs=sum(m.input for m in inside),
        backward_weight_macs=sum(m.weight for m in inside),
    )


def stage_members(measured: Measurement) -> dict[str, tuple[str, ...]]:
    """Each stage's id and the rows it groups."""
    return {_stage_id(group): tuple(r.id for r in group) for group in _stage_groups(measured)}


def _stage_groups(measured: Measurement) -> list[list[RowMeasure]]:
    groups: list[list[RowMeasure]] = []
    for row in measured.rows:
        if groups and _grid(groups[-1][-1].output) == _grid(row.output):
            groups[-1].append(row)
        else:
            groups.append([row])
    return groups


def _stage_id(group: list[RowMeasure]) -> str:
    size = group[-1].output
    return f"{size.height}×{size.width}"


def _stages(
    measured: Measurement, entry: Callable[[str, RowMeasure, str, RowMeasure], BreakdownRow]
) -> list[BreakdownRow]:
    stages = []
    for group in _stage_groups(measured):
        size = group[-1].output
        name = _stage_id(group)
        members = group[0].id if len(group) == 1 else f"{group[0].id} … {group[-1].id}"
        total = RowMeasure(
            id=name,
            head=None,
            params=sum((r.params for r in group[1:]), group[0].params),
            macs=sum(r.macs for r in group),
            other_ops=sum(r.other_ops for r in group),
            output=size,
            depth=0,
            depth_with_pooling=0,
        )
        stages.append(entry(name, total, members, total))
    return stages


def _grid(size: Size) -> tuple[int, int]:
    return size.height, size.width
