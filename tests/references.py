"""The reference implementations the built networks are held to, and the comparison.

torchvision, ``pretrainedmodels`` and timm are test dependencies only (``make test`` installs them
without their dependencies, beside the CPU torch); no weights are downloaded: each reference
network is built with its own random initialisation and its state dict moved into ours by a
rename rule list.

The registry's torchvision wheels are built for CUDA torch: with the CPU torch their compiled
operators fail to register at import (``operator torchvision::nms does not exist``), raised
from ``torchvision._meta_registrations``. Their model code is pure Python, so ``torchvision()``
registers an empty module under that name before importing them: nothing here uses the
compiled operators.
"""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

Renames = list[tuple[str, str]]


def torchvision_models() -> Any:
    """``torchvision.models``, imported without its compiled operators (see above)."""
    sys.modules.setdefault(
        "torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations")
    )
    return pytest.importorskip("torchvision.models")


def pretrainedmodels() -> Any:
    """``pretrainedmodels`` (it imports torchvision, hence the same registration first)."""
    torchvision_models()
    return pytest.importorskip("pretrainedmodels")


def timm() -> Any:
    """timm (it imports torchvision's models, hence the same registration first)."""
    torchvision_models()
    return pytest.importorskip("timm")


def renamed(state: dict[str, torch.Tensor], rules: Renames) -> dict[str, torch.Tensor]:
    """``state`` with each key renamed by the first rule (regex, replacement) that matches;
    a key no rule matches is kept as it is."""
    out = {}
    for key, value in state.items():
        for pattern, replacement in rules:
            new, count = re.subn(pattern, replacement, key)
            if count:
                key = new
                break
        out[key] = value
    return out


def move_weights(reference: nn.Module, ours: nn.Module, rules: Renames) -> None:
    """Loads ``reference``'s state dict into ``ours`` through ``rules``: every tensor of each
    has its counterpart in the other, of the same shape (strict)."""
    state = renamed(reference.state_dict(), rules)
    mine = ours.state_dict()
    assert sorted(state) == sorted(mine), set(state) ^ set(mine)
    for key, value in state.items():
        assert value.shape == mine[key].shape, key
    ours.load_state_dict(state, strict=True)


def flop_total(model: nn.Module, image: torch.Tensor) -> int:
    """torch's own FlopCounterMode total of one eval-mode forward pass."""
    model.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(image)
    return int(counter.get_total_flops())


def same_in_both_modes(
    reference: nn.Module,
    ours: nn.Module,
    image: torch.Tensor,
    outputs: Callable[[Any], tuple[torch.Tensor, ...]],
    ours_outputs: Callable[[Any], tuple[torch.Tensor, ...]],
    rules: Renames,
) -> None:
    """The same outputs bit for bit in eval mode and in training mode from the same seed
    (dropout draws the same masks), and the same BatchNorm statistics after the step."""
    for training in (False, True):
        reference.train(training)
        ours.train(training)
        torch.manual_seed(7)
        with torch.no_grad():
            expected = outputs(reference(image))
        torch.manual_seed(7)
        with torch.no_grad():
            got = ours_outputs(ours(image))
        assert len(got) == len(expected)
        for a, b in zip(got, expected):
            assert torch.equal(a, b), (training, (a - b).abs().max())
    state, mine = renamed(reference.state_dict(), rules), ours.state_dict()
    for key, value in state.items():  # the running statistics the training pass updated
        assert torch.equal(value, mine[key]), key
