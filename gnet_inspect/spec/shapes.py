"""Shape arithmetic on a spec: what every row receives and returns, without building anything.

The loader checks the table's ``output size`` column with it, the builder takes every input
width from it (widths are never written twice), and ``--input-size`` is checked with it before
a network is run. The rounding follows PyTorch's pooling arithmetic exactly.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from gnet_inspect.errors import InputSizeError
from gnet_inspect.spec.branches import RESIDUAL, Branch, ConvLayer, Fork, Layer, PoolLayer, Residual
from gnet_inspect.spec.notation import Size, Window
from gnet_inspect.spec.schema import (
    ConvRow,
    DropoutRow,
    InceptionRow,
    LinearRow,
    LrnRow,
    ModuleRow,
    NetworkSpec,
    PoolRow,
    Row,
    SoftmaxRow,
)

__all__ = [
    "ShapePlan",
    "branches_output",
    "conv_output",
    "infer_shapes",
    "layer_output",
    "pool_output",
    "pools_adaptively",
    "qualified_rows",
    "single_value_norms",
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


def single_value_norms(spec: NetworkSpec, input_size: int | None = None) -> tuple[str, ...]:
    """The rows (qualified ids) with a BatchNorm that sees a 1×1 map: in training mode it then
    has one value per channel at batch 1, which PyTorch refuses (Inception-v3's aux head at
    299×299). Every convolution of a module counts, on its own grid."""
    if spec.style.batch_norm_eps is None:
        return ()
    plan = infer_shapes(spec, input_size)
    found = []
    for qid, row, _ in qualified_rows(spec):
        if isinstance(row, ConvRow):
            grids = [plan.outputs[qid]]
        elif isinstance(row, (InceptionRow, ModuleRow)):
            grids = list(_conv_grids(row.branches, plan.inputs[qid], spec.style.pool_ceil))
        else:
            continue
        if any((grid.height, grid.width) == (1, 1) for grid in grids):
            found.append(qid)
    return tuple(found)


def _conv_grids(branches: tuple[Branch, ...], size: Size, pool_ceil: bool) -> Iterator[Size]:
    """The output of every convolution in ``branches`` (forks' included), from ``size``."""
    for branch in branches:
        grid = size
        for layer in branch.layers:
            if isinstance(layer, Fork):
                yield from _conv_grids(layer.branches, grid, pool_ceil)
            grid = layer_output(layer, grid, pool_ceil)
            if isinstance(layer, ConvLayer):
                yield grid


def conv_output(length: int, kernel: int, stride: int, padding: int) -> int:
    """Output length of a convolution (PyTorch's arithmetic; no dilation)."""
    return (length + 2 * padding - kernel) // stride + 1


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

    try:
        run("", spec.rows, start)
        for head in spec.aux_heads:
            run(f"{head.id}.", head.rows, outputs[head.tap])
    except InputSizeError as exc:
        exc.computed = dict(outputs)  # the rows before it, for the loader's report
        raise
    return ShapePlan(start, inputs, outputs)


def _row_output(
    spec: NetworkSpec, qid: str, row: Row, size: Size, native_in: Size | None, start: Size
) -> Size:
    h, w, c = size.height, size.width, size.channels
    if isinstance(row, ConvRow):
        k, stride = row.window.kernel, row.window.stride
        pad = (k - 1) // 2 if row.padding is None else row.padding
        h, w = conv_output(h, k, stride, pad), conv_output(w, k, stride, pad)
        c = row.channels
    elif isinstance(row, PoolRow) and row.window is not None:
        h = pool_output(h, row.window, row.padding, spec.style.pool_ceil)
        w = pool_output(w, row.window, row.padding, spec.style.pool_ceil)
    elif isinstance(row, PoolRow):
        assert row.grid is not None
        h = w = row.grid
    elif isinstance(row, (InceptionRow, ModuleRow)):
        out = branches_output(row.branches, size, spec.style.pool_ceil, qid, start)
        if isinstance(row, ModuleRow) and row.residual is not None:
            out = _residual_output(row.residual, out, size, qid, start)
        h, w, c = _astuple(out)
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


def branches_output(
    branches: tuple[Branch, ...], size: Size, pool_ceil: bool, row: str, start: Size
) -> Size:
    """The size parallel ``branches`` of row ``row`` concatenate to from an input of ``size``:
    every branch must end on the same grid; the channels add up.

    Raises:
        InputSizeError: a layer leaves no output, or two branches end on different grids;
            ``part`` names the branch or layer inside the row (``branch3x3.fork``).
    """
    return _parallel(branches, size, pool_ceil, row, (), start)


def _parallel(
    branches: tuple[Branch, ...],
    size: Size,
    pool_ceil: bool,
    row: str,
    within: tuple[str, ...],
    start: Size,
) -> Size:
    ends = [(b, _branch_output(b, size, pool_ceil, row, (*within, b.id), start)) for b in branches]
    first, grid = ends[0]
    for branch, end in ends[1:]:
        if (end.height, end.width) != (grid.height, grid.width):
            where = ".".join((row, *within))
            reason = (
                f"in '{where}', branch '{branch.id}' ends on the {end.height}×{end.width} grid "
                f"but branch '{first.id}' on {grid.height}×{grid.width}; the branches of a "
                "module must end on one grid to be concatenated"
            )
            part = ".".join((*within, branch.id))
            raise InputSizeError(
                f"{reason} (at input {start}); use another --input-size", row, reason, part
            )
    return Size(grid.height, grid.width, sum(end.channels for _, end in ends))


def _residual_output(residual: Residual, concat: Size, size: Size, row: str, start: Size) -> Size:
    """What a residual module returns: its input's size, which the projected concatenation
    must match to be added to it."""
    reason = None
    if (concat.height, concat.width) != (size.height, size.width):
        reason = (
            f"the branches of '{row}' end on the {concat.height}×{concat.width} grid but it "
            f"receives {size.height}×{size.width}; a residual sum needs one grid"
        )
    elif residual.projection not in (None, size.channels):
        reason = (
            f"the residual of '{row}' projects to {residual.projection} channels but the module "
            f"receives {size.channels}; the sum needs them equal"
        )
    if reason is not None:
        raise InputSizeError(f"{reason} (at input {start})", row, reason, RESIDUAL)
    return size


def _branch_output(
    branch: Branch, size: Size, pool_ceil: bool, row: str, within: tuple[str, ...], start: Size
) -> Size:
    for layer in branch.layers:
        here, received = (*within, layer.id), size
        if isinstance(layer, Fork):
            size = _parallel(layer.branches, size, pool_ceil, row, here, start)
        else:
            size = layer_output(layer, size, pool_ceil)
        if size.height < 1 or size.width < 1:
            where = ".".join((row, *here))
            grid = f"{received.height}×{received.width}"
            reason = f"layer '{where}' receives a {grid} map, too small for its window"
            raise InputSizeError(
                f"{reason} at input {start}; use a larger --input-size", row, reason, ".".join(here)
            )
    return size


def layer_output(layer: Layer, size: Size, pool_ceil: bool) -> Size:
    """The size one layer of a branch makes of ``size`` (a fork: its concatenation), with the
    table's pool rounding ``pool_ceil``; unchecked (``branches_output`` checks)."""
    h, w = size.height, size.width
    if isinstance(layer, ConvLayer):
        (kh, kw), (ph, pw) = layer.kernel, layer.padding
        h, w = conv_output(h, kh, layer.stride, ph), conv_output(w, kw, layer.stride, pw)
        return Size(h, w, layer.channels)
    if isinstance(layer, PoolLayer):
        ceil = pool_ceil if layer.ceil is None else layer.ceil
        h = pool_output(h, layer.window, layer.padding, ceil)
        w = pool_output(w, layer.window, layer.padding, ceil)
        return Size(h, w, size.channels)
    return branches_output(layer.branches, size, pool_ceil, layer.id, size)


def _astuple(size: Size) -> tuple[int, int, int]:
    return size.height, size.width, size.channels


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
