"""Two measured networks side by side (reduce on and off, or any what-if against its base)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from gnet_inspect.errors import OptionError
from gnet_inspect.measure.levels import Level
from gnet_inspect.measure.measure import Measurement
from gnet_inspect.reports.flops import Breakdown, BreakdownRow, break_down

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PairRow", "SideBySide", "compare_networks"]


@dataclass(frozen=True)
class PairRow:
    """One id in both networks; a side is None where that network has no such entry."""

    id: str
    head: str | None
    kind: str
    base: BreakdownRow | None
    other: BreakdownRow | None

    @property
    def macs_ratio(self) -> float | None:
        """MACs of the other network over the base's (None where either is absent or zero)."""
        if self.base is None or self.other is None or not self.base.macs:
            return None
        return self.other.macs / self.base.macs

    @property
    def params_ratio(self) -> float | None:
        if self.base is None or self.other is None or not self.base.params:
            return None
        return self.other.params / self.base.params


@dataclass(frozen=True)
class SideBySide:
    """Two breakdowns at the same level, joined on id, with their totals and depths."""

    base: Breakdown
    other: Breakdown
    rows: tuple[PairRow, ...]
    aux_rows: tuple[PairRow, ...]

    @property
    def macs_ratio(self) -> float | None:
        """The other network's MACs over the base's (None where the base has none)."""
        return self.other.macs / self.base.macs if self.base.macs else None

    @property
    def params_ratio(self) -> float | None:
        """The other network's params over the base's (None where the base has none)."""
        return self.other.params / self.base.params if self.base.params else None

    @property
    def largest_blow_up(self) -> PairRow | None:
        """The main-path entry whose MACs grew the most, relatively; None if none grew."""
        grown = [row for row in self.rows if (row.macs_ratio or 0.0) > 1.0]
        return max(grown, key=lambda row: row.macs_ratio or 0.0, default=None)

    @property
    def largest_saving(self) -> PairRow | None:
        """The main-path entry whose MACs shrank the most, relatively; None if none shrank."""
        shrunk = [row for row in self.rows if row.macs_ratio is not None and row.macs_ratio < 1]
        return min(shrunk, key=lambda row: row.macs_ratio or 0.0, default=None)

    def records(self) -> list[dict[str, Any]]:
        """Flat records: id, kind, then each measure for base and other, and the ratios."""
        result = []
        for row in (*self.rows, *self.aux_rows):
            record: dict[str, Any] = {"id": row.id, "head": row.head, "kind": row.kind}
            for side, entry in (("base", row.base), ("other", row.other)):
                values = asdict(entry) if entry is not None else {}
                for key in ("output", "params", "macs", "flops", "other_ops"):
                    record[f"{key}_{side}"] = values.get(key)
            record["macs_ratio"] = row.macs_ratio
            record["params_ratio"] = row.params_ratio
            result.append(record)
        return result

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame.from_records(self.records(), index="id").convert_dtypes()


def _join(left: tuple[BreakdownRow, ...], right: tuple[BreakdownRow, ...]) -> tuple[PairRow, ...]:
    rights = {row.id: row for row in right}
    lefts = {row.id: row for row in left}
    ids = [row.id for row in left] + [row.id for row in right if row.id not in lefts]
    return tuple(
        PairRow(
            id=i,
            head=(lefts.get(i) or rights[i]).head,
            kind=(lefts.get(i) or rights[i]).kind,
            base=lefts.get(i),
            other=rights.get(i),
        )
        for i in ids
    )


def compare_networks(base: Measurement, other: Measurement, level: Level) -> SideBySide:
    """Breaks both measured networks down at ``level`` and joins them on id, in the base's
    order, then the other's.

    Raises:
        OptionError: the two describe the same network (a what-if that changes nothing in
            this variant), so there is nothing to compare.
    """
    if replace(base.spec, whatifs=()) == replace(other.spec, whatifs=()):
        raise OptionError(
            f"'{other.spec.label}' builds the same network as '{base.spec.label}': "
            "nothing to compare"
        )
    left, right = break_down(base, level), break_down(other, level)
    return SideBySide(
        left, right, _join(left.rows, right.rows), _join(left.aux_rows, right.aux_rows)
    )
