"""What a training step costs: backward MACs against FlopCounterMode and a closed form, and
memory (saved for backward, the inference peak, optimizer state) against closed forms and
the allocator."""

from __future__ import annotations

import gc
import re
from pathlib import Path

import pytest
import torch
from formulas import row_counts, saved_bytes
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from gnet_inspect.measure.liveness import forward_memory
from gnet_inspect.measure.measure import measure
from gnet_inspect.measure.training import step_memory
from gnet_inspect.model import build_model
from gnet_inspect.reports.flops import break_down
from gnet_inspect.reports.memory import memory_report
from gnet_inspect.spec.whatifs import (
    with_ch5x5_kernel,
    with_fc_head,
    with_separable_conv1,
    without_aux_heads,
    without_reductions,
)

WHATIFS = {
    "reduce-off": without_reductions,
    "separable-conv1": with_separable_conv1,
    "no-aux": without_aux_heads,
    "fc-head": with_fc_head,
    "3x3-in-5x5": with_ch5x5_kernel,
}


def _networks(specs):
    yield from specs.items()
    for name, whatif in WHATIFS.items():
        yield name, whatif(specs["paper"])


def _flop_counter(spec) -> tuple[int, int]:
    """FLOPs of a real training-mode forward (aux heads on) and backward, by torch's own
    counter: a second counting path, independent of fvcore."""
    model = build_model(spec, weights="zeros").train()
    image = torch.zeros(1, spec.input.channels, spec.input.height, spec.input.width)
    target = torch.zeros(1, dtype=torch.long)
    with FlopCounterMode(display=False) as forward:
        output = model(image)
        loss = (
            model.training_loss(output, target)
            if spec.aux_heads
            else nn.functional.cross_entropy(output, target)
        )
    with FlopCounterMode(display=False) as backward:
        loss.backward()
    return forward.get_total_flops(), backward.get_total_flops()


# FlopCounterMode, batch 1, 224×224, training mode (the reference points).
PUBLISHED = {"paper": (3_182_088_192, 6_128_148_480), "torchvision": (3_013_496_832, 5_790_965_760)}


@pytest.mark.parametrize("name", ["paper", "torchvision"])
def test_train_pass_totals_are_the_flop_counters_reference_points(specs, name):
    b = break_down(measure(specs[name]), "modules", "train")
    assert (2 * b.forward_macs_with_aux, 2 * b.backward_macs) == PUBLISHED[name]


@pytest.mark.parametrize("name", ["caffe", "reduce-off"])
def test_train_pass_matches_flop_counter_mode(specs, name):
    """(separable-conv1 is left out: FlopCounterMode overcounts grouped convolutions'
    backward, see below; the closed form covers it.)"""
    for name, spec in [n for n in _networks(specs) if n[0] == name]:
        b = break_down(measure(spec), "layers", "train")
        assert (2 * b.forward_macs_with_aux, 2 * b.backward_macs) == _flop_counter(spec), name


def test_flop_counter_mode_counts_a_grouped_weight_gradient_groups_times_over():
    """Why separable-conv1 is left out above: torch's counter charges a depthwise
    convolution's weight gradient ``groups`` times its forward MACs, though it is the same
    products summed the other way (as many as the forward pass: the closed form below)."""
    conv = nn.Conv2d(3, 24, 7, 2, 3, groups=3)
    output = conv(torch.zeros(1, 3, 224, 224))
    forward = output.numel() * 7 * 7  # MACs: each output reads one input channel's window
    with FlopCounterMode(display=False) as backward:
        output.sum().backward()
    assert backward.get_total_flops() == 2 * 3 * forward


def test_backward_macs_follow_the_closed_form_row_by_row(specs):
    """Each layer: weight gradient = forward MACs; input gradient = forward MACs, except the
    layer that reads the image (it needs none)."""
    chosen = ("paper", "torchvision", "reduce-off", "separable-conv1", "no-aux")
    for name, spec in [n for n in _networks(specs) if n[0] in chosen]:
        formula, _ = row_counts(spec)
        b = break_down(measure(spec), "modules", "train")
        first = spec.rows[0].id
        for row in (*b.rows, *b.aux_rows):
            macs = formula[row.id].macs
            skipped = _first_layer_macs(spec, formula) if row.id == first else 0
            assert (row.backward_weight_macs, row.backward_input_macs) == (macs, macs - skipped), (
                name,
                row.id,
            )


