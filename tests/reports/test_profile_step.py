"""The training-step profile as data: blocks forward and backward, MACs joined with flops, the
parts outside the blocks, errors, and the model left as found.

Real networks and few steps: these tests check what a profile holds and in what order, never
how fast anything is (bench/profile_fidelity.py --pass train does).
"""

from __future__ import annotations

import statistics
import time

import pytest
import torch
from model_state import assert_same, snapshot
from torch import Tensor, nn

from gnet_inspect.errors import DeviceError, MemoryLimitError, OptionError
from gnet_inspect.measure.measure import measure
from gnet_inspect.model import build_model
from gnet_inspect.reports.flops import break_down
from gnet_inspect.reports.profile.step import profile_training
from gnet_inspect.reports.profile.step_result import StepProfile
from gnet_inspect.reports.profile.step_timing import time_steps
from gnet_inspect.reports.profile.timing import Block
from gnet_inspect.spec.whatifs import apply_whatifs

SMALL = {"warmup": 1, "repeats": 3}


@pytest.fixture(scope="module")
def paper_modules(specs) -> StepProfile:
    return profile_training(specs["paper"], **SMALL)


@pytest.fixture(scope="module")
def tv_branches(specs) -> StepProfile:
    return profile_training(specs["torchvision"], 64, depth="branches", batch_size=2, **SMALL)


def test_blocks_run_forward_in_table_order_with_each_aux_head_after_its_tap(specs, paper_modules):
    ids = [b.id for b in paper_modules.blocks]
    model = build_model(specs["paper"], weights="zeros")
    main = [i for i in ids if paper_modules.blocks[ids.index(i)].kind == "row"]
    assert main == list(model.row_ids)
    for tap, heads in model.taps.items():
        for head in heads:
            rows = [f"{head}.{child}" for child, _ in model.get_submodule(head).named_children()]
            start = ids.index(tap) + 1
            assert ids[start : start + len(rows)] in (
                rows,
                [i for i in ids[start:] if i.startswith(f"{head}.")],
            )
            assert all(paper_modules.blocks[ids.index(r)].kind == "head" for r in rows)


def test_backward_runs_the_blocks_in_reverse_forward_order(paper_modules, tv_branches):
    for profile in (paper_modules, tv_branches):
        forward = [b.id for b in profile.blocks if b.backward is not None and b.kind != "concat"]
        main = [i for i in forward if "." not in i or not i.startswith("aux_")]
        backward_main = [i for i in profile.backward_order if i in main]
        assert backward_main == main[::-1]
        # each head's rows, backwards, between the row after its tap and the tap
        order = list(profile.backward_order)
        rows = {b.id: b.row for b in profile.blocks}
        head = [order.index(i) for i in order if rows[i] == "aux_4a"]
        assert head == sorted(head) and len(head) == 5
        assert order[head[0]] == "aux_4a.classifier" and order[head[-1]] == "aux_4a.pool"
        assert max(order.index(i) for i in order if rows[i] == "inception_4b") < head[0]
        assert min(order.index(i) for i in order if rows[i] == "inception_4a") > head[-1]


def test_backward_macs_join_flops_train_by_id_with_nothing_left_over(specs, tv_branches):
    breakdown = break_down(measure(specs["torchvision"], 64), "branches", "train")
    flops = {r.id: r for r in (*breakdown.rows, *breakdown.aux_rows)}
    frame = tv_branches.to_frame()
    assert set(frame.index) <= set(flops)
    # what flops lists beyond the blocks builds no module: the softmax is in the loss
    modules = dict(build_model(specs["torchvision"], weights="meta").named_modules())
    assert [i for i in set(flops) - set(frame.index) if i in modules] == []
    assert set(flops) - set(frame.index) == {"softmax"}
    for block in tv_branches.blocks:
        row = flops[block.id]
        assert (block.macs, block.backward_input_macs, block.backward_weight_macs) == (
            row.macs,
            row.backward_input_macs,
            row.backward_weight_macs,
        )
    assert tv_branches.step_macs == breakdown.step_macs


def test_only_the_first_layer_computes_no_input_gradient(paper_modules):
    conv1 = paper_modules.blocks[0]
    assert conv1.id == "conv1" and conv1.backward_input_macs == 0
    assert conv1.backward_weight_macs == conv1.macs > 0
    assert all(b.backward_input_macs == b.macs for b in paper_modules.blocks[1:])


