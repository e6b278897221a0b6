"""The optimizers a training step can be costed with: their names and what they keep.

Torch-free, so that every command's help can list them; ``measure.training`` steps the real
``torch.optim`` optimizer of each name.
"""

from __future__ import annotations

from typing import Literal, get_args

from gnet_inspect.errors import OptionError

__all__ = ["OPTIMIZERS", "OPTIMIZER_HELP", "OptimizerName", "pick_optimizer"]

OptimizerName = Literal["sgd", "momentum", "adam"]
OPTIMIZERS: tuple[OptimizerName, ...] = get_args(OptimizerName)
OPTIMIZER_HELP: dict[OptimizerName, str] = {
    "sgd": "plain SGD, no state",
    "momentum": "SGD with momentum 0.9, as the paper trained: one buffer per weight",
    "adam": "Adam: two moments per weight and a step count per tensor",
}


def pick_optimizer(name: str) -> OptimizerName:
    """The optimizer called ``name``; OptionError naming the choices otherwise."""
    for known in OPTIMIZERS:
        if known == name:
            return known
    raise OptionError(f"unknown optimizer '{name}'; available: {', '.join(OPTIMIZERS)}")
