"""Shape arithmetic on a spec: what every row receives and returns, without building anything.

The loader checks the table's ``output size`` column with it, the builder takes every input
width from it (widths are never written twice), and ``--input-size`` is checked with it before
a network is run. The rounding follows PyTorch's pooling arithmetic exactly.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from gnet_inspect.errors import InputSizeError
from gnet_inspect.spec.notation import Size, Window
from gnet_inspect.spec.schema import (
    ConvRow,
    DropoutRow,
    InceptionRow,
    LinearRow,
    LrnRow,
    NetworkSpec,
    PoolRow,
    Row,
    SoftmaxRow,
)

__all__ = [
    "ShapePlan",
    "conv_output",
    "infer_shapes",
    "pool_output",
    "pools_adaptively",
    "qualified_rows",
]


@dataclass(frozen=True)
class ShapePlan:
    """Input and output size of every row, keyed by qualified id (``aux_4a.conv``)."""

    input: Size
    inputs: Mapping[str, Size]
    outputs: Mapping[str, Size]


def qualified_rows(spec: NetworkSpec) -> Iterator[tuple[str, Row, str | None]]:
    """Every row of the network with its qualified id and its aux head's id (None for main)."""
    for row in spec.rows:
        yield row.id, row, None
    for head in spec.aux_heads:
        for row in head.rows:
            yield f"{head.id}.{row.id}", row, head.id


def pools_adaptively(spec: NetworkSpec) -> bool:
    """Whether every linear layer, of the main rows and of every aux head, reads an input of
    the same size at any input size: an adaptive pool or a linear layer comes before it."""
    fixed: dict[str, bool] = {}

    def walk(prefix: str, rows: tuple[Row, ...], state: bool) -> bool:
        for row in rows:
            if isinstance(row, LinearRow) and not state:
                return False
            state = (
                state
                or isinstance(row, LinearRow)
                or (isinstance(row, PoolRow) and row.window is None)
            )
            fixed[prefix + row.id] = state
        return True

    return walk("", spec.rows, False) and all(
        walk(f"{head.id}.", head.rows, fixed[head.tap]) for head in spec.aux_heads
    )


def conv_output(length: int, window: Window) -> int:
    """Output length of a convolution padded by (k-1)/2, as every convolution here is."""
    return (length + 2 * ((window.kernel - 1) // 2) - window.kernel) // window.stride + 1


def pool_output(length: int, window: Window, padding: int, ceil: bool) -> int:
    """Output length of a pooling layer, with PyTorch's (and Caffe's) ceil-mode rule."""
    span = length + 2 * padding - window.kernel
    out = (-(-span // window.stride) if ceil else span // window.stride) + 1
    if ceil and (out - 1) * window.stride >= length + padding:
        out -= 1
    return out


def infer_shapes(spec: NetworkSpec, input_size: int | None = None) -> ShapePlan:
    """Sizes of every row for a square input of ``input_size`` (the table's own by default).

    Linear layers keep the width they have at the table's own input size, as a built network
    does; a size at which a window leaves no output, or at which a linear layer would receive
    another width, raises InputSizeError naming the row.
    """
    native = _walk(spec, spec.input, None)
    if input_size is None or input_size == spec.input.height:
        return native
    if input_size < 1:
        raise InputSizeError(f"input size must be a positive number of pixels, got {input_size}")
    requested = Size(input_size, input_size, spec.input.channels)
    return _walk(spec, requested, native)


def _walk(spec: NetworkSpec, start: Size, native: ShapePlan | None) -> ShapePlan:
    inputs: dict[str, Size] = {}
    outputs: dict[str, Size] = {}

    def run(prefix: str, rows: tuple[Row, ...], size: Size) -> None:
        for row in rows:
            qid = prefix + row.id
            inputs[qid] = size
            expected = native.inputs[qid] if native is not None else None
            size = _row_output(spec, qid, row, size, expected, start)
            outputs[qid] = size

    run("", spec.rows, start)
    for head in spec.aux_heads:
        run(f"{head.id}.", head.rows, outputs[head.tap])
    return ShapePlan(start, inputs, outputs)


def _row_output(
    spec: NetworkSpec, qid: str, row: Row, size: Size, native_in: Size | None, start: Size
) -> Size:
    h, w, c = size.height, size.width, size.channels
    if isinstance(row, ConvRow):
        h, w = conv_output(h, row.window), conv_output(w, row.window)
        c = row.channels
    elif isinstance(row, PoolRow) and row.window is not None:
        h = pool_output(h, row.window, 0, spec.style.pool_ceil)
        w = pool_output(w, row.window, 0, spec.style.pool_ceil)
    elif isinstance(row, PoolRow):
        assert row.grid is not None
        h = w = row.grid
    elif isinstance(row, InceptionRow):
        c = row.ch1x1 + row.ch3x3 + row.ch5x5 + (row.pool_proj or c)
    elif isinstance(row, LinearRow):
        width = h * w * c
        if native_in is not None:
            want = native_in.height * native_in.width * native_in.channels
            if width != want:
                reason = f"row '{qid}' has {want} input features but receives {width}"
                raise InputSizeError(
                    f"{reason} at input {start}: this table's head takes only "
                    f"{native_in.height}×{native_in.width} maps; {_head_advice(spec)}",
                    qid,
                    reason,
                )
        h, w, c = 1, 1, row.features
    else:
        assert isinstance(row, (LrnRow, DropoutRow, SoftmaxRow))
    if h < 1 or w < 1:
        reason = f"row '{qid}' receives a {size.height}×{size.width} map, too small for its window"
        raise InputSizeError(f"{reason} at input {start}; use a larger --input-size", qid, reason)
    return Size(h, w, c)


def _head_advice(spec: NetworkSpec) -> str:
    """What to do about a linear layer that cannot take another input size: name only the
    table's variants that can, or say that none can."""
    native = f"the table's own input size ({spec.input.height})"
    others = [name for name in spec.adaptive_variants if name != spec.variant]
    if others:
        choices = " or ".join(f"--variant {name}" for name in others)
        return f"use a variant whose head pools adaptively ({choices}) or {native}"
    if spec.variant in spec.adaptive_variants:
        return f"leave out the what-ifs that remove its adaptive pooling, or use {native}"
    return f"no variant of this table pools adaptively; use {native}"
