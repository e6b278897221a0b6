"""The one vocabulary of granularity and of layer kinds, spoken by every report and command.

The levels, coarsest first; each level's entries add up exactly to the level above:

* ``stages``: runs of consecutive rows that output the same resolution (112×112, 56×56, …);
* ``modules``: the table's rows (an aux head's rows are rows too: ``aux_4a.conv``);
* ``branches``: a module's branches, its concatenation (``inception_3a.concat``) and its
  residual connection, if any (``block35_1.residual``: Inception-ResNet); a
  branch that forks (Inception-v3's 8×8 module) is split into its layers before the fork,
  each of the fork's sub-branches and the fork's concatenation, so that no two entries
  overlap; every other row stays whole (conv2's 1×1 reduction and 3×3 convolution are two
  layers of one row, not branches);
* ``layers``: the paper's layers: a convolution unit (convolution, [BatchNorm,] ReLU; a
  depthwise-separable one counts once, as the paper's depth of 1 for its conv1 does), a linear
  unit, a pool, an LRN, a dropout, a module's (or fork's) concatenation, and a residual
  connection's projection and scaled sum (with its ReLU);
* ``operations``: every module that computes (convolution, BatchNorm, ReLU, pool, …) and each
  concatenation.

An entry is named by its module's qualified name, so the ids of ``flops``, ``diagram`` and
``profile`` join; ``measure.tree`` finds the entries of a built network. The layer kinds are
the words of the paper's type column (``convolution``, ``max pool``, ``inception``, …) and,
below a row, ``batch norm``, ``relu``, ``flatten``, ``concat``, ``branch``, ``sequence``,
``depthwise convolution``, ``separable convolution``, ``fork``, ``residual``, ``add``.

Nothing here imports torch, so that every command's help can list the levels.
"""

from __future__ import annotations

from typing import Literal, get_args

from gnet_inspect.errors import OptionError
from gnet_inspect.spec.branches import CONCAT

__all__ = [
    "CONCAT",
    "LEVELS",
    "LEVEL_HELP",
    "PHASES",
    "Level",
    "Phase",
    "level_help",
    "pick_level",
    "pick_phase",
]

Level = Literal["stages", "modules", "branches", "layers", "operations"]
LEVELS: tuple[Level, ...] = get_args(Level)
LEVEL_HELP: dict[Level, str] = {
    "stages": "rows grouped by output resolution",
    "modules": "one entry per table row",
    "branches": "modules split into their branches (forks into sub-branches) and concatenations",
    "layers": "each convolution unit (conv, [BN,] ReLU), pool, linear layer",
    "operations": "every operation: convolution, BatchNorm, ReLU apart",
}


def pick_level(name: str, allowed: tuple[Level, ...] = LEVELS) -> Level:
    """The level called ``name``; OptionError naming the ones ``allowed`` otherwise."""
    for level in allowed:
        if level == name:
            return level
    raise OptionError(f"unknown depth '{name}'; available: {', '.join(allowed)}")


def level_help(levels: tuple[Level, ...]) -> str:
    """What each of ``levels`` means, for a command's help: ``modules: one entry per row; …``."""
    return "; ".join(f"{level}: {LEVEL_HELP[level]}" for level in levels)


Phase = Literal["inference", "train"]
"""What is counted: the inference forward pass, or a training step (forward with the
auxiliary heads, the loss, the backward pass and the optimizer step)."""
PHASES: tuple[Phase, ...] = get_args(Phase)


def pick_phase(name: str) -> Phase:
    """The phase called ``name``; OptionError naming the choices otherwise."""
    for known in PHASES:
        if known == name:
            return known
    raise OptionError(f"unknown --pass '{name}'; available: {', '.join(PHASES)}")
