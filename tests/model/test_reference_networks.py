"""Each bundled generation against its reference implementation, bit for bit.

The reference's randomly initialised weights are moved into the built variant by a rename
rule list; then both give the same outputs in eval and in training mode, at the table's own
input size and another, and the same parameter count and FlopCounterMode total.
"""

from __future__ import annotations

import pytest
import torch
from references import (
    flop_total,
    move_weights,
    pretrainedmodels,
    same_in_both_modes,
    torchvision_models,
)

from gnet_inspect.measure.measure import measure
from gnet_inspect.model import build_model
from gnet_inspect.spec.loader import bundled_table, load_spec

# torchvision's local names inside each kind of Inception3 module, and ours (the table's
# branch and layer ids).
_A = {
    "branch1x1": "branch1x1.conv1x1",
    "branch5x5_1": "branch5x5.conv1x1",
    "branch5x5_2": "branch5x5.conv5x5",
    "branch3x3dbl_1": "branch3x3dbl.conv1x1",
    "branch3x3dbl_2": "branch3x3dbl.conv3x3a",
    "branch3x3dbl_3": "branch3x3dbl.conv3x3b",
    "branch_pool": "branch_pool.conv1x1",
}
_B = {"branch3x3": "branch3x3.conv3x3"} | {
    k: v for k, v in _A.items() if k.startswith("branch3x3dbl")
}
_C = {
    "branch1x1": "branch1x1.conv1x1",
    "branch7x7_1": "branch7x7.conv1x1",
    "branch7x7_2": "branch7x7.conv1x7",
    "branch7x7_3": "branch7x7.conv7x1",
    "branch7x7dbl_1": "branch7x7dbl.conv1x1",
    "branch7x7dbl_2": "branch7x7dbl.conv7x1a",
    "branch7x7dbl_3": "branch7x7dbl.conv1x7a",
    "branch7x7dbl_4": "branch7x7dbl.conv7x1b",
    "branch7x7dbl_5": "branch7x7dbl.conv1x7b",
    "branch_pool": "branch_pool.conv1x1",
}
_D = {
    "branch3x3_1": "branch3x3.conv1x1",
    "branch3x3_2": "branch3x3.conv3x3",
    "branch7x7x3_1": "branch7x7x3.conv1x1",
    "branch7x7x3_2": "branch7x7x3.conv1x7",
    "branch7x7x3_3": "branch7x7x3.conv7x1",
    "branch7x7x3_4": "branch7x7x3.conv3x3",
}
_E = {
    "branch1x1": "branch1x1.conv1x1",
    "branch3x3_1": "branch3x3.conv1x1",
    "branch3x3_2a": "branch3x3.fork.branch1x3.conv1x3",
    "branch3x3_2b": "branch3x3.fork.branch3x1.conv3x1",
    "branch3x3dbl_1": "branch3x3dbl.conv1x1",
    "branch3x3dbl_2": "branch3x3dbl.conv3x3",
    "branch3x3dbl_3a": "branch3x3dbl.fork.branch1x3.conv1x3",
    "branch3x3dbl_3b": "branch3x3dbl.fork.branch3x1.conv3x1",
    "branch_pool": "branch_pool.conv1x1",
}
_MODULES = {"5b": _A, "5c": _A, "5d": _A, "6a": _B, "6b": _C, "6c": _C, "6d": _C, "6e": _C}
_MODULES |= {"7a": _D, "7b": _E, "7c": _E}
INCEPTION_V3_RENAMES = [
    (rf"^Mixed_{module}\.{local}\.", f"mixed_{module}.{ours}.")
    for module, names in _MODULES.items()
    for local, ours in names.items()
] + [
    (r"^Conv2d_(\w+)\.", r"conv2d_\1."),
    (r"^AuxLogits\.fc\.", "aux_logits.fc.fc."),
    (r"^AuxLogits\.", "aux_logits."),
    (r"^fc\.", "fc.fc."),
]

# torchvision's published figures (Inception_V3_Weights.IMAGENET1K_V1.meta: "num_params" and
# "_ops", GFLOPS in its convention, multiply-adds; docs/paper-facts.md).
INCEPTION_V3_PARAMS = 27_161_264
INCEPTION_V3_GMACS = "5.713"


@pytest.fixture(scope="module")
def inception_v3_pair():
    models = torchvision_models()
    torch.manual_seed(0)
    reference = models.inception_v3(weights=None, aux_logits=True, init_weights=True)
    ours = build_model(load_spec(bundled_table("inception-v3.yaml"), "torchvision"))
    move_weights(reference, ours, INCEPTION_V3_RENAMES)
    return reference, ours


