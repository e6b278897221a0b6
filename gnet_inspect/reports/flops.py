"""Params, MACs and FLOPs of a measured network at a chosen granularity.

The levels nest, so each level's rows add up exactly to the level above:

* ``stages``: runs of consecutive rows that output the same resolution (112×112, 56×56, …),
  read off the measured output sizes;
* ``modules``: the table's rows;
* ``branches``: an Inception module's four branches; other rows stay whole;
* ``layers``: the individual layers (convolutions, linear layers, pools, normalisations).

Auxiliary heads are broken down apart: they are training cost, never part of the inference
totals. Shares are of the inference totals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

from gnet_inspect.measure.measure import Measurement, ModuleMeasure, RowMeasure
from gnet_inspect.spec.notation import Size
from gnet_inspect.spec.schema import NetworkSpec

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["LEVELS", "Breakdown", "BreakdownRow", "Level", "break_down", "flops_breakdown"]

Level = Literal["stages", "modules", "branches", "layers"]
LEVELS: tuple[Level, ...] = ("stages", "modules", "branches", "layers")
_LAYER_KINDS = {"Conv2d", "Linear", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"}
_LAYER_KINDS |= {"LocalResponseNorm", "BatchNorm2d"}


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

    def records(self) -> list[dict[str, Any]]:
        return [asdict(row) for row in (*self.rows, *self.aux_rows)]

    def to_frame(self) -> pd.DataFrame:
        """The rows (main path, then aux heads) as a DataFrame indexed by id."""
        import pandas as pd

        return pd.DataFrame.from_records(self.records(), index="id")


def break_down(measured: Measurement, level: Level) -> Breakdown:
    """Breaks ``measured`` down at ``level`` (one of LEVELS)."""
    params = sum(r.params.params for r in measured.rows)
    macs = sum(r.macs for r in measured.rows)

    def entry(name: str, row: RowMeasure, kind: str, m: ModuleMeasure | RowMeasure) -> BreakdownRow:
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

    def expand(rows: tuple[RowMeasure, ...]) -> list[BreakdownRow]:
        result = []
        for row in rows:
            kind = _row_kind(measured.spec, row.id)
            parts = _parts(measured, row.id, level)
            if not parts:
                result.append(entry(row.id, row, kind, row))
            for name, module in parts:
                result.append(entry(name, row, _kind(module, level), module))
        return result

    if level == "stages":
        rows = _stages(measured, entry)
        aux = [entry(r.id, r, _row_kind(measured.spec, r.id), r) for r in measured.aux_rows]
    else:
        rows, aux = expand(measured.rows), expand(measured.aux_rows)
    return Breakdown(
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


def _row_kind(spec: NetworkSpec, qid: str) -> str:
    from gnet_inspect.spec.shapes import qualified_rows

    return next(row.printed.type for q, row, _ in qualified_rows(spec) if q == qid)


def _parts(measured: Measurement, row_id: str, level: Level) -> list[tuple[str, ModuleMeasure]]:
    """The submodules a row splits into at ``level``; empty when the row stays whole."""
    module = measured.modules.get(row_id)
    if module is None or level in ("modules", "stages"):
        return []
    children = [m for name, m in measured.modules.items() if name.startswith(f"{row_id}.")]
    if level == "branches":
        if module.kind != "Inception":
            return []
        return [(m.name, m) for m in children if m.name.count(".") == row_id.count(".") + 1]
    layers = [(m.name, m) for m in children if m.kind in _LAYER_KINDS]
    return [] if module.kind in _LAYER_KINDS else layers


def _kind(module: ModuleMeasure, level: Level) -> str:
    if level == "branches":
        return "branch"
    return {
        "Conv2d": "convolution",
        "Linear": "linear",
        "MaxPool2d": "max pool",
        "AvgPool2d": "avg pool",
        "AdaptiveAvgPool2d": "adaptive avg pool",
        "LocalResponseNorm": "lrn",
        "BatchNorm2d": "batch norm",
    }.get(module.kind, module.kind)


def _stages(
    measured: Measurement, entry: Callable[[str, RowMeasure, str, RowMeasure], BreakdownRow]
) -> list[BreakdownRow]:
    groups: list[list[RowMeasure]] = []
    for row in measured.rows:
        if groups and _grid(groups[-1][-1].output) == _grid(row.output):
            groups[-1].append(row)
        else:
            groups.append([row])
    stages = []
    for group in groups:
        size = group[-1].output
        name = f"{size.height}×{size.width}"
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


def flops_breakdown(spec: NetworkSpec, level: Level, input_size: int | None = None) -> Breakdown:
    """Builds and measures ``spec``, then breaks it down at ``level``."""
    from gnet_inspect.measure.measure import measure

    return break_down(measure(spec, input_size), level)
