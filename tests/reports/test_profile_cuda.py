"""The profile on a CUDA GPU: events, dtypes, memory, and the model left on its own device.

Skipped without CUDA; run for real on a lent GPU (bench/gpu_check.sh runs them there).
"""

from __future__ import annotations

import pytest
import torch
from conftest import assert_one_line_error
from model_state import assert_same, snapshot
from torch import nn

from gnet_inspect.errors import DeviceError, MemoryLimitError
from gnet_inspect.model import build_model
from gnet_inspect.reports.profile.latency import profile_latency
from gnet_inspect.reports.profile.timing import Block, time_passes

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]
SMALL = {"warmup": 2, "repeats": 5}


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
@pytest.mark.parametrize("channels_last", [False, True])
def test_profile_on_cuda_leaves_the_model_on_the_cpu_as_it_was(specs, dtype, channels_last):
    model = build_model(specs["torchvision"])
    before = snapshot(model)
    result = profile_latency(
        model, 64, batch_size=4, device="cuda", dtype=dtype, channels_last=channels_last,
        depth="branches", **SMALL,
    )  # fmt: skip
    assert_same(before, snapshot(model))
    frame = result.to_frame()
    assert (frame["samples"] == SMALL["repeats"]).all()
    assert (frame["latency_ms"] > 0).all()
    assert result.settings.device == "cuda:0"
    assert "CUDA events" in result.settings.timer
    assert result.settings.device_name == torch.cuda.get_device_name(0)


def test_a_model_already_on_the_gpu_stays_there(specs):
    model = build_model(specs["torchvision"]).cuda()
    before = snapshot(model)
    profile_latency(model, 64, device="cuda", dtype="float16", **SMALL)
    assert_same(before, snapshot(model))


class _Matmuls(nn.Module):
    def __init__(self, times: int) -> None:
        super().__init__()
        self.times = times

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for _ in range(self.times):
            x = torch.tanh(x @ x)
        return x


def test_events_charge_gpu_work_to_the_block_that_queued_it():
    model = nn.Sequential()
    model.add_module("light", nn.Identity())
    model.add_module("heavy", _Matmuls(20))
    model.add_module("after", nn.Identity())
    x = torch.randn(2048, 2048, device="cuda") / 64
    blocks = tuple(
        Block(n, n, "row", (n, "start"), (n, "end")) for n in ("light", "heavy", "after")
    )
    with torch.inference_mode():
        samples = time_passes(model, x, blocks, torch.device("cuda", 0), 2, 5)
    heavy = min(samples.blocks["heavy"])
    assert heavy > 10 * max(samples.blocks["light"])
    assert heavy > 10 * max(samples.blocks["after"])
    assert min(samples.end_to_end) >= heavy * 0.9


def test_an_out_of_memory_batch_is_a_device_error_and_memory_is_given_back(specs):
    model = build_model(specs["torchvision"])
    before = snapshot(model)
    allocated = torch.cuda.memory_allocated()
    with pytest.raises(
        MemoryLimitError, match="profiling a batch of 1000000 224×224 images on cuda"
    ):
        profile_latency(model, 224, batch_size=1_000_000, device="cuda", **SMALL)
    assert_same(before, snapshot(model))
    assert torch.cuda.memory_allocated() == allocated


def test_a_cuda_index_that_does_not_exist_is_refused(specs):
    count = torch.cuda.device_count()
    with pytest.raises(DeviceError, match=f"there are {count} CUDA device"):
        profile_latency(specs["torchvision"], 64, device=f"cuda:{count}", **SMALL)


def test_cli_profiles_on_cuda(cli):
    run = cli(
        "profile", "--device", "cuda", "--variant", "torchvision", "--input-size", "64",
        "--batch-size", "8", "--dtype", "float16", "--channels-last", "--warmup", "2",
        "--repeats", "5", "--format", "csv",
    )  # fmt: skip
    assert run.code == 0 and run.err == ""
    assert run.out.startswith("id,row,kind,type,macs,flops,latency_ms")


def test_cli_out_of_memory_fails_in_one_line(cli):
    run = cli("profile", "--device", "cuda", "--batch-size", "1000000", "--repeats", "1")
    assert_one_line_error(run, "batch size 1000000 does not fit in cuda:0 memory", "--batch-size")
