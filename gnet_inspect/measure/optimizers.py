"""The optimizers a training step can be costed with: their names and what they keep.

Torch-free, so that every command's help can list them. What each keeps per weight tensor is
written here, as ``torch.optim`` documents and builds it: a buffer the size of the weight for
momentum, two for Adam and a float32 step count (creating a real ``torch.optim`` optimizer
imports torch's compiler, seconds on a small machine; the tests step the real ones and check
these counts against them).
"""

from __future__ import annotations

from typing import Literal, get_args

from gnet_inspect.errors import OptionError

__all__ = [
    "OPTIMIZERS",
    "OPTIMIZER_HELP",
    "OptimizerName",
    "optimizer_state_bytes",
    "pick_optimizer",
]

OptimizerName = Literal["sgd", "momentum", "adam"]
OPTIMIZERS: tuple[OptimizerName, ...] = get_args(OptimizerName)
OPTIMIZER_HELP: dict[OptimizerName, str] = {
    "sgd": "plain SGD, no state",
    "momentum": "SGD with momentum 0.9, as the paper trained: one buffer per weight",
    "adam": "Adam: two moments per weight and a step count per tensor",
}


# Per weight tensor: buffers the size of the weight, and float32 scalars.
_STATE: dict[OptimizerName, tuple[int, int]] = {"sgd": (0, 0), "momentum": (1, 0), "adam": (2, 1)}


def optimizer_state_bytes(optimizer: OptimizerName, weight_bytes: list[int]) -> int:
    """The state ``optimizer`` keeps for weight tensors of ``weight_bytes`` bytes each."""
    buffers, scalars = _STATE[optimizer]
    return buffers * sum(weight_bytes) + 4 * scalars * len(weight_bytes)


def pick_optimizer(name: str) -> OptimizerName:
    """The optimizer called ``name``; OptionError naming the choices otherwise."""
    for known in OPTIMIZERS:
        if known == name:
            return known
    raise OptionError(f"unknown optimizer '{name}'; available: {', '.join(OPTIMIZERS)}")
