"""A saved lineage read back: ``lineage --format json -o lineage.json`` is enough to draw its
charts later, without torch.

Every field is read and checked against the type it was written with (``result_file``); a
file that is another kind of result says which, and what to draw it with.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from gnet_inspect.errors import ResultError
from gnet_inspect.reports.lineage.result import (
    LINEAGE_FORMAT,
    LINEAGE_VERSION,
    ForwardLatency,
    Generation,
    Lineage,
    StageCost,
)
from gnet_inspect.reports.profile.result import RESULT_FORMAT
from gnet_inspect.reports.result_file import FieldReader, read_json_file
from gnet_inspect.spec.schema import PrintedError

__all__ = ["load_lineage"]

_HOW = "write one with gnet-inspect lineage --format json -o FILE"
_MAX_GENERATIONS = 100  # the lineage has five; a chart of thousands would take minutes
_GRID = re.compile(r"[1-9][0-9]{0,6}×[1-9][0-9]{0,6}")
_COUNTS: tuple[str, ...] = ("input_size", "params", "params_with_aux", "macs", "step_macs")
_COUNTS += ("depth", "depth_with_pooling", "inference_bytes", "training_step_bytes")


def load_lineage(path: str | Path) -> Lineage:
    """The lineage saved in ``path``.

    Raises:
        ResultError: no such file, not JSON, not a lineage of this version, a field missing or
            of the wrong type, no generations, or none that every ratio can be taken to.
    """
    return _Reader(str(path), _HOW).lineage(read_json_file(path, "a lineage result", _HOW))


class _Reader(FieldReader):
    def lineage(self, value: object) -> Lineage:
        data = self.mapping(value, "")
        found = data.get("format")
        if found != LINEAGE_FORMAT:
            what = "no 'format' key" if found is None else f"format {str(found)[:40]!r}"
            advice = (
                "; that is a profile (chart --kind shares or roofline draws it)"
                if found == RESULT_FORMAT
                else f"; {self.how}"
            )
            raise ResultError(f"{self.name}: not a gnet-inspect lineage result ({what}){advice}")
        version = data.get("version")
        if version != LINEAGE_VERSION:
            raise ResultError(
                f"{self.name}: lineage result version {str(version)[:20]}, and this "
                f"gnet-inspect reads version {LINEAGE_VERSION}; run gnet-inspect lineage again"
            )
        listed = self.field(data, "generations", "", list)
        if not listed or len(listed) > _MAX_GENERATIONS:
            raise self.fail("generations", f"expected 1 to {_MAX_GENERATIONS} generations")
        generations = self.items(data, "generations", "", self.generation)
        base = self.field(data, "base", "", str)
        tables = [g.table for g in generations]
        if base not in tables or len(set(tables)) < len(tables):
            raise self.fail("generations", f"expected each table once, '{base[:40]}' among them")
        batch = self.field(data, "batch_size", "", int)
        if batch < 1:
            raise self.fail("batch_size", "must be at least 1")
        return Lineage(
            generations=generations,
            batch_size=batch,
            dtype=self.field(data, "dtype", "", str),
            optimizer=self.field(data, "optimizer", "", str),
            base=base,
        )

    def generation(self, value: object, where: str) -> Generation:
        data = self.mapping(value, where)
        text: dict[str, Any] = {k: self.field(data, k, where, str) for k in ("table", "network")}
        text["variant"] = self.field(data, "variant", where, str)
        counts: dict[str, Any] = {k: self.field(data, k, where, int) for k in _COUNTS}
        if counts["macs"] == 0 or counts["params"] == 0:
            raise self.fail(where, "a generation without MACs or parameters: not measured")
        stages = self.items(data, "stages", where, self.stage)
        if not stages or sum(s.macs for s in stages) != counts["macs"]:
            raise self.fail(f"{where}.stages", "the stages' MACs do not add up to the MACs")
        return Generation(
            **text,
            source=self.field(data, "source", where, str),
            published=self.optional(data, "published", where, str),
            **counts,
            error=self.error(data.get("error"), f"{where}.error"),
            stages=stages,
            latency=self.latency(data.get("latency"), f"{where}.latency"),
        )

    def stage(self, value: object, where: str) -> StageCost:
        data = self.mapping(value, where)
        grid, first, last = (self.field(data, k, where, str) for k in ("grid", "first", "last"))
        if not _GRID.fullmatch(grid):
            raise self.fail(f"{where}.grid", f"expected a grid such as 28×28, found {grid[:20]!r}")
        macs, params = (self.field(data, k, where, int) for k in ("macs", "params"))
        return StageCost(grid, first, last, macs, params)

    def error(self, value: object, where: str) -> PrintedError | None:
        if value is None:
            return None
        data = self.mapping(value, where)
        rates = {k: self.optional(data, k, where, float) for k in ("top1", "top5")}
        if any(rate is not None and rate > 100 for rate in rates.values()):
            raise self.fail(where, "an error rate above 100%")
        return PrintedError(
            top1=rates["top1"],
            top5=rates["top5"],
            top1_text=self.optional(data, "top1_text", where, str),
            top5_text=self.optional(data, "top5_text", where, str),
            source=self.field(data, "source", where, str),
        )

    def latency(self, value: object, where: str) -> ForwardLatency | None:
        if value is None:
            return None
        data = self.mapping(value, where)
        median = self.field(data, "median_ms", where, float)
        low, high = (self.field(data, k, where, float) for k in ("p10_ms", "p90_ms"))
        if median <= 0 or not low <= median <= high:
            raise self.fail(f"{where}.median_ms", "expected a positive time between p10 and p90")
        batch, samples = (self.field(data, k, where, int) for k in ("batch_size", "samples"))
        if batch < 1 or samples < 1:
            raise self.fail(where, "a batch and a sample count of at least 1")
        return ForwardLatency(
            device=self.field(data, "device", where, str),
            device_name=self.field(data, "device_name", where, str),
            dtype=self.field(data, "dtype", where, str),
            batch_size=batch,
            median_ms=median,
            p10_ms=low,
            p90_ms=high,
            samples=samples,
        )
