"""The lineage measured: each table built and measured once, its numbers taken from the same
functions the per-table commands print them with.

``table`` gives the params, MACs and depth (``table_report``), ``flops --pass train`` the
step's multiply-adds (``break_down``), ``flops --depth stages`` the stages, ``memory`` the
bytes (``memory_report``) and, with a device, ``profile`` the forward latency
(``profile_latency``, the same engine, at the modules level).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gnet_inspect.errors import DeviceError, MemoryLimitError, OptionError
from gnet_inspect.measure.devices import DtypeName, resolve_device, resolve_dtype
from gnet_inspect.measure.measure import measure
from gnet_inspect.measure.optimizers import OptimizerName, pick_optimizer
from gnet_inspect.reports.flops import break_down, stage_members
from gnet_inspect.reports.lineage.result import ForwardLatency, Generation, Lineage, StageCost
from gnet_inspect.reports.memory import memory_report
from gnet_inspect.reports.table import table_report
from gnet_inspect.spec.limits import shown
from gnet_inspect.spec.loader import bundled_tables, list_variants, load_spec, named_table
from gnet_inspect.spec.schema import NetworkSpec

__all__ = ["LineageTiming", "lineage", "resolve_tables"]


@dataclass(frozen=True)
class LineageTiming:
    """How to time each generation's forward pass (``profile``'s options)."""

    device: str
    warmup: int = 3
    repeats: int = 10


def resolve_tables(
    names: str | NetworkSpec | Sequence[str | NetworkSpec] | None,
) -> list[tuple[str, NetworkSpec]]:
    """Each table to compare and the label it goes by: a bundled table's name (``NAME`` or
    ``NAME:VARIANT``), or a loaded spec (labelled by its file's name and its variant). None:
    every bundled table with its first variant, in the order their papers appeared.

    Raises:
        OptionError: an unknown table or variant, or two tables that go by one label.
    """
    if isinstance(names, (str, NetworkSpec)):
        names = [names]
    if names is None:
        loaded = [(name, load_spec(named_table(name))) for name in bundled_tables()]
        return sorted(loaded, key=lambda pair: pair[1].published or "9999")
    resolved: list[tuple[str, NetworkSpec]] = []
    for item in names:
        if isinstance(item, NetworkSpec):
            stem = Path(item.origin).stem if item.origin != "<memory>" else item.name
            first = list_variants(item.origin) if Path(item.origin).is_file() else ()
            own = not first or item.variant == first[0]
            resolved.append((stem if own else f"{stem}:{item.variant}", item))
            continue
        name, colon, variant = item.partition(":")
        if colon and not variant:
            raise OptionError(f"--table {shown(item)}: expected a variant after ':', or none")
        spec = load_spec(named_table(name), variant or None)
        resolved.append((item if variant else name, spec))
    labels = [label for label, _ in resolved]
    for label in labels:
        if labels.count(label) > 1:
            raise OptionError(
                f"two of the tables go by {shown(label)} (a bundled name or a file's name); "
                "give each table once, or rename one file"
            )
    if not resolved:
        raise OptionError("expected at least one table to compare")
    return resolved


def lineage(
    tables: str | NetworkSpec | Sequence[str | NetworkSpec] | None = None,
    *,
    batch_size: int = 1,
    dtype: DtypeName = "float32",
    optimizer: OptimizerName = "momentum",
    timing: LineageTiming | None = None,
    on_table: Callable[[str, int, int], None] | None = None,
) -> Lineage:
    """The generations side by side: every bundled table by default (``resolve_tables``).

    Args:
        tables: bundled names (``inception-v3:torchvision``) or specs, in the order to show.
        batch_size: the images the memory (and, timed, the latency) is for.
        dtype: ``float32``, ``float16`` or ``bfloat16``, for the bytes and the timing.
        optimizer: the optimizer whose state a training step keeps.
        timing: time each forward pass on this device too (``profile``'s engine).
        on_table: called with each table's label, its place and the count before it is
            measured.

    Raises:
        OptionError, SpecError, MemoryLimitError, DeviceError: as the per-table commands do.
    """
    if batch_size < 1:
        raise OptionError(f"--batch-size {batch_size}: it must be at least 1")
    resolve_dtype(dtype)
    pick_optimizer(optimizer)
    resolved = resolve_tables(tables)
    if timing is not None:  # a device that cannot be had fails before any work
        resolve_device(timing.device)
    generations = []
    for place, (label, spec) in enumerate(resolved, start=1):
        if on_table is not None:
            on_table(label, place, len(resolved))
        try:
            generations.append(_generation(label, spec, batch_size, dtype, optimizer, timing))
        except (OptionError, DeviceError, MemoryLimitError) as exc:  # say which table it was
            raise type(exc)(f"{label}: {exc}") from None
    googlenet = load_spec().name  # the bundled table's, whichever variant or file it is
    base = next((g.table for g in generations if g.network == googlenet), generations[0].table)
    return Lineage(tuple(generations), batch_size, dtype, optimizer, base)


def _generation(
    label: str,
    spec: NetworkSpec,
    batch_size: int,
    dtype: DtypeName,
    optimizer: OptimizerName,
    timing: LineageTiming | None,
) -> Generation:
    measured = measure(spec)
    report = table_report(measured)
    step = break_down(measured, "modules", "train")
    stages = break_down(measured, "stages")
    members = stage_members(measured)
    memory = memory_report(
        measured, "modules", batch_size=batch_size, dtype=dtype, optimizer=optimizer
    )
    latency = _latency(spec, batch_size, dtype, timing) if timing is not None else None
    return Generation(
        table=label,
        network=spec.name,
        variant=spec.label,
        source=spec.source,
        published=spec.published,
        input_size=measured.input_size,
        params=report.totals.params,
        params_with_aux=report.params_with_aux,
        macs=report.totals.macs,
        step_macs=step.step_macs,
        depth=measured.depth.depth,
        depth_with_pooling=measured.depth.depth_with_pooling,
        inference_bytes=memory.inference_bytes,
        training_step_bytes=memory.training_step_bytes,
        error=spec.claims.error,
        stages=tuple(
            StageCost(row.id, members[row.id][0], members[row.id][-1], row.macs, row.params)
            for row in stages.rows
        ),
        latency=latency,
    )


def _latency(
    spec: NetworkSpec, batch_size: int, dtype: DtypeName, timing: LineageTiming
) -> ForwardLatency:
    from gnet_inspect.reports.profile.latency import profile_latency

    profile = profile_latency(
        spec,
        batch_size=batch_size,
        device=timing.device,
        dtype=dtype,
        depth="modules",
        warmup=timing.warmup,
        repeats=timing.repeats,
    )
    whole, settings = profile.end_to_end, profile.settings
    return ForwardLatency(
        device=settings.device,
        device_name=settings.device_name,
        dtype=dtype,
        batch_size=batch_size,
        median_ms=whole.median_ms,
        p10_ms=whole.p10_ms,
        p90_ms=whole.p90_ms,
        samples=whole.samples,
    )