def test_inception_v3_has_torchvisions_parameters(inception_v3_pair):
    reference, ours = inception_v3_pair
    count = sum(p.numel() for p in ours.parameters())
    assert count == sum(p.numel() for p in reference.parameters()) == INCEPTION_V3_PARAMS
    measured = measure(ours)
    main = sum(r.params.params for r in measured.rows)
    aux = sum(r.params.params for r in measured.aux_rows)
    assert main + aux == INCEPTION_V3_PARAMS


@pytest.mark.parametrize("size", [299, 320])
def test_inception_v3_is_torchvisions_bit_for_bit(inception_v3_pair, size):
    reference, ours = inception_v3_pair
    torch.manual_seed(size)
    image = torch.randn(2, 3, size, size)

    def theirs(out):
        return (out.logits, out.aux_logits) if isinstance(out, tuple) else (out,)

    def mine(out):
        return (out.logits, out.aux["aux_logits"]) if isinstance(out, tuple) else (out,)

    same_in_both_modes(reference, ours, image, theirs, mine, INCEPTION_V3_RENAMES)


@pytest.mark.parametrize("size", [299, 320])
def test_inception_v3_flops_equal_torchvisions(inception_v3_pair, size):
    reference, ours = inception_v3_pair
    image = torch.zeros(1, 3, size, size)
    flops = flop_total(ours, image)
    assert flops == flop_total(reference, image)
    # fvcore's count of the same network (the tool's MACs) is half of torch's FLOPs.
    macs = sum(row.macs for row in measure(ours, size).rows)
    assert flops == 2 * macs
    if size == 299:
        assert f"{macs / 1e9:.3f}" == INCEPTION_V3_GMACS


# pretrainedmodels' flat names (inception_3a_double_3x3_1, its _bn) and ours.
_BN_LOCAL = {
    "1x1": "branch1x1.conv1x1",
    "3x3_reduce": "branch3x3.conv1x1",
    "3x3": "branch3x3.conv3x3",
    "double_3x3_reduce": "branch3x3dbl.conv1x1",
    "double_3x3_1": "branch3x3dbl.conv3x3a",
    "double_3x3_2": "branch3x3dbl.conv3x3b",
    "pool_proj": "branch_pool.conv1x1",
}
_BN_STEM = {
    "conv1_7x7_s2": "conv1",
    "conv2_3x3_reduce": "conv2.ch3x3red",
    "conv2_3x3": "conv2.ch3x3",
}
BN_INCEPTION_RENAMES = (
    [
        (rf"^(inception_\d[a-e])_{local}{bn}\.", rf"\1.{ours}.{layer}.")
        for local, ours in _BN_LOCAL.items()
        for bn, layer in (("_bn", "bn"), ("", "conv"))
    ]
    + [
        (rf"^{theirs}{bn}\.", f"{ours}.{layer}.")
        for theirs, ours in _BN_STEM.items()
        for bn, layer in (("_bn", "bn"), ("", "conv"))
    ]
    + [(r"^last_linear\.", "linear.fc.")]
)


@pytest.fixture(scope="module")
def bn_inception_pair():
    package = pretrainedmodels()
    torch.manual_seed(0)
    reference = package.bninception(num_classes=1000, pretrained=None)
    ours = build_model(load_spec(bundled_table("bn-inception.yaml"), "pretrainedmodels"))
    move_weights(reference, ours, BN_INCEPTION_RENAMES)
    return reference, ours


def test_bn_inception_has_pretrainedmodels_parameters(bn_inception_pair):
    reference, ours = bn_inception_pair
    assert sum(p.numel() for p in ours.parameters()) == sum(
        p.numel() for p in reference.parameters()
    )


def test_bn_inception_is_pretrainedmodels_bit_for_bit(bn_inception_pair):
    reference, ours = bn_inception_pair
    torch.manual_seed(1)
    image = torch.randn(2, 3, 224, 224)

    def logits(out):
        return (out,)

    same_in_both_modes(reference, ours, image, logits, logits, BN_INCEPTION_RENAMES)


def test_bn_inception_flops_equal_pretrainedmodels(bn_inception_pair):
    reference, ours = bn_inception_pair
    image = torch.zeros(1, 3, 224, 224)
    flops = flop_total(ours, image)
    assert flops == flop_total(reference, image)
    assert flops == 2 * sum(row.macs for row in measure(ours).rows)