def _first_layer_macs(spec, formula) -> int:
    """The MACs of the layer that reads the image: conv1, its reduction, or its depthwise
    part, which compute no input gradient."""
    row = spec.rows[0]
    if getattr(row, "reduce", None):
        cin, h = spec.input.channels, spec.input.height
        return h * h * cin * row.reduce
    if getattr(row, "depth_multiplier", None):
        _, shapes = row_counts(spec)
        h, w, _ = shapes[row.id]
        return h * w * spec.input.channels * row.depth_multiplier * row.window.kernel**2
    return formula[row.id].macs


def test_every_level_of_the_train_pass_adds_up(specs):
    measured = measure(specs["torchvision"])
    totals = {
        break_down(measured, level, "train").step_macs
        for level in ("stages", "modules", "branches", "layers", "operations")
    }
    assert len(totals) == 1


def _saved_by_row(spec, saved: dict[str, int]) -> dict[str, int]:
    heads = {head.id for head in spec.aux_heads}
    rows: dict[str, int] = {}
    for name, value in saved.items():
        parts = name.split(".")
        row = ".".join(parts[:2]) if parts[0] in heads else parts[0]
        rows[row] = rows.get(row, 0) + value
    return rows


def test_saved_for_backward_equals_the_closed_form_exactly(specs):
    for name, spec in _networks(specs):
        if name == "caffe":
            continue  # LRN's saved tensors are not in the closed form
        measured = step_memory(spec, spec.input.height, torch.float32, "sgd").saved
        assert _saved_by_row(spec, measured) == {k: v for k, v in saved_bytes(spec).items() if v}, (
            name
        )


def test_saved_bytes_are_measured_on_a_real_cpu_training_step_too(specs):
    """The meta-device measurement saves what a real CPU training step saves."""
    spec = specs["paper"]
    model = build_model(spec, weights="zeros").train()
    weights = {p.untyped_storage().data_ptr() for p in model.parameters()}
    storages: dict[int, int] = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in weights:
            storages[storage.data_ptr()] = storage.nbytes()
        return tensor

    image = torch.zeros(1, 3, 224, 224)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        output = model(image)
        model.training_loss(output, torch.zeros(1, dtype=torch.long))
    meta = step_memory(spec, 224, torch.float32, "sgd")
    assert sum(storages.values()) == sum(meta.saved.values())


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_optimizer_state_is_what_a_real_torch_optimizer_step_keeps(specs, optimizer):
    spec = specs["torchvision"]
    step = step_memory(spec, 224, torch.float32, optimizer)
    params = list(build_model(spec, weights="zeros").parameters())
    for param in params:
        param.grad = torch.zeros_like(param)
    made = {
        "sgd": lambda: torch.optim.SGD(params, lr=0.01),
        "momentum": lambda: torch.optim.SGD(params, lr=0.01, momentum=0.9),
        "adam": lambda: torch.optim.Adam(params),
    }[optimizer]()
    made.step()
    state = [v for values in made.state.values() for v in values.values() if torch.is_tensor(v)]
    assert step.optimizer_bytes == sum(v.numel() * v.element_size() for v in state)
    assert step.gradient_bytes == step.weight_bytes == 4 * 13_004_888  # torchvision, aux included


def test_inference_peak_by_hand_for_the_paper_network(specs):
    """The image, conv1's output and pool1's output are alive together at pool1."""
    peak = forward_memory(measure(specs["paper"]), 4)
    image, conv1, pool1 = 224 * 224 * 3, 112 * 112 * 64, 56 * 56 * 64
    assert (peak.peak_bytes, peak.peak_module) == (4 * (image + conv1 + pool1), "pool1")


