"""What a profile must leave as it found it: a snapshot of a model, and the check."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class State:
    """Each module's mode, each tensor's identity, place and value, each gradient, the hooks
    (forward and backward) and torch's random-number generator."""

    modes: dict[str, bool]
    tensors: dict[str, tuple[int, int, torch.dtype, torch.device, bool, torch.Tensor]]
    grads: dict[str, torch.Tensor | None]
    hooks: int
    rng: torch.Tensor


def snapshot(model: nn.Module) -> State:
    tensors = {}
    for name, t in [*model.named_parameters(), *model.named_buffers()]:
        data = t.data
        nhwc = data.dim() == 4 and data.is_contiguous(memory_format=torch.channels_last)
        tensors[name] = (id(t), data.data_ptr(), data.dtype, data.device, nhwc, data.clone())
    grads = {
        name: None if p.grad is None else p.grad.clone() for name, p in model.named_parameters()
    }
    hooks = sum(
        len(m._forward_hooks)
        + len(m._forward_pre_hooks)
        + len(m._backward_hooks)
        + len(m._backward_pre_hooks)
        for m in model.modules()
    )
    modes = {n: m.training for n, m in model.named_modules()}
    return State(modes, tensors, grads, hooks, torch.random.get_rng_state())


def assert_same(before: State, after: State) -> None:
    """The same modes, no hooks, every parameter and buffer the same tensor, in the same
    place (device, dtype, memory order), with the same value, the same gradients bit for bit,
    and the random-number generator where it was."""
    assert after.modes == before.modes
    assert after.hooks == before.hooks == 0
    assert after.tensors.keys() == before.tensors.keys()
    for name, (ident, ptr, dtype, device, channels_last, value) in before.tensors.items():
        now = after.tensors[name]
        assert now[:5] == (ident, ptr, dtype, device, channels_last), name
        assert torch.equal(now[5], value), name
    assert after.grads.keys() == before.grads.keys()
    for name, grad in before.grads.items():
        now_grad = after.grads[name]
        assert (grad is None) == (now_grad is None), name
        if grad is not None and now_grad is not None:
            assert torch.equal(grad, now_grad), name
    assert torch.equal(after.rng, before.rng)
