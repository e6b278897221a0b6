"""The latency profile as data: blocks, MACs, statistics, errors, and the model left as found.

Real networks on small inputs (the torchvision variant takes 64×64) and few passes: these
tests check what a profile holds, never how fast anything is (bench/profile_fidelity.py does).
"""

from __future__ import annotations

import time

import pytest
import torch
from formulas import row_counts
from model_state import assert_same, snapshot
from torch import nn

from gnet_inspect.errors import DeviceError, MemoryLimitError, OptionError
from gnet_inspect.measure.measure import measure
from gnet_inspect.measure.tree import ModuleTree
from gnet_inspect.model import GoogLeNet, build_model
from gnet_inspect.reports.flops import break_down
from gnet_inspect.reports.profile.latency import profile_latency
from gnet_inspect.reports.profile.result import (
    LatencyProfile,
    LatencyStats,
)
from gnet_inspect.reports.profile.timing import Block, plan_blocks, time_passes
from gnet_inspect.reports.table import table_report
from gnet_inspect.spec.whatifs import without_reductions

SMALL = {"warmup": 1, "repeats": 3}


@pytest.fixture(scope="module")
def tv_rows(specs) -> LatencyProfile:
    return profile_latency(specs["torchvision"], 64, **SMALL)


@pytest.fixture(scope="module")
def tv_branches(specs) -> LatencyProfile:
    return profile_latency(specs["torchvision"], 64, depth="branches", batch_size=2, **SMALL)


def test_row_blocks_are_the_main_path_rows_in_forward_order(specs, tv_rows):
    model = build_model(specs["torchvision"], weights="zeros")
    frame = tv_rows.to_frame()
    assert tuple(frame.index) == model.row_ids
    assert set(frame["kind"]) == {"row"}
    assert frame.loc["inception_3a", "type"] == "inception"
    assert frame.loc["pool1", "type"] == "max pool"


def test_branch_depth_splits_each_inception_into_four_branches_and_the_concat(tv_branches):
    frame = tv_branches.to_frame()
    module = frame[frame["row"] == "inception_4e"]
    assert list(module.index) == [
        "inception_4e.branch1x1",
        "inception_4e.branch3x3",
        "inception_4e.branch5x5",
        "inception_4e.branch_pool",
        "inception_4e.concat",
    ]
    assert list(module["type"]) == [
        "ch1x1",
        "ch3x3red → ch3x3",
        "ch5x5red → ch5x5",
        "pool → pool_proj",
        "concat",
    ]
    assert frame.loc["conv2", "kind"] == "row"  # not an Inception module: stays whole
    assert len(frame) == 9 + 9 * 5


def test_branches_of_the_naive_module_are_named_by_their_layers(specs):
    model = build_model(without_reductions(specs["paper"]), weights="zeros")
    blocks = {b.name: b for b in plan_blocks(ModuleTree(model), "branches")}
    branch = model.get_submodule("inception_3a.branch3x3")
    assert [n for n, _ in branch.named_children()] == ["ch3x3"]
    assert blocks["inception_3a.concat"].start == ("inception_3a.branch_pool", "end")


def test_macs_are_the_numbers_table_prints_and_the_closed_form(specs, tv_rows):
    spec = specs["torchvision"]
    table = {row.id: row.macs for row in table_report(measure(spec, 64)).rows}
    counts, _ = row_counts(spec, 64)
    for block, macs in tv_rows.to_frame()["macs"].items():
        assert macs == table[block] == counts[block].macs, block
    assert tv_rows.total_macs == sum(table.values())


def test_branch_macs_add_up_to_their_module_and_match_the_closed_form(specs, tv_rows, tv_branches):
    branches = tv_branches.to_frame()
    by_row = branches.groupby("row")["macs"].sum()
    assert by_row.to_dict() == tv_rows.to_frame()["macs"].to_dict()
    _, shapes = row_counts(specs["torchvision"], 64)
    h, w, c = shapes["pool2"]
    assert branches.loc["inception_3a.branch1x1", "macs"] == h * w * c * 64
    assert branches.loc["inception_3a.concat", "macs"] == 0


@pytest.mark.parametrize(
    ("depth", "profile"), [("modules", "tv_rows"), ("branches", "tv_branches")]
)
def test_profile_joins_flops_on_id_with_the_same_macs_and_share_macs(
    specs, request, depth, profile
):
    frame = request.getfixturevalue(profile).to_frame()
    flops = break_down(measure(specs["torchvision"], 64), depth).to_frame()
    assert frame.index.name == flops.index.name == "id"
    joined = frame.merge(flops, left_index=True, right_index=True, suffixes=("", "_flops"))
    assert set(frame.index) == set(joined.index)  # concatenations included: one vocabulary
    assert joined["macs"].tolist() == joined["macs_flops"].tolist()
    assert joined["share_macs"].tolist() == pytest.approx(joined["share_macs_flops"].tolist())
    assert {"share_latency", "share_macs"} <= set(frame.columns)


def test_every_block_has_repeats_samples_and_ordered_percentiles(tv_branches):
    frame = tv_branches.to_frame()
    assert (frame["samples"] == SMALL["repeats"]).all()
    assert (frame["latency_p10_ms"] <= frame["latency_ms"]).all()
    assert (frame["latency_ms"] <= frame["latency_p90_ms"]).all()
    assert (frame["latency_ms"] > 0).all()
    assert tv_branches.end_to_end.samples == SMALL["repeats"]


