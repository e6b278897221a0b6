"""Rewriting a module's branch graph: the what-ifs the Inception papers argue, undone.

Inception-v3 factorises convolutions (Section 3): two 3×3 in place of a 5×5 (Figure 5), a
1×n then an n×1 in place of an n×n (Figure 6). ``merge_stacks`` builds the network those
factorisations replaced, each stack of two convolutions as the one convolution with the same
receptive field, stride and output; ``drop_reductions`` removes the 1×1 reductions (the naive
module of GoogLeNet's Figure 2(a)). Both are pure functions of the branches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from gnet_inspect.spec.branches import Branch, ConvLayer, Fork, Layer, PoolLayer

__all__ = ["Pairs", "asymmetric_pair", "drop_reductions", "merge_stacks", "square_pair"]

Pairs = Callable[[ConvLayer, ConvLayer], bool]


def square_pair(first: ConvLayer, second: ConvLayer) -> bool:
    """Two 3×3 convolutions, the first of stride 1: what Figure 5 puts in place of a 5×5."""
    return first.kernel == second.kernel == (3, 3) and first.stride == 1


def asymmetric_pair(first: ConvLayer, second: ConvLayer) -> bool:
    """A 1×n then an n×1 convolution (or n×1 then 1×n), the first of stride 1: Figure 6's
    factorisation of an n×n."""
    (h1, w1), (h2, w2) = first.kernel, second.kernel
    return first.stride == 1 and (h1, w1) == (w2, h2) and 1 in (h1, w1) and h1 != w1


def merge_stacks(branches: tuple[Branch, ...], pairs: Pairs) -> tuple[Branch, ...]:
    """Every two consecutive convolutions that ``pairs`` accepts, as one: its kernel spans
    both receptive fields (k1 + k2 − 1 on each axis), its padding is both paddings added, its
    stride the second's, its channels and activation the second's, so that the output grid is
    the same. A stack is merged from the front (1×7, 7×1, 1×7, 7×1 becomes two 7×7)."""
    return tuple(Branch(b.id, _merged(b.layers, pairs)) for b in branches)


def _merged(layers: tuple[Layer, ...], pairs: Pairs) -> tuple[Layer, ...]:
    out: list[Layer] = []
    mergeable = False  # whether out[-1] is a convolution of the branch as written
    for layer in layers:
        if isinstance(layer, Fork):
            layer = Fork(layer.id, merge_stacks(layer.branches, pairs))
        last = out[-1] if out else None
        if (
            mergeable
            and isinstance(last, ConvLayer)
            and isinstance(layer, ConvLayer)
            and pairs(last, layer)
        ):
            out[-1] = _one_convolution(last, layer)
            mergeable = False  # a merged convolution does not merge again
            continue
        out.append(layer)
        mergeable = isinstance(layer, ConvLayer)
    return tuple(out)


def _one_convolution(first: ConvLayer, second: ConvLayer) -> ConvLayer:
    """The convolution a stack of ``first`` (stride 1) then ``second`` factorises."""
    return ConvLayer(
        f"{first.id}_{second.id}",
        second.channels,
        (first.kernel[0] + second.kernel[0] - 1, first.kernel[1] + second.kernel[1] - 1),
        second.stride,
        (first.padding[0] + second.padding[0], first.padding[1] + second.padding[1]),
        second.activation,
    )


def drop_reductions(branches: tuple[Branch, ...]) -> tuple[Branch, ...]:
    """The branches without their 1×1 reductions: a stride-1 1×1 convolution that another
    convolution (or a fork) follows in its branch, and a 1×1 projection that ends a branch
    after a pool (which then passes its whole input on)."""
    return tuple(Branch(b.id, _unreduced(b.layers)) for b in branches)


def _unreduced(layers: tuple[Layer, ...]) -> tuple[Layer, ...]:
    out: list[Layer] = []
    for i, layer in enumerate(layers):
        following = layers[i + 1] if i + 1 < len(layers) else None
        after_pool = i > 0 and isinstance(layers[i - 1], PoolLayer) and following is None
        if _is_reduction(layer) and (isinstance(following, (ConvLayer, Fork)) or after_pool):
            continue
        if isinstance(layer, Fork):
            layer = replace(layer, branches=drop_reductions(layer.branches))
        out.append(layer)
    return tuple(out)


def _is_reduction(layer: Layer) -> bool:
    return isinstance(layer, ConvLayer) and layer.kernel == (1, 1) and layer.stride == 1