def test_every_block_has_a_forward_and_a_backward_with_ordered_percentiles(tv_branches):
    for block in tv_branches.blocks:
        assert block.backward is not None, block.id
        for stats in (block.forward, block.backward):
            assert stats.samples == 3
            assert stats.p10_ms <= stats.median_ms <= stats.p90_ms
            assert stats.median_ms > 0, block.id


def test_the_parts_and_the_sums_add_up(tv_branches):
    p = tv_branches
    assert [part.name for part in p.parts] == ["loss forward", "loss backward", "optimizer"]
    forward = sum(b.forward.median_ms for b in p.blocks)
    backward = sum(b.backward.median_ms for b in p.blocks if b.backward is not None)
    parts = sum(part.latency.median_ms for part in p.parts)
    assert p.sum_ms == pytest.approx(forward + backward + parts)
    assert p.gap_ms == pytest.approx(p.end_to_end.median_ms - p.sum_ms)
    records = p.records()
    assert sum(r["share_time"] for r in records) == pytest.approx((forward + backward) / p.sum_ms)
    assert sum(r["share_macs"] for r in records) == pytest.approx(1.0)
    for r in records:
        flops = 2 * (r["backward_input_macs"] + r["backward_weight_macs"]) * 2  # batch 2
        expected = flops / (r["backward_ms"] / 1e3) if flops else 0.0
        assert r["backward_flops_per_s"] == pytest.approx(expected)


def test_settings_record_the_pass_and_the_optimizer(tv_branches):
    summary = tv_branches.summary()
    assert summary["pass"] == "train" and summary["optimizer"] == "momentum"
    assert summary["settings"]["depth"] == "branches"
    assert "autograd node pre-hooks" in summary["settings"]["timer"]


class _Sleep(nn.Module):
    """Sleeps in its forward, and in its backward through a custom autograd function."""

    def __init__(self, forward_s: float, backward_s: float) -> None:
        super().__init__()
        self.forward_s, self.backward_s = forward_s, backward_s
        self.weight = nn.Parameter(torch.ones(1))

    def forward(self, x: Tensor) -> Tensor:
        time.sleep(self.forward_s)
        return _SleepBackward.apply(x * self.weight, self.backward_s)


class _SleepBackward(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: Tensor, seconds: float) -> Tensor:  # type: ignore[override]
        ctx.seconds = seconds
        return x.clone()

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None]:  # type: ignore[override]
        time.sleep(ctx.seconds)
        return grad, None


def test_time_in_a_blocks_forward_and_backward_is_charged_to_that_block():
    model = nn.Sequential()
    model.add_module("first", _Sleep(0, 0))
    model.add_module("slow", _Sleep(0.02, 0.03))
    model.add_module("last", _Sleep(0, 0))
    blocks = tuple(Block(n, n, "row", (n, "start"), (n, "end")) for n in ("first", "slow", "last"))
    x = torch.ones(3)
    samples = time_steps(
        model, lambda: model(x).sum(), lambda: None, blocks, torch.device("cpu"), 0, 3
    )
    assert min(samples.forward["slow"]) >= 20 and min(samples.backward["slow"] or [0]) >= 30
    for fast in ("first", "last"):  # medians: a shared machine may stall any one step
        assert statistics.median(samples.forward[fast]) < 10
        assert statistics.median(samples.backward[fast] or [99]) < 10
    assert min(samples.plain) >= 50
    assert samples.backward_order == ["last", "slow", "first"]
    assert all(not m._backward_hooks and not m._backward_pre_hooks for m in model.modules())


