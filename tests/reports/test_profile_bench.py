"""The speed bench's yardstick: the hand-written GoogLeNet is the built ``paper`` network.

bench/profile_fidelity.py times the network built from the table against a hand-written one;
the ratio means something only if both compute the same function with the same weights.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch

from gnet_inspect.measure.params import count_params
from gnet_inspect.model import build_model

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _handwritten_module():
    spec = importlib.util.spec_from_file_location(
        "handwritten_googlenet", BENCH / "handwritten_googlenet.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_handwritten_googlenet_computes_what_the_built_paper_network_computes(specs):
    handwritten = _handwritten_module()
    built = build_model(specs["paper"]).eval()
    hand = handwritten.HandwrittenGoogLeNet().eval()
    handwritten.copy_weights(built, hand)
    assert sum(p.numel() for p in hand.parameters()) == 6_998_552  # Caffe's inference net
    main_path = sum(count_params(built.get_submodule(r)).params for r in built.row_ids)
    assert main_path == 6_998_552
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        assert torch.equal(built(x), hand(x))


def test_handwritten_googlenet_with_aux_heads_trains_as_the_built_network_does(specs):
    handwritten = _handwritten_module()
    built = build_model(specs["paper"])
    hand = handwritten.HandwrittenGoogLeNet(aux_logits=True)
    handwritten.copy_weights(built, hand)
    assert sum(p.numel() for p in hand.parameters()) == count_params(built).params
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    target = torch.tensor([3, 7])
    torch.manual_seed(0)  # the same dropout masks: both draw in the same order
    built_loss = built.training_loss(built(x), target)
    torch.manual_seed(0)
    logits, aux1, aux2 = hand(x)
    cross_entropy = torch.nn.functional.cross_entropy
    hand_loss = cross_entropy(logits, target)
    hand_loss = hand_loss + 0.3 * cross_entropy(aux1, target)
    hand_loss = hand_loss + 0.3 * cross_entropy(aux2, target)
    assert torch.equal(built_loss, hand_loss)
    built_loss.backward()
    hand_loss.backward()
    for mine, theirs in zip(built.parameters(), hand.parameters(), strict=True):
        assert torch.equal(mine.grad, theirs.grad)
