"""The built network: a real nn.Module named by the table, forward and backward on the CPU."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gnet_inspect.measure.measure import measure
from gnet_inspect.model import GoogLeNetOutput, build_model


@pytest.mark.parametrize("variant", ["paper", "caffe", "torchvision"])
def test_submodules_are_named_by_the_table_row_ids(specs, variant):
    spec = specs[variant]
    model = build_model(spec, weights="zeros")
    children = [name for name, _ in model.named_children()]
    with_modules = [row.id for row in spec.rows if row.printed.type != "softmax"]
    assert children == with_modules + [head.id for head in spec.aux_heads]


@pytest.mark.parametrize("variant", ["paper", "caffe", "torchvision"])
def test_training_step_reaches_every_parameter(specs, variant):
    torch.manual_seed(0)
    model = build_model(specs[variant])
    output = model(torch.randn(2, 3, 224, 224))
    assert isinstance(output, GoogLeNetOutput)
    assert output.logits.shape == (2, 1000)
    assert {k: v.shape for k, v in output.aux.items()} == {
        "aux_4a": (2, 1000),
        "aux_4d": (2, 1000),
    }
    loss = model.training_loss(output, torch.tensor([3, 7]))
    loss.backward()
    missing = [name for name, p in model.named_parameters() if p.grad is None]
    assert missing == []
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())


def test_training_loss_weights_the_aux_heads_as_the_table_says(specs):
    model = build_model(specs["paper"])
    logits = torch.zeros(1, 1000)
    output = GoogLeNetOutput(logits, {"aux_4a": logits, "aux_4d": logits})
    per_head = nn.functional.cross_entropy(logits, torch.tensor([0]))
    assert torch.isclose(model.training_loss(output, torch.tensor([0])), per_head * (1 + 0.3 + 0.3))


def test_eval_mode_returns_logits_without_running_the_aux_heads(specs):
    model = build_model(specs["paper"]).eval()
    calls = []
    hook = model.aux_4a.register_forward_hook(lambda *args: calls.append(1))
    with torch.no_grad():
        logits = model(torch.randn(1, 3, 224, 224))
    hook.remove()
    assert logits.shape == (1, 1000)
    assert calls == []


def test_every_row_output_shape_equals_the_printed_column(specs):
    for spec in specs.values():
        model = build_model(spec, weights="zeros").train()
        shapes: dict[str, tuple[int, ...]] = {}
        hooks = [
            model.get_submodule(name).register_forward_hook(
                lambda _m, _i, out, name=name, shapes=shapes: shapes.__setitem__(
                    name, tuple(out.shape)
                )
            )
            for name in [r.id for r in spec.rows if r.printed.type != "softmax"]
        ]
        with torch.no_grad():
            model(torch.zeros(1, 3, 224, 224))
        for hook in hooks:
            hook.remove()
        for row in spec.rows:
            if row.id in shapes:
                printed = row.printed.output
                expected = (1, printed.channels, printed.height, printed.width)
                assert shapes[row.id] in (expected, (1, printed.channels)), row.id


def test_initialised_weights_are_not_zero_and_zeros_build_is(specs):
    trained = build_model(specs["paper"])
    counting = build_model(specs["paper"], weights="zeros")
    assert trained.conv1.conv.weight.std() > 0
    assert all(bool((p == 0).all()) for p in counting.parameters())
    assert sum(p.numel() for p in trained.parameters()) == sum(
        p.numel() for p in counting.parameters()
    )


def test_measuring_leaves_the_model_as_it_was(specs):
    model = build_model(specs["torchvision"], weights="zeros")
    model.eval()
    model.inception_4a.train()  # a mixed state must come back too
    modes = {name: m.training for name, m in model.named_modules()}
    hooks_before = sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())
    measure(model, 224)
    assert {name: m.training for name, m in model.named_modules()} == modes
    hooks_after = sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())
    assert hooks_after == hooks_before == 0


def test_torchvision_variant_has_its_differences_from_the_paper(specs):
    model = build_model(specs["torchvision"], weights="zeros")
    branch = model.inception_3a.branch5x5.ch5x5
    assert branch.conv.kernel_size == (3, 3)  # pytorch/vision issue 906
    assert branch.conv.bias is None
    assert isinstance(branch.bn, nn.BatchNorm2d)
    assert branch.bn.eps == pytest.approx(1e-3)
    assert model.pool4.kernel_size == 2
    assert model.dropout.p == pytest.approx(0.2)
    assert isinstance(model.aux_4a.pool, nn.AdaptiveAvgPool2d)


def test_caffe_variant_adds_local_response_normalisation(specs):
    model = build_model(specs["caffe"], weights="zeros")
    assert isinstance(model.norm1, nn.LocalResponseNorm)
    assert (model.norm1.size, model.norm1.alpha, model.norm1.beta) == (5, 1e-4, 0.75)
    assert list(model.row_ids[:5]) == ["conv1", "pool1", "norm1", "conv2", "norm2"]
