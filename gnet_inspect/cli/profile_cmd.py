"""``gnet-inspect profile``: latency per block on the CPU or a CUDA GPU, beside its MACs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from gnet_inspect.cli.app import (
    Dtype,
    DtypeOption,
    Format,
    FormatOption,
    InputSize,
    OptimizerOption,
    Output,
    PhaseOption,
    Reduce,
    ReduceOption,
    SpecFile,
    TableName,
    Variant,
    WhatIfOption,
    app,
    depth_option,
    load,
)
from gnet_inspect.cli.emit import emit_view
from gnet_inspect.reports.profile.result import DEPTHS

__all__ = ["profile"]


@app.command()
def profile(
    device: Annotated[
        str, typer.Option("--device", help="cpu, cuda or cuda:N; never replaced by another.")
    ] = "cpu",
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Images per pass.")] = 1,
    input_size: InputSize = None,
    dtype: DtypeOption = Dtype.float32,
    channels_last: Annotated[
        bool, typer.Option("--channels-last", help="Input and weights in NHWC memory order.")
    ] = False,
    depth: Annotated[
        str, depth_option(DEPTHS, "modules", " A training step: modules or branches.")
    ] = "modules",
    phase: PhaseOption = "inference",
    optimizer: OptimizerOption = None,
    warmup: Annotated[
        int | None,
        typer.Option(
            "--warmup",
            min=0,
            help="Passes (steps) of each kind run first, not recorded.  [default: 10; 5 steps]",
            show_default=False,
        ),
    ] = None,
    repeats: Annotated[
        int | None,
        typer.Option(
            "--repeats",
            min=1,
            help="Timed passes (steps): the samples per block.  [default: 100; 30 steps]",
            show_default=False,
        ),
    ] = None,
    variant: Variant = None,
    spec: SpecFile = None,
    table: TableName = None,
    reduce: ReduceOption = Reduce.on,
    whatif: WhatIfOption = None,
    format: FormatOption = Format.table,
    output: Output = None,
) -> None:
    """Time every block of the forward pass (or, with --pass train, of a training step) beside
    its MACs, and the whole pass apart.

    Each block gets its median, p10–p90 and sample count, its share of the time against its
    share of the MACs, and its achieved FLOP/s. A training step times each block's forward
    and backward, the aux heads' rows, the loss and the optimizer.
    """
    from gnet_inspect.errors import OptionError
    from gnet_inspect.measure.levels import pick_phase
    from gnet_inspect.measure.optimizers import pick_optimizer

    train = pick_phase(phase) == "train"
    if optimizer is not None and not train:
        raise OptionError("--optimizer steps a training step; give --pass train with it")
    chosen = pick_optimizer(optimizer or "momentum")
    network = load(spec, variant, reduce, whatif, table)
    if train:
        from gnet_inspect.render.step_view import step_view
        from gnet_inspect.reports.profile.step import profile_training

        with _progress_bar() as on_progress:
            steps = profile_training(
                network, input_size, batch_size=batch_size, device=device, dtype=dtype.value,
                channels_last=channels_last, depth=depth, optimizer=chosen,
                warmup=_or(warmup, 5), repeats=_or(repeats, 30), on_progress=on_progress,
            )  # fmt: skip
        emit_view(step_view(steps), format.value, output)
        return
    from gnet_inspect.render.profile_view import profile_view
    from gnet_inspect.reports.profile.latency import profile_latency

    with _progress_bar() as on_progress:
        result = profile_latency(
            network, input_size, batch_size=batch_size, device=device, dtype=dtype.value,
            channels_last=channels_last, depth=depth, warmup=_or(warmup, 10),
            repeats=_or(repeats, 100), on_progress=on_progress,
        )  # fmt: skip
    emit_view(profile_view(result), format.value, output)


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


@contextmanager
def _progress_bar() -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar on stderr while passes run, gone when they end; nothing off a terminal."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(
        *columns, TimeRemainingColumn(), console=console, transient=True,
        disable=not console.is_terminal,
    ) as bar:  # fmt: skip
        task = bar.add_task("profiling", total=None)

        def update(phase: str, done: int, total: int) -> None:
            bar.update(task, description=phase, completed=done, total=total)

        yield update
