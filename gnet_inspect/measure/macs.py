"""Multiply-accumulates per module, measured with fvcore under one explicit op policy.

The policy, in one place:

* ``macs``: the multiply-adds of convolutions and linear layers, the convention of the paper's
  ops column and of torchvision's published figure (one multiply-add = 1; bias adds are not
  counted). FLOPs are 2 × MACs.
* ``other_ops``: counted apart, never mixed into MACs: pooling (one op per window element per
  output), BatchNorm (one multiply-add per element, as it folds into a scale and shift), and
  the arithmetic of local response normalisation, one op per output element of each of its
  operators (square, window sum of 5, scale, shift, power, divide: 10 per element).
* not counted, by convention: activations, concatenation, dropout, reshapes and padding.
* any other operator the trace meets is reported by name in ``MacReport.unrecognised``, never
  dropped silently.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

import torch
from fvcore.nn import FlopCountAnalysis
from fvcore.nn.jit_handles import (
    addmm_flop_jit,
    bmm_flop_jit,
    conv_flop_jit,
    get_shape,
    linear_flop_jit,
    matmul_flop_jit,
)
from torch import nn

__all__ = ["NOT_COUNTED", "MacReport", "count_macs"]

MACS = "macs"
OTHER = "other_ops"
NOT_COUNTED: tuple[str, ...] = (
    "aten::relu",
    "aten::relu_",
    "aten::cat",
    "aten::dropout",
    "aten::feature_dropout",
    "aten::flatten",
    "aten::view",
    "aten::reshape",
    "aten::pad",
    "aten::constant_pad_nd",
    "aten::squeeze",
    "aten::unsqueeze",
    "aten::contiguous",
    "aten::size",
    "aten::add_",  # BatchNorm's step counter in training mode: no activation maths
)


@dataclass(frozen=True)
class MacReport:
    """MACs and other ops by module name ("" is the whole network), for one input."""

    macs: dict[str, int]
    other_ops: dict[str, int]
    unrecognised: dict[str, int]


def _as(category: str, handle: Any) -> Any:
    def counted(inputs: list[Any], outputs: list[Any]) -> Counter[str]:
        result = handle(inputs, outputs)
        return Counter(
            {category: int(sum(result.values()) if isinstance(result, Counter) else result)}
        )

    return counted


def _int_list(value: Any) -> list[int]:
    """A traced ``List[int]`` argument: a constant, or a ListConstruct of constants."""
    constant = value.toIValue()
    if constant is not None:
        return list(constant)
    return [item.toIValue() for item in value.node().inputs()]


def _window(inputs: list[Any], outputs: list[Any]) -> Counter[str]:
    kernel = _int_list(inputs[1])
    return Counter({OTHER: math.prod(get_shape(outputs[0])) * math.prod(kernel)})


def _per_input_element(inputs: list[Any], outputs: list[Any]) -> Counter[str]:
    return Counter({OTHER: math.prod(get_shape(inputs[0]))})


def _per_output_element(inputs: list[Any], outputs: list[Any]) -> Counter[str]:
    return Counter({OTHER: math.prod(get_shape(outputs[0]))})


_HANDLES: dict[str, Any] = {
    "aten::_convolution": _as(MACS, conv_flop_jit),
    "aten::linear": _as(MACS, linear_flop_jit),
    "aten::addmm": _as(MACS, addmm_flop_jit),
    "aten::matmul": _as(MACS, matmul_flop_jit),
    "aten::mm": _as(MACS, matmul_flop_jit),
    "aten::bmm": _as(MACS, bmm_flop_jit),
    "aten::max_pool2d": _window,
    "aten::avg_pool2d": _window,
    "aten::avg_pool3d": _window,
    "aten::adaptive_avg_pool2d": _per_input_element,
    "aten::batch_norm": _per_input_element,
    "aten::mul": _per_output_element,
    "aten::add": _per_output_element,
    "aten::pow": _per_output_element,
    "aten::div": _per_output_element,
}


def count_macs(model: nn.Module, inputs: torch.Tensor) -> MacReport:
    """Counts MACs and other ops of ``model`` on ``inputs`` with fvcore, by module name.

    The model runs as it is (its mode is the caller's); gradients are off while it traces.
    """
    analysis = FlopCountAnalysis(model, inputs)
    analysis.clear_op_handles()
    analysis.set_op_handle(**_HANDLES, **dict.fromkeys(NOT_COUNTED))
    analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    analysis.tracer_warnings("none")
    with torch.no_grad():
        by_module = analysis.by_module_and_operator()
    return MacReport(
        macs={name: ops.get(MACS, 0) for name, ops in by_module.items()},
        other_ops={name: ops.get(OTHER, 0) for name, ops in by_module.items()},
        unrecognised=dict(analysis.unsupported_ops()),
    )
