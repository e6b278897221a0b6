"""A module as a small graph of branches: the structure every Inception generation shares.

A module row runs its branches side by side on the same input and concatenates their outputs
along channels. A branch is an ordered sequence of layers: convolution units (any ``kh×kw``
kernel, stride and padding; [BatchNorm,] the activation), pools (max or average, with their
padding and rounding), and forks, whose sub-branches again run side by side on what the
branch has computed so far and are concatenated (Inception-v3's 8×8 module splits a 3×3 into a
1×3 and a 3×1 this way). GoogLeNet's four-branch shorthand (``ch1x1`` … ``pool_proj``) is one
table's view of this structure: ``googlenet_branches`` writes it out.

A module may also have a ``Residual`` connection (Inception-ResNet): its concatenation is
projected back to the module's input width, scaled and added to the module's input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gnet_inspect.spec.notation import Window

__all__ = [
    "CONCAT",
    "RESIDUAL",
    "Branch",
    "ConvLayer",
    "Fork",
    "Layer",
    "PoolLayer",
    "Residual",
    "googlenet_branches",
    "same_padding",
]


CONCAT = "concat"
"""The name of a module's (or fork's) concatenation among its entries (``mixed_7b.concat``):
no branch or layer may take it."""

RESIDUAL = "residual"
"""The name of a module's residual connection among its entries (``block35_1.residual``): no
branch or layer may take it either."""


@dataclass(frozen=True)
class ConvLayer:
    """A convolution unit: a ``kernel`` (height, width) convolution to ``channels``, padded by
    ``padding`` (height, width), then the table's BatchNorm (if any) and, with ``activation``,
    a ReLU."""

    id: str
    channels: int
    kernel: tuple[int, int]
    stride: int = 1
    padding: tuple[int, int] = (0, 0)
    activation: bool = True


@dataclass(frozen=True)
class PoolLayer:
    """A pool inside a branch. ``ceil`` None follows the table's ``pool_rounding``;
    ``count_include_pad`` is how an average pool divides at a padded border."""

    id: str
    kind: Literal["max", "avg"]
    window: Window
    padding: int = 0
    ceil: bool | None = None
    count_include_pad: bool = True


@dataclass(frozen=True)
class Fork:
    """Sub-branches run side by side on the branch's current output, then concatenated."""

    id: str
    branches: tuple[Branch, ...]


Layer = ConvLayer | PoolLayer | Fork


@dataclass(frozen=True)
class Residual:
    """Inception-ResNet's residual connection (Szegedy et al. 2016, Figures 10 to 19): the
    module's concatenation goes through a 1×1 convolution to ``projection`` channels (with a
    bias, no BatchNorm and no activation: the figures' "Linear"), is multiplied by ``scale``
    (Section 3.3: 0.1 to 0.3) and added to the module's input; then a ReLU, unless
    ``activation`` is False (the released network's last block). The sum needs the
    projection as wide as the module's input and the branches on its grid; ``projection``
    None follows the input's width (a what-if that changes the widths before it)."""

    projection: int | None
    scale: float
    activation: bool = True


@dataclass(frozen=True)
class Branch:
    """One branch of a module or of a fork: its layers, in order."""

    id: str
    layers: tuple[Layer, ...]


def same_padding(kernel: tuple[int, int]) -> tuple[int, int]:
    """The padding that keeps a stride-1 map's size: (k-1)/2 on each axis."""
    return ((kernel[0] - 1) // 2, (kernel[1] - 1) // 2)


def googlenet_branches(
    ch1x1: int,
    reductions: tuple[int | None, int | None, int | None],
    ch3x3: int,
    ch5x5: tuple[int, int],
) -> tuple[Branch, ...]:
    """GoogLeNet's module (Figure 2) in the general form: 1×1; [1×1 reduction,] 3×3;
    [1×1 reduction,] "5×5" (``ch5x5`` is its channels and kernel); 3×3/1 max pool[, 1×1
    projection]. ``reductions`` are ``ch3x3red``, ``ch5x5red`` and ``pool_proj``, None where
    absent (all None is the naive module of Figure 2(a))."""
    ch3x3red, ch5x5red, pool_proj = reductions
    channels5, kernel5 = ch5x5

    def conv(name: str, channels: int, kernel: int) -> ConvLayer:
        square = (kernel, kernel)
        return ConvLayer(name, channels, square, padding=same_padding(square))

    def reduced(reduce: int | None, names: tuple[str, str], out: int, kernel: int) -> list[Layer]:
        first: list[Layer] = [conv(names[0], reduce, 1)] if reduce is not None else []
        return [*first, conv(names[1], out, kernel)]

    pool: list[Layer] = [PoolLayer("pool", "max", Window(3, 1), padding=1)]
    if pool_proj is not None:
        pool.append(conv("pool_proj", pool_proj, 1))
    return (
        Branch("branch1x1", (conv("ch1x1", ch1x1, 1),)),
        Branch("branch3x3", tuple(reduced(ch3x3red, ("ch3x3red", "ch3x3"), ch3x3, 3))),
        Branch("branch5x5", tuple(reduced(ch5x5red, ("ch5x5red", "ch5x5"), channels5, kernel5))),
        Branch("branch_pool", tuple(pool)),
    )
