"""What one training step keeps in memory besides the weights, measured on the meta device.

* **Saved for backward**: a real training-mode forward pass (auxiliary heads on, their losses
  weighted as the table says) under ``torch.autograd.graph.saved_tensors_hooks``; every
  tensor autograd saves is charged to the module whose forward saved it, each storage once
  (an in-place ReLU and the convolution after it save one tensor), the weights not at all
  (they are kept anyway). What the loss saves is charged to ``loss``. Autograd saves what the
  CPU kernels save; on CUDA, dropout keeps a one-byte mask instead of a float one.
* **Gradients**: one per parameter, in the weights' dtype (what backward leaves).
* **Optimizer state**: what the optimizer keeps (``measure.optimizers``): momentum buffers,
  Adam's two moments and step counts.

It runs on the CPU with zero weights in float32, or on the meta device (shapes and dtypes,
no memory) in another dtype or where a batch of two would not fit. Every saved tensor's size
is linear in the batch (an activation grows with it; BatchNorm's statistics and the loss's
weight total do not), so a batch of one and a batch of two are measured and any batch
follows exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from gnet_inspect.errors import OptionError
from gnet_inspect.measure.memory import available_bytes, kept_elements
from gnet_inspect.measure.optimizers import OptimizerName, optimizer_state_bytes
from gnet_inspect.measure.trace import kept_mode
from gnet_inspect.model import GoogLeNet, GoogLeNetOutput, build_model
from gnet_inspect.spec.schema import NetworkSpec
from gnet_inspect.spec.shapes import single_value_norms

__all__ = ["LOSS", "StepMemory", "require_trainable", "step_memory", "training_loss"]

LOSS = "loss"


@dataclass(frozen=True)
class StepMemory:
    """Bytes of one training step of a batch: saved for backward, by module (and ``loss``);
    the weights, buffers, gradients and optimizer state, whatever the batch."""

    saved: dict[str, int]
    weight_bytes: int
    buffer_bytes: int
    gradient_bytes: int
    optimizer_bytes: int


def step_memory(
    spec: NetworkSpec,
    size: int,
    dtype: torch.dtype,
    optimizer: OptimizerName,
    batch_size: int = 1,
) -> StepMemory:
    """Measures one training step of ``spec`` on ``batch_size`` ``size``×``size`` images in
    ``dtype``."""
    device = _device(spec, size, dtype)
    # What a step saves is affine in the batch: measured at two batches, it is known at
    # every one. Batches 1 and 2, or 2 and 3 where BatchNorm cannot train at batch 1.
    low = 2 if single_value_norms(spec, size) else 1
    with torch.random.fork_rng(devices=[]):  # dropout draws: the caller's generator is kept
        one, model = _saved(spec, size, dtype, low, device)
        two, _ = _saved(spec, size, dtype, low + 1, device)
    saved = {name: one[name] + (batch_size - low) * (two[name] - one[name]) for name in one}
    params = [p for p in model.parameters() if p.requires_grad]
    return StepMemory(
        saved=saved,
        weight_bytes=sum(p.untyped_storage().nbytes() for p in model.parameters()),
        buffer_bytes=sum(b.untyped_storage().nbytes() for b in model.buffers()),
        gradient_bytes=sum(p.untyped_storage().nbytes() for p in params),  # one per weight
        optimizer_bytes=optimizer_state_bytes(
            optimizer, [p.untyped_storage().nbytes() for p in params]
        ),
    )


def require_trainable(spec: NetworkSpec, size: int, batch_size: int) -> None:
    """Refuses a training step PyTorch cannot run: BatchNorm on a 1×1 map at batch 1.

    Raises:
        OptionError: naming the row and what to do.
    """
    rows = single_value_norms(spec, size)
    if batch_size == 1 and rows:
        raise OptionError(
            f"a training step on one image cannot run: the BatchNorm of row '{rows[0]}' sees a "
            f"1×1 map, one value per channel (PyTorch refuses it in training mode); "
            "use --batch-size 2 or more"
        )


def _device(spec: NetworkSpec, size: int, dtype: torch.dtype) -> str:
    """Where to measure: the CPU with zero weights, in float32, when a batch of two fits with
    room to spare (its kernels are at hand; the meta device's first use imports torch's
    compiler, seconds on a small machine); the meta device otherwise, which allocates nothing
    and runs any dtype."""
    if dtype != torch.float32:
        return "meta"
    weights = 4 * sum(p.numel() for p in build_model(spec, weights="meta").parameters())
    needed = 2 * weights + 2 * 3 * 4 * kept_elements(spec, size)  # twice what a measure keeps
    available = available_bytes()
    return "cpu" if available is not None and needed < available // 2 else "meta"


def _saved(
    spec: NetworkSpec, size: int, dtype: torch.dtype, batch_size: int, device: str
) -> tuple[dict[str, int], GoogLeNet]:
    """Bytes saved for backward by module for a batch, and the model it ran."""
    model = build_model(spec, weights="meta" if device == "meta" else "zeros").to(dtype)
    params = list(model.parameters())
    weights = {p.untyped_storage()._cdata for p in params}
    weights |= {b.untyped_storage()._cdata for b in model.buffers()}
    saved: dict[str, int] = {}
    seen: set[int] = set()
    current: list[str] = []

    kept: list[Tensor] = []

    def pack(tensor: Tensor) -> int:
        """Counts a saved tensor and keeps it alive (so that no storage is freed and its
        address reused while the step runs) in ``kept``, not in the graph, and ``kept`` is
        emptied once the step has run: a saved tensor the graph's own hooks reach is a
        reference cycle through autograd's nodes that no collector sees, and the step's
        activations would leak at every call."""
        storage = tensor.untyped_storage()
        if storage._cdata not in weights and storage._cdata not in seen:
            seen.add(storage._cdata)
            owner = current[-1] if current else LOSS
            saved[owner] = saved.get(owner, 0) + storage.nbytes()
        kept.append(tensor)
        return len(kept) - 1

    shape = (batch_size, spec.input.channels, size, size)
    image = torch.zeros(shape, device=device, dtype=dtype)
    target = torch.zeros(batch_size, dtype=torch.long, device=device)
    with (
        kept_mode(model, training=True),
        _innermost_module(model, current),
        torch.autograd.graph.saved_tensors_hooks(pack, kept.__getitem__),
    ):
        output = model(image)
        current.clear()
        training_loss(model, output, target)
    kept.clear()  # the graph's unpack hook holds the list: emptied, it holds no tensor
    return saved, model


def training_loss(model: GoogLeNet, output: Tensor | GoogLeNetOutput, target: Tensor) -> Tensor:
    """The loss a training step takes on ``output``: the model's own (aux heads weighted)
    when it has heads, cross-entropy otherwise; OptionError when the network ends in no
    class scores."""
    logits = output.logits if isinstance(output, GoogLeNetOutput) else output
    if logits.dim() != 2:
        shape = [*logits.shape[2:], logits.shape[1]]  # the paper's order: height×width×channels
        size = "×".join(str(n) for n in shape)
        raise OptionError(
            f"a training step needs class scores to take a loss on, and table "
            f"'{model.spec.name}' ends in a {size} map; end it in a linear layer"
        )
    if isinstance(output, GoogLeNetOutput):
        return model.training_loss(output, target)
    return nn.functional.cross_entropy(output, target)


@contextmanager
def _innermost_module(model: nn.Module, current: list[str]) -> Iterator[None]:
    """Keeps ``current[-1]`` the qualified name of the module whose forward is running."""

    def enter(name: str) -> Callable[..., None]:
        return lambda *_: current.append(name)

    def leave(*_: object) -> None:
        current.pop()

    handles = []
    for name, module in model.named_modules():
        if name:
            handles.append(module.register_forward_pre_hook(enter(name)))
            handles.append(module.register_forward_hook(leave))
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()