def test_inference_peak_holds_an_inception_modules_branches_without_reductions(specs):
    """Without reductions the peak is inside an Inception module: the image, the module's
    input, its four branch outputs and their concatenation are alive at once."""
    naive = without_reductions(specs["paper"])
    measured = measure(naive)
    peak = forward_memory(measured, 4)
    row = measured.tree.row_of(peak.peak_module)
    assert row in measured.tree.inceptions
    index = [r.id for r in measured.rows].index(row)
    before, after = measured.rows[index - 1].output, measured.rows[index].output
    received = before.height * before.width * before.channels
    made = after.height * after.width * after.channels  # the branches' outputs, concatenated
    assert peak.peak_bytes == 4 * (224 * 224 * 3 + received + 2 * made)


def test_memory_report_scales_activations_with_the_batch_and_nothing_else(specs):
    """(The paper's network: torchvision's BatchNorm also saves two statistics per channel,
    which do not grow with the batch.)"""
    measured = measure(specs["paper"])
    one = memory_report(measured, "modules")
    many = memory_report(measured, "modules", batch_size=32)
    activations = many.saved_bytes - many.loss_saved_bytes
    assert activations == 32 * (one.saved_bytes - one.loss_saved_bytes)
    assert many.loss_saved_bytes == 32 * (3 * 4000 + 8) + 3 * 4  # log-softmaxes, targets; weights
    assert many.forward_peak_bytes == 32 * one.forward_peak_bytes
    assert many.fixed_bytes == one.fixed_bytes
    assert [r.output_bytes for r in many.rows] == [32 * r.output_bytes for r in one.rows]


def test_every_level_of_the_memory_report_adds_up(specs):
    measured = measure(specs["torchvision"])
    for level in ("stages", "layers"):
        report = memory_report(measured, level)
        entries = sum(r.saved_bytes for r in (*report.rows, *report.aux_rows))
        assert entries + report.loss_saved_bytes == report.saved_bytes, level
        assert sum(r.weight_bytes for r in report.rows) == 4 * 6_624_904, level


def test_half_precision_halves_the_float_tensors_but_not_the_indices(specs):
    spec = specs["paper"]
    full = step_memory(spec, 224, torch.float32, "sgd")
    half = step_memory(spec, 224, torch.bfloat16, "sgd")
    assert half.weight_bytes * 2 == full.weight_bytes
    assert half.saved["conv1.relu"] * 2 == full.saved["conv1.relu"]
    assert half.saved["pool1"] == full.saved["pool1"] == 56 * 56 * 64 * 8  # int64 indices only


def test_output_bytes_and_the_sum_of_outputs_against_a_real_forward_pass(specs):
    """Every entry's output bytes, and every layer's output summed (torchinfo's convention),
    against forward hooks on a real pass of a zero-weight build: a second path."""
    spec = specs["paper"]
    report = memory_report(measure(spec), "modules", batch_size=2)
    model = build_model(spec, weights="zeros").eval()
    sizes: dict[str, int] = {}
    for name, module in model.named_modules():
        if name:
            module.register_forward_hook(
                lambda _m, _i, out, name=name: sizes.__setitem__(name, out.numel() * 4)
            )
    with torch.no_grad():
        model(torch.zeros(2, 3, 224, 224))
    for row in report.rows:
        assert row.output_bytes == sizes.get(row.id, 0), row.id
    leaves = {n for n, m in model.named_modules() if n and not list(m.children())}
    assert report.outputs_sum_bytes == sum(v for n, v in sizes.items() if n in leaves)
    assert report.rows[0].output_bytes == 2 * 112 * 112 * 64 * 4  # conv1, by hand


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux's VmRSS")
def test_measuring_a_step_again_and_again_keeps_no_memory(specs):
    """The saved tensors are kept out of the graph's own hooks: a tensor those hooks reach is a
    reference cycle through autograd's nodes that no collector frees (each measured step's
    activations, about 100 MiB for GoogLeNet, leaked at every call before)."""

    def resident_mib() -> int:
        status = Path("/proc/self/status").read_text(encoding="utf-8")
        return int(re.search(r"VmRSS:\s+(\d+)", status)[1]) // 1024

    spec = specs["torchvision"]
    step_memory(spec, 224, torch.float32, "sgd", 2)  # allocator and kernels warmed up
    gc.collect()
    before = resident_mib()
    for _ in range(3):
        step_memory(spec, 224, torch.float32, "sgd", 2)
    gc.collect()
    assert resident_mib() - before < 60
