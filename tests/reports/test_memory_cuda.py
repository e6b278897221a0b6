"""Memory on a CUDA GPU against the allocator's own record (``max_memory_allocated``).

Skipped without CUDA; run for real on a lent GPU (bench/gpu_check.sh runs them there).
"""

from __future__ import annotations

import pytest
import torch

from gnet_inspect.measure.measure import measure
from gnet_inspect.model import build_model
from gnet_inspect.reports.memory import memory_report

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]
BATCH = 16


@pytest.mark.parametrize("variant", ["paper", "torchvision"])
def test_inference_peak_against_max_memory_allocated(specs, variant):
    """The allocator holds the computed live activations and the kernels' workspace (cuDNN's
    scratch for the largest convolution): at least the computed peak, at most twice it."""
    report = memory_report(
        measure(specs[variant]), "modules", batch_size=BATCH, measure_peak="cuda"
    )
    measured = report.measured_peak
    assert measured is not None and measured.device.startswith("cuda")
    assert report.forward_peak_bytes <= measured.bytes <= 2 * report.forward_peak_bytes


@pytest.mark.parametrize("variant", ["paper", "torchvision"])
def test_training_memory_after_the_forward_pass_against_the_allocator(specs, variant):
    """What a CUDA training step holds after its forward pass (the weights and input aside)
    is what autograd saved, within 15%: CUDA's dropout keeps a one-byte mask where the CPU's
    keeps a float one, and the logits and the loss's own outputs are alive too."""
    spec = specs[variant]
    report = memory_report(measure(spec), "modules", batch_size=BATCH)
    model = build_model(spec, weights="zeros").cuda().train()
    image = torch.zeros(BATCH, 3, 224, 224, device="cuda")
    target = torch.zeros(BATCH, dtype=torch.long, device="cuda")
    torch.cuda.synchronize()
    before = torch.cuda.memory_allocated()
    loss = model.training_loss(model(image), target)
    torch.cuda.synchronize()
    held = torch.cuda.memory_allocated() - before
    assert 0.85 * report.saved_bytes <= held <= 1.15 * report.saved_bytes
    loss.backward()
    grads = sum(p.grad.numel() * 4 for p in model.parameters() if p.grad is not None)
    assert grads == report.gradient_bytes
