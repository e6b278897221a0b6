"""The training-step profile on a CUDA GPU: events on the backward stream, dtypes, memory, and
the model left on its own device as it was.

Skipped without CUDA; run for real on a lent GPU (bench/gpu_check.sh runs them there).
"""

from __future__ import annotations

import pytest
import torch
from conftest import assert_one_line_error
from model_state import assert_same, snapshot
from torch import Tensor, nn

from gnet_inspect.errors import MemoryLimitError
from gnet_inspect.model import build_model
from gnet_inspect.reports.profile.step import profile_training
from gnet_inspect.reports.profile.step_timing import time_steps
from gnet_inspect.reports.profile.timing import Block

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]
SMALL = {"warmup": 2, "repeats": 5}


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_a_step_on_cuda_leaves_the_model_on_the_cpu_as_it_was(specs, dtype):
    model = build_model(specs["torchvision"])
    model(torch.randn(2, 3, 64, 64)).logits.sum().backward()
    before = snapshot(model)
    cuda_rng = torch.cuda.get_rng_state()
    result = profile_training(
        model, 64, batch_size=8, device="cuda", dtype=dtype, channels_last=True,
        depth="branches", **SMALL,
    )  # fmt: skip
    assert_same(before, snapshot(model))
    assert torch.equal(torch.cuda.get_rng_state(), cuda_rng)
    assert all(b.backward is not None and b.backward.median_ms > 0 for b in result.blocks)
    assert "CUDA events" in result.settings.timer
    assert result.backward_order[0] == "linear" and result.backward_order[-1] == "conv1"


def test_a_model_already_on_the_gpu_stays_there_with_its_gradients(specs):
    model = build_model(specs["torchvision"]).cuda()
    model(torch.randn(2, 3, 64, 64, device="cuda")).logits.sum().backward()
    before = snapshot(model)
    profile_training(model, 64, device="cuda", optimizer="adam", **SMALL)
    assert_same(before, snapshot(model))


class _Matmuls(nn.Module):
    def __init__(self, times: int) -> None:
        super().__init__()
        self.times = times
        self.scale = nn.Parameter(torch.ones((), device="cuda"))

    def forward(self, x: Tensor) -> Tensor:
        x = x * self.scale
        for _ in range(self.times):
            x = torch.tanh(x @ x)
        return x


def test_events_charge_backward_gpu_work_to_the_block_that_queued_it():
    model = nn.Sequential()
    model.add_module("light", _Matmuls(0))
    model.add_module("heavy", _Matmuls(20))
    model.add_module("after", _Matmuls(0))
    x = torch.randn(2048, 2048, device="cuda") / 64
    blocks = tuple(
        Block(n, n, "row", (n, "start"), (n, "end")) for n in ("light", "heavy", "after")
    )
    samples = time_steps(
        model, lambda: model(x).sum(), lambda: None, blocks, torch.device("cuda", 0), 2, 5
    )
    heavy = min(samples.backward["heavy"] or [0])
    assert heavy > 10 * max(samples.backward["light"] or [1e9])
    assert heavy > 10 * max(samples.backward["after"] or [1e9])
    assert min(samples.plain) >= heavy


def test_a_step_too_large_for_the_gpu_is_refused_before_allocating(specs):
    model = build_model(specs["torchvision"])
    before = snapshot(model)
    allocated = torch.cuda.memory_allocated()
    with pytest.raises(MemoryLimitError, match="a training step on a batch of 100000 224×224"):
        profile_training(model, 224, batch_size=100_000, device="cuda", **SMALL)
    assert_same(before, snapshot(model))
    assert torch.cuda.memory_allocated() == allocated


def test_cli_profiles_a_training_step_on_cuda(cli):
    run = cli(
        "profile", "--pass", "train", "--device", "cuda", "--variant", "torchvision",
        "--input-size", "64", "--batch-size", "8", "--dtype", "float16", "--warmup", "2",
        "--repeats", "5", "--format", "csv",
    )  # fmt: skip
    assert run.code == 0 and run.err == ""
    assert run.out.startswith("id,row,kind,type,macs,backward_input_macs,backward_weight_macs")


def test_cli_out_of_memory_fails_in_one_line(cli):
    run = cli("profile", "--pass", "train", "--device", "cuda", "--batch-size", "100000")
    assert_one_line_error(run, "a training step on a batch of 100000", "--batch-size")
