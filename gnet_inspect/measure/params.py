"""Parameter counts: every learnable parameter, and the paper's "weights only" convention."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

__all__ = ["ParamCount", "count_params"]


@dataclass(frozen=True)
class ParamCount:
    """``params``: every learnable number (biases and BatchNorm included); ``weights``: the
    convolution and linear weights alone, which is what the paper's params column counts."""

    params: int
    weights: int

    def __add__(self, other: ParamCount) -> ParamCount:
        return ParamCount(self.params + other.params, self.weights + other.weights)


def count_params(module: nn.Module) -> ParamCount:
    """Counts the parameters of ``module`` and its submodules (shared ones once)."""
    params = sum(p.numel() for p in module.parameters())
    weights = sum(
        m.weight.numel() for m in module.modules() if isinstance(m, (nn.Conv2d, nn.Linear))
    )
    return ParamCount(params, weights)
