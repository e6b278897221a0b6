"""Inception-v4 and Inception-ResNet-v2 against timm's ports of the released networks, bit for
bit (timm is a test dependency only; no weights are downloaded).

timm's randomly initialised weights are moved into the built ``timm`` variant by a rename
rule list; then both give the same logits in eval and in training mode (the same BatchNorm
statistics after it), at the table's own input size and another, and the same parameter count
and FlopCounterMode total.
"""

from __future__ import annotations

import re

import pytest
import torch
from references import Renames, flop_total, move_weights, same_in_both_modes, timm

from gnet_inspect.measure.measure import measure
from gnet_inspect.model import build_model
from gnet_inspect.spec.loader import bundled_table, load_spec

# timm's local names inside each kind of module, and ours (the table's branch and layer ids).
_V4_A = {
    "branch0": "branch0.conv1x1",
    "branch1.0": "branch1.conv1x1",
    "branch1.1": "branch1.conv3x3",
    "branch2.0": "branch2.conv1x1",
    "branch2.1": "branch2.conv3x3a",
    "branch2.2": "branch2.conv3x3b",
    "branch3.1": "branch3.conv1x1",
}
_V4_B = {
    "branch0": "branch0.conv1x1",
    "branch1.0": "branch1.conv1x1",
    "branch1.1": "branch1.conv1x7",
    "branch1.2": "branch1.conv7x1",
    "branch2.0": "branch2.conv1x1",
    "branch2.1": "branch2.conv7x1a",
    "branch2.2": "branch2.conv1x7a",
    "branch2.3": "branch2.conv7x1b",
    "branch2.4": "branch2.conv1x7b",
    "branch3.1": "branch3.conv1x1",
}
_V4_C = {
    "branch0": "branch0.conv1x1",
    "branch1_0": "branch1.conv1x1",
    "branch1_1a": "branch1.fork.branch1x3.conv1x3",
    "branch1_1b": "branch1.fork.branch3x1.conv3x1",
    "branch2_0": "branch2.conv1x1",
    "branch2_1": "branch2.conv3x1",
    "branch2_2": "branch2.conv1x3",
    "branch2_3a": "branch2.fork.branch1x3.conv1x3",
    "branch2_3b": "branch2.fork.branch3x1.conv3x1",
    "branch3.1": "branch3.conv1x1",
}
_REDUCTION_A = {
    "branch0": "branch0.conv3x3",
    "branch1.0": "branch1.conv1x1",
    "branch1.1": "branch1.conv3x3a",
    "branch1.2": "branch1.conv3x3b",
}
_V4_FEATURES: dict[str, tuple[str, dict[str, str]]] = {
    "0": ("conv2d_1a_3x3", {}),
    "1": ("conv2d_2a_3x3", {}),
    "2": ("conv2d_2b_3x3", {}),
    "3": ("mixed_3a", {"conv": "branch3x3.conv"}),
    "4": (
        "mixed_4a",
        {
            "branch0.0": "branch0.conv1x1",
            "branch0.1": "branch0.conv3x3",
            "branch1.0": "branch1.conv1x1",
            "branch1.1": "branch1.conv1x7",
            "branch1.2": "branch1.conv7x1",
            "branch1.3": "branch1.conv3x3",
        },
    ),
    "5": ("mixed_5a", {"conv": "branch3x3.conv"}),
    "10": ("reduction_a", _REDUCTION_A),
    "18": (
        "reduction_b",
        {
            "branch0.0": "branch0.conv1x1",
            "branch0.1": "branch0.conv3x3",
            "branch1.0": "branch1.conv1x1",
            "branch1.1": "branch1.conv1x7",
            "branch1.2": "branch1.conv7x1",
            "branch1.3": "branch1.conv3x3",
        },
    ),
}
_V4_FEATURES |= {str(6 + i): (f"inception_a_{i + 1}", _V4_A) for i in range(4)}
_V4_FEATURES |= {str(11 + i): (f"inception_b_{i + 1}", _V4_B) for i in range(7)}
_V4_FEATURES |= {str(19 + i): (f"inception_c_{i + 1}", _V4_C) for i in range(3)}


def _rules(modules: dict[str, tuple[str, dict[str, str]]]) -> Renames:
    """A rule per layer of each module (``theirs`` prefix → our row and local names), and one
    for a module that is one layer (its local names empty)."""
    rules = []
    for theirs, (row, names) in modules.items():
        for local, ours in names.items():
            rules.append((rf"^{re.escape(theirs)}\.{re.escape(local)}\.", f"{row}.{ours}."))
        if not names:
            rules.append((rf"^{re.escape(theirs)}\.", f"{row}."))
    return rules


