"""What a profile must leave as it found it: a snapshot of a model, and the check."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class State:
    """Each module's mode, each tensor's identity, place and value, and the hooks."""

    modes: dict[str, bool]
    tensors: dict[str, tuple[int, int, torch.dtype, torch.device, bool, torch.Tensor]]
    hooks: int


def snapshot(model: nn.Module) -> State:
    tensors = {}
    for name, t in [*model.named_parameters(), *model.named_buffers()]:
        data = t.data
        nhwc = data.dim() == 4 and data.is_contiguous(memory_format=torch.channels_last)
        tensors[name] = (id(t), data.data_ptr(), data.dtype, data.device, nhwc, data.clone())
    hooks = sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())
    return State({n: m.training for n, m in model.named_modules()}, tensors, hooks)


def assert_same(before: State, after: State) -> None:
    """The same modes, no hooks, and every parameter and buffer the same tensor, in the same
    place (device, dtype, memory order), with the same value."""
    assert after.modes == before.modes
    assert after.hooks == before.hooks == 0
    assert after.tensors.keys() == before.tensors.keys()
    for name, (ident, ptr, dtype, device, channels_last, value) in before.tensors.items():
        now = after.tensors[name]
        assert now[:5] == (ident, ptr, dtype, device, channels_last), name
        assert torch.equal(now[5], value), name