def test_shares_and_throughput_follow_from_latency_macs_and_batch(tv_branches):
    frame = tv_branches.to_frame()
    assert frame["share_latency"].sum() == pytest.approx(1)
    assert frame["share_macs"].sum() == pytest.approx(1)
    expected = 2 * frame["macs"] * 2 / (frame["latency_ms"] / 1e3)  # batch 2
    assert frame["flops_per_s"].tolist() == pytest.approx(expected.tolist())
    assert (frame["flops"] == 2 * frame["macs"]).all()
    share = frame["latency_ms"] / tv_branches.blocks_sum_ms
    assert frame["share_latency"].tolist() == pytest.approx(share.tolist())


def test_gap_is_end_to_end_median_minus_sum_of_block_medians(tv_rows):
    blocks_sum = tv_rows.to_frame()["latency_ms"].sum()
    assert tv_rows.blocks_sum_ms == pytest.approx(blocks_sum)
    assert tv_rows.gap_ms == pytest.approx(tv_rows.end_to_end.median_ms - blocks_sum)
    assert tv_rows.gap_share == pytest.approx(tv_rows.gap_ms / tv_rows.end_to_end.median_ms)


def test_settings_record_where_and_how_it_ran(tv_branches):
    s = tv_branches.settings
    assert (s.device, s.dtype, s.batch_size, s.input_size, s.depth) == (
        "cpu",
        "float32",
        2,
        64,
        "branches",
    )
    assert (s.warmup, s.repeats, s.variant) == (1, 3, "torchvision")
    assert s.torch_version == torch.__version__ and s.threads == torch.get_num_threads()
    assert "perf_counter" in s.timer and s.device_name


def test_latency_stats_are_median_and_deciles():
    stats = LatencyStats.of([float(n) for n in range(1, 12)])
    assert (stats.median_ms, stats.p10_ms, stats.p90_ms, stats.samples) == (6, 2, 10, 11)
    assert LatencyStats.of([3.0]) == LatencyStats(3.0, 3.0, 3.0, 1)


class _Sleep(nn.Module):
    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        time.sleep(self.seconds)
        return x


def test_time_spent_in_a_block_is_charged_to_that_block():
    model = nn.Sequential()
    model.add_module("fast", nn.Identity())
    model.add_module("slow", _Sleep(0.02))
    model.add_module("after", nn.Identity())
    blocks = _row_blocks("fast", "slow", "after")
    samples = time_passes(model, torch.zeros(1), blocks, torch.device("cpu"), 0, 3)
    assert min(samples.blocks["slow"]) >= 20
    assert max(samples.blocks["fast"]) < 20 and max(samples.blocks["after"]) < 20
    assert min(samples.end_to_end) >= 20
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())


def test_model_is_left_as_found_after_a_bfloat16_channels_last_profile(specs):
    model = build_model(specs["torchvision"])
    model.train()
    model.dropout.eval()  # a mixed state: every module's own mode must come back
    before = snapshot(model)
    result = profile_latency(model, 64, dtype="bfloat16", channels_last=True, warmup=0, repeats=1)
    assert result.settings.dtype == "bfloat16" and result.settings.channels_last
    assert_same(before, snapshot(model))


def test_a_dtype_the_cpu_cannot_run_is_an_error_and_the_model_is_left_as_found(specs):
    model: GoogLeNet = build_model(specs["caffe"])  # LRN has no float16 kernel on the CPU
    before = snapshot(model)
    with pytest.raises(DeviceError, match=r"dtype float16 cannot run on cpu \(in norm1\)"):
        profile_latency(model, dtype="float16", warmup=0, repeats=1)
    assert_same(before, snapshot(model))


def test_a_batch_too_large_for_memory_is_refused_before_allocating(specs):
    model = build_model(specs["torchvision"])
    before = snapshot(model)
    with pytest.raises(MemoryLimitError, match="profiling a batch of 100000000 64×64 images"):
        profile_latency(model, 64, batch_size=100_000_000, warmup=0, repeats=1)
    assert_same(before, snapshot(model))


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks a machine without CUDA")
def test_cuda_without_cuda_is_a_device_error_not_a_cpu_run(specs):
    with pytest.raises(DeviceError, match=r"--device cuda: .*use --device cpu"):
        profile_latency(specs["torchvision"], 64, device="cuda", **SMALL)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"repeats": 0}, "--repeats 0: it must be at least 1"),
        ({"batch_size": 0}, "--batch-size 0: it must be at least 1"),
        ({"warmup": -1}, "--warmup -1: it must be at least 0"),
        ({"depth": "layer"}, "unknown depth 'layer'; available: modules, branches, layers"),
        ({"dtype": "int8"}, "unknown dtype 'int8'"),
    ],
)
def test_options_out_of_range_are_refused(specs, options, message):
    model = build_model(specs["torchvision"], weights="zeros")
    with pytest.raises(OptionError, match=message):
        profile_latency(model, 64, **options)


@pytest.mark.parametrize("device", ["tpu", "cuda:x", "CPU", "mps", "meta"])
def test_unknown_and_unsupported_devices_get_one_message_naming_the_device(specs, device):
    message = f"--device {device}: unknown or unsupported device; use cpu, cuda or cuda:N"
    with pytest.raises(DeviceError) as refused:
        profile_latency(specs["torchvision"], 64, device=device, **SMALL)
    assert str(refused.value) == message


def _row_blocks(*names: str) -> tuple[Block, ...]:
    """One block per named module, timed from its start to its end."""
    return tuple(Block(name, name, "row", (name, "start"), (name, "end")) for name in names)


def test_layers_are_timed_as_flops_lists_them(specs):
    measured = measure(specs["torchvision"], 64)
    blocks = plan_blocks(measured.tree, "layers")
    flops = break_down(measured, "layers")
    timed = [row.id for row in flops.rows if row.row in measured.tree.main_rows]  # no softmax
    assert [block.name for block in blocks] == timed
    concat = next(block for block in blocks if block.name == "inception_3a.concat")
    assert concat.start == ("inception_3a.branch_pool.pool_proj", "end")