def test_hooks_are_removed_when_a_step_fails_midway():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    blocks = tuple(Block(n, n, "row", (n, "start"), (n, "end")) for n in ("0", "1"))
    calls = []

    def step() -> Tensor:
        calls.append(1)
        if len(calls) > 2:
            raise KeyboardInterrupt
        return model(torch.ones(1, 2)).sum()

    with pytest.raises(KeyboardInterrupt):
        time_steps(model, step, lambda: None, blocks, torch.device("cpu"), 0, 3)
    for m in model.modules():
        assert not (m._forward_hooks or m._forward_pre_hooks)
        assert not (m._backward_hooks or m._backward_pre_hooks)


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_the_model_is_left_exactly_as_found(specs, optimizer):
    model = build_model(specs["torchvision"])
    model.train()
    model.dropout.eval()  # a mixed state: every module's own mode must come back
    images = torch.randn(2, 3, 64, 64)
    model(images).logits.sum().backward()  # gradients present, as in a paused training loop
    before = snapshot(model)
    profile_training(model, 64, optimizer=optimizer, warmup=1, repeats=2)
    assert_same(before, snapshot(model))


def test_the_model_is_left_as_found_in_bfloat16_channels_last_without_gradients(specs):
    model = build_model(specs["paper"])
    before = snapshot(model)
    profile_training(
        model, dtype="bfloat16", channels_last=True, depth="branches", warmup=0, repeats=1
    )
    assert_same(before, snapshot(model))


def test_every_variant_and_what_if_trains_under_the_hooks(specs):
    for name, spec in specs.items():
        size = 64 if name == "torchvision" else None
        profile = profile_training(spec, size, depth="branches", warmup=0, repeats=1)
        assert all(b.backward is not None for b in profile.blocks), name
    no_aux = apply_whatifs(specs["torchvision"], ["no-aux"])
    profile = profile_training(no_aux, 64, warmup=0, repeats=1)
    assert not [b for b in profile.blocks if b.kind == "head"]


def test_a_dtype_the_cpu_cannot_train_in_is_an_error_and_the_model_is_left_as_found(specs):
    model = build_model(specs["caffe"])  # LRN has no float16 kernel on the CPU
    before = snapshot(model)
    with pytest.raises(DeviceError, match=r"dtype float16 cannot run on cpu \(in norm1\)"):
        profile_training(model, dtype="float16", warmup=0, repeats=1)
    assert_same(before, snapshot(model))


def test_a_step_too_large_for_memory_is_refused_before_allocating(specs):
    model = build_model(specs["torchvision"])
    before = snapshot(model)
    with pytest.raises(MemoryLimitError, match=r"a training step on a batch of 10000000 64×64"):
        profile_training(model, 64, batch_size=10_000_000, warmup=0, repeats=1)
    assert_same(before, snapshot(model))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"depth": "layers"}, r"--depth layers times inference only"),
        ({"depth": "stages"}, r"unknown depth 'stages'; available: modules, branches"),
        ({"optimizer": "lbfgs"}, r"unknown optimizer 'lbfgs'"),
        ({"repeats": 0}, r"--repeats 0: it must be at least 1"),
        ({"device": "cuda:x"}, r"cuda:x"),
    ],
)
def test_options_out_of_range_are_refused(specs, options, message):
    with pytest.raises((OptionError, DeviceError), match=message):
        profile_training(specs["torchvision"], 64, **options)


def test_a_network_without_class_scores_cannot_be_trained(tmp_path):
    from gnet_inspect.spec.loader import load_spec

    table = tmp_path / "map.yaml"
    table.write_text(
        "schema: 1\nname: Map\ninput: 8×8×3\nrows:\n"
        "  - {id: conv, type: convolution, patch: 3×3/1, output: 8×8×4}\n",
        encoding="utf-8",
    )
    with pytest.raises(OptionError, match=r"needs class scores .* ends in a 8×8×4 map"):
        profile_training(load_spec(table), warmup=0, repeats=1)


def test_every_step_starts_from_the_same_weights_so_the_network_never_learns_its_batch(specs):
    # Trained over and over on one batch, this network's loss is 0 within twenty steps and
    # every gradient zero; the profile must time real steps, so each starts where the first did.
    from gnet_inspect.reports.profile.step import _step

    model = build_model(specs["torchvision"]).train()
    first = [p.detach().clone() for p in model.parameters()]
    x = torch.randn(1, 3, 64, 64)
    step, finish, reset = _step(model, x, "momentum")
    losses = []
    for _ in range(25):
        reset()
        loss = step()
        losses.append(loss.item())
        loss.backward()
        finish()
    assert min(losses) > 0.5 * losses[0] > 0  # no step learnt from the ones before
    reset()
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), first, strict=True))
