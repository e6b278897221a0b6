"""Multiply-adds of the backward pass, by module, from the measured forward pass.

A convolution or linear layer's backward pass computes the gradient with respect to its
weights (as many multiply-adds as its forward pass: the same products, summed over the other
index) and, unless nothing before it has parameters, the gradient with respect to its input
(a transposed convolution or product: again as many). The first layer reads the image, which
needs no gradient, so it computes only the first. Which layers need the input gradient is
read off the traced training-mode graph: an input needs one when some layer with parameters
lies upstream of it. Bias gradients (sums, no multiplies) and the backward passes of pools and
normalisations are not multiply-adds of convolutions or linear layers and are not counted,
as the forward convention does not count them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from gnet_inspect.measure.trace import PARAM_KINDS

if TYPE_CHECKING:
    from gnet_inspect.measure.measure import Measurement

__all__ = ["BackwardMacs", "backward_macs"]

# Operations with parameters of their own, whose outputs need gradients in training.
_WITH_PARAMS = PARAM_KINDS | {"depthwise convolution", "batch norm"}


@dataclass(frozen=True)
class BackwardMacs:
    """One layer's backward multiply-adds: towards its input and towards its weights."""

    input: int
    weight: int


def backward_macs(measured: Measurement) -> dict[str, BackwardMacs]:
    """The backward multiply-adds of every convolution and linear layer, by module name."""
    graph = measured.graph
    needs_grad: dict[str, bool] = {}
    result: dict[str, BackwardMacs] = {}
    for node in graph.nodes:
        upstream = any(needs_grad.get(name, False) for name in node.inputs)
        needs_grad[node.name] = upstream or node.kind in _WITH_PARAMS
        if node.kind in PARAM_KINDS or node.kind == "depthwise convolution":
            macs = measured.modules[node.module].macs
            result[node.module] = BackwardMacs(input=macs if upstream else 0, weight=macs)
    return result
