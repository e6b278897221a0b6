"""What-ifs as spec transforms: each takes a NetworkSpec and returns another, never a model.

The result is built and measured like any other network, so every number about an ablation
comes from a real network. Each transform refuses, with an OptionError, a table it does not
apply to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from gnet_inspect.errors import OptionError
from gnet_inspect.spec.branch_edits import (
    Pairs,
    asymmetric_pair,
    drop_reductions,
    merge_stacks,
    square_pair,
)
from gnet_inspect.spec.schema import (
    ConvRow,
    DropoutRow,
    InceptionRow,
    LinearRow,
    ModuleRow,
    NetworkSpec,
    PoolRow,
    Row,
)

__all__ = [
    "WHATIFS",
    "WhatIf",
    "apply_whatifs",
    "has_reductions",
    "unreduced",
    "with_ch5x5_kernel",
    "with_fc_head",
    "with_separable_conv1",
    "with_square_kernels",
    "with_whole_5x5",
    "without_aux_heads",
    "without_reductions",
    "without_residuals",
]


def _inception_rows(spec: NetworkSpec, what: str) -> None:
    if not any(isinstance(row, (InceptionRow, ModuleRow)) for row in spec.rows):
        raise OptionError(f"{what} needs Inception rows; table {spec.origin} has none")


def without_reductions(spec: NetworkSpec) -> NetworkSpec:
    """Every Inception module as the naive module of Figure 2(a): no 1×1 reduction before the
    larger convolutions and no pool projection, so the pool branch passes its whole input
    on (for a module written as branches, ``branch_edits.drop_reductions``). Later widths
    (next modules, aux heads, classifier) follow from the built widths. The stem's conv2
    keeps its 1×1: it is no Inception module."""
    _inception_rows(spec, "--reduce off")
    rows = tuple(unreduced(row) for row in spec.rows)
    if rows == spec.rows:
        raise OptionError(
            f"--reduce off: the modules of table {spec.origin} have no 1×1 reduction to remove"
        )
    return _with(spec, "reduce off", rows)


def unreduced(row: Row) -> Row:
    """One row as ``--reduce off`` builds it: a module without its 1×1 reductions (GoogLeNet's
    columns without ``ch3x3red``, ``ch5x5red`` and ``pool_proj``; a branch graph through
    ``branch_edits.drop_reductions``); any other row as it is."""
    if isinstance(row, InceptionRow):
        return replace(row, ch3x3red=None, ch5x5red=None, pool_proj=None)
    if isinstance(row, ModuleRow):
        return replace(row, branches=drop_reductions(row.branches))
    return row


def has_reductions(row: Row) -> bool:
    """Whether ``--reduce off`` changes ``row`` (a module with a 1×1 reduction)."""
    return unreduced(row) != row


def with_whole_5x5(spec: NetworkSpec) -> NetworkSpec:
    """Each stack of two 3×3 convolutions in a module as the one 5×5 it factorises
    (Inception-v3's Figure 5 undone; BN-Inception's "double 3×3" too)."""
    return _merging(spec, square_pair, "5×5 for two 3×3", "5x5-for-3x3s", "two 3×3 in a row")


def with_square_kernels(spec: NetworkSpec) -> NetworkSpec:
    """Each 1×n then n×1 convolution in a module as the one n×n it factorises
    (Inception-v3's Figure 6 undone: 7×7 in place of 1×7 and 7×1)."""
    return _merging(spec, asymmetric_pair, "n×n for 1×n + n×1", "nxn-for-1xn", "a 1×n and n×1")


def _merging(spec: NetworkSpec, pairs: Pairs, name: str, option: str, what: str) -> NetworkSpec:
    rows = tuple(
        replace(row, branches=merge_stacks(row.branches, pairs))
        if isinstance(row, ModuleRow)
        else row
        for row in spec.rows
    )
    if rows == spec.rows:
        raise OptionError(
            f"{option} needs modules with {what} in a branch; table {spec.origin} has none"
        )
    return _with(spec, name, rows)


def with_separable_conv1(spec: NetworkSpec, depth_multiplier: int = 8) -> NetworkSpec:
    """conv1 as the depthwise-separable convolution the paper's printed numbers describe:
    a depthwise 7×7/2 convolution with ``depth_multiplier`` filters per input channel, then a
    1×1 pointwise convolution (2,712 weights and 34M multiply-adds at 224×224 with 8)."""
    first = next((row for row in spec.rows if isinstance(row, ConvRow)), None)
    if first is None or first.reduce is not None:
        raise OptionError(
            f"separable-conv1 needs a first convolution row without a reduction; "
            f"table {spec.origin} has none"
        )
    rows = tuple(
        replace(row, depth_multiplier=depth_multiplier) if row is first else row
        for row in spec.rows
    )
    return _with(spec, f"separable {first.id}", rows)


def without_aux_heads(spec: NetworkSpec) -> NetworkSpec:
    """The network without its auxiliary classifiers (what inference runs)."""
    if not spec.aux_heads:
        raise OptionError(f"no-aux needs auxiliary heads; table {spec.origin} has none")
    return replace(spec, aux_heads=(), whatifs=(*spec.whatifs, "no aux heads"))


def with_fc_head(spec: NetworkSpec) -> NetworkSpec:
    """The classifier fully connected over the last feature map, without the average pooling
    the paper credits with +0.6% top-1 (its linear layer then reads 7×7×1024 at 224×224)."""
    rows = list(spec.rows)
    linear = max((i for i, r in enumerate(rows) if isinstance(r, LinearRow)), default=None)
    pool = None
    if linear is not None:
        before = [i for i in range(linear) if not isinstance(rows[i], DropoutRow)]
        pool = before[-1] if before and isinstance(rows[before[-1]], PoolRow) else None
    if pool is None or rows[pool].printed.type not in ("avg pool", "adaptive avg pool"):
        raise OptionError(
            f"fc-head needs an average pool before the classifier; table {spec.origin} has none"
        )
    del rows[pool]
    return _with(spec, "fc head", tuple(rows))


def with_ch5x5_kernel(spec: NetworkSpec, kernel: int = 3) -> NetworkSpec:
    """Every Inception module's "5×5" branch with a ``kernel``×``kernel`` convolution, as
    torchvision's port has (3×3; pytorch/vision issue 906)."""
    if not any(isinstance(row, InceptionRow) for row in spec.rows):
        raise OptionError(
            f"{kernel}x{kernel}-in-5x5 needs GoogLeNet-style Inception rows (with a 5×5 "
            f"branch); table {spec.origin} has none"
        )
    rows = tuple(
        replace(row, ch5x5_kernel=kernel) if isinstance(row, InceptionRow) else row
        for row in spec.rows
    )
    return _with(spec, f"{kernel}×{kernel} in the 5×5 branch", rows)


def without_residuals(spec: NetworkSpec) -> NetworkSpec:
    """Every module without its residual connection (Inception-ResNet undone): no 1×1
    projection and no scaled sum, so each module returns its concatenation, as Inception-v4's
    do. Later widths (the next modules, the classifier) follow from the built widths."""
    rows = tuple(
        replace(row, residual=None) if isinstance(row, ModuleRow) else row for row in spec.rows
    )
    if rows == spec.rows:
        raise OptionError(
            f"no-residual needs modules with a residual connection; table {spec.origin} has none"
        )
    return _with(spec, "no residual", rows)


def _with(spec: NetworkSpec, name: str, rows: tuple[Row, ...]) -> NetworkSpec:
    """``spec`` with ``rows`` and the what-if's name; each residual connection's projection
    then follows its module's input, which the what-if may have widened or narrowed."""
    followed = tuple(
        replace(row, residual=replace(row.residual, projection=None))
        if isinstance(row, ModuleRow) and row.residual is not None
        else row
        for row in rows
    )
    return replace(spec, rows=followed, whatifs=(*spec.whatifs, name))


@dataclass(frozen=True)
class WhatIf:
    """A named what-if for the command line: its transform and a one-line description."""

    name: str
    transform: Callable[[NetworkSpec], NetworkSpec]
    help: str


WHATIFS: dict[str, WhatIf] = {
    w.name: w
    for w in (
        WhatIf("separable-conv1", with_separable_conv1, "conv1 depthwise-separable (multiplier 8)"),
        WhatIf("no-aux", without_aux_heads, "drop the auxiliary classifiers"),
        WhatIf("fc-head", with_fc_head, "linear layer over the 7×7 map, no average pooling"),
        WhatIf("3x3-in-5x5", with_ch5x5_kernel, "3×3 kernels in the 5×5 branch (torchvision)"),
        WhatIf("5x5-for-3x3s", with_whole_5x5, "one 5×5 for each two stacked 3×3 (v3 Fig. 5)"),
        WhatIf("nxn-for-1xn", with_square_kernels, "one n×n for each 1×n + n×1 (v3 Fig. 6)"),
        WhatIf("no-residual", without_residuals, "modules without their residual connections"),
    )
}


def apply_whatifs(spec: NetworkSpec, names: list[str]) -> NetworkSpec:
    """Applies the named what-ifs in order; an unknown or repeated name raises OptionError."""
    for name in names:
        if names.count(name) > 1:
            raise OptionError(f"what-if '{name}' is given {names.count(name)} times; give it once")
        if name not in WHATIFS:
            raise OptionError(f"unknown what-if '{name}'; available: {', '.join(WHATIFS)}")
        spec = WHATIFS[name].transform(spec)
    return spec