INCEPTION_V4_RENAMES = _rules({f"features.{k}": v for k, v in _V4_FEATURES.items()})
INCEPTION_V4_RENAMES.append((r"^last_linear\.", "fc.fc."))

_BLOCK35 = {
    "branch0": "branch0.conv1x1",
    "branch1.0": "branch1.conv1x1",
    "branch1.1": "branch1.conv3x3",
    "branch2.0": "branch2.conv1x1",
    "branch2.1": "branch2.conv3x3a",
    "branch2.2": "branch2.conv3x3b",
    "conv2d": "residual.projection",
}
_BLOCK17 = {
    "branch0": "branch0.conv1x1",
    "branch1.0": "branch1.conv1x1",
    "branch1.1": "branch1.conv1x7",
    "branch1.2": "branch1.conv7x1",
    "conv2d": "residual.projection",
}
_BLOCK8 = {
    "branch0": "branch0.conv1x1",
    "branch1.0": "branch1.conv1x1",
    "branch1.1": "branch1.conv1x3",
    "branch1.2": "branch1.conv3x1",
    "conv2d": "residual.projection",
}
_IRV2: dict[str, tuple[str, dict[str, str]]] = {
    name: (f"{name}_{kernel}", {})
    for name, kernel in (
        ("conv2d_1a", "3x3"),
        ("conv2d_2a", "3x3"),
        ("conv2d_2b", "3x3"),
        ("conv2d_3b", "1x1"),
        ("conv2d_4a", "3x3"),
        ("conv2d_7b", "1x1"),
    )
}
_IRV2["mixed_5b"] = (
    "mixed_5b",
    {
        "branch0": "branch0.conv1x1",
        "branch1.0": "branch1.conv1x1",
        "branch1.1": "branch1.conv5x5",
        "branch2.0": "branch2.conv1x1",
        "branch2.1": "branch2.conv3x3a",
        "branch2.2": "branch2.conv3x3b",
        "branch3.1": "branch3.conv1x1",
    },
)
_IRV2["mixed_6a"] = ("reduction_a", _REDUCTION_A)
_IRV2["mixed_7a"] = (
    "reduction_b",
    {
        "branch0.0": "branch0.conv1x1",
        "branch0.1": "branch0.conv3x3",
        "branch1.0": "branch1.conv1x1",
        "branch1.1": "branch1.conv3x3",
        "branch2.0": "branch2.conv1x1",
        "branch2.1": "branch2.conv3x3a",
        "branch2.2": "branch2.conv3x3b",
    },
)
_IRV2 |= {f"repeat.{i}": (f"block35_{i + 1}", _BLOCK35) for i in range(10)}
_IRV2 |= {f"repeat_1.{i}": (f"block17_{i + 1}", _BLOCK17) for i in range(20)}
_IRV2 |= {f"repeat_2.{i}": (f"block8_{i + 1}", _BLOCK8) for i in range(9)}
_IRV2["block8"] = ("block8", _BLOCK8)
INCEPTION_RESNET_V2_RENAMES = [*_rules(_IRV2), (r"^classif\.", "fc.fc.")]

_NETWORKS = {
    "inception_v4": ("inception-v4.yaml", INCEPTION_V4_RENAMES),
    "inception_resnet_v2": ("inception-resnet-v2.yaml", INCEPTION_RESNET_V2_RENAMES),
}


@pytest.fixture(scope="module", params=sorted(_NETWORKS))
def pair(request):
    table, rules = _NETWORKS[request.param]
    package = timm()
    torch.manual_seed(0)
    reference = package.create_model(request.param, pretrained=False)
    ours = build_model(load_spec(bundled_table(table), "timm"))
    move_weights(reference, ours, rules)
    return reference, ours, rules


def test_the_timm_variants_have_timms_parameters(pair):
    reference, ours, _ = pair
    count = sum(p.numel() for p in ours.parameters())
    assert count == sum(p.numel() for p in reference.parameters())
    assert count == sum(row.params.params for row in measure(ours).rows)


@pytest.mark.parametrize("size", [299, 331])
def test_the_timm_variants_are_timms_bit_for_bit(pair, size):
    reference, ours, rules = pair
    torch.manual_seed(size)
    image = torch.randn(2, 3, size, size)

    def logits(out):
        return (out,)

    same_in_both_modes(reference, ours, image, logits, logits, rules)


def test_the_timm_variants_count_timms_flops(pair):
    reference, ours, _ = pair
    image = torch.zeros(1, 3, 299, 299)
    flops = flop_total(ours, image)
    assert flops == flop_total(reference, image)
    # fvcore's count of the same network (the tool's MACs) is half of torch's FLOPs.
    assert flops == 2 * sum(row.macs for row in measure(ours).rows)
