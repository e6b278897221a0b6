"""Depth measured on the traced network, for the bundled table and any other."""

from __future__ import annotations

from gnet_inspect.measure.measure import measure
from gnet_inspect.spec.whatifs import with_separable_conv1, without_reductions


def test_paper_network_is_22_layers_deep_and_27_with_pooling(reports):
    depth = reports["paper"].depth
    assert (depth.depth, depth.depth_with_pooling) == (22, 27)


def test_building_blocks_follow_the_stated_rule(reports):
    # 57 convolutions (conv1, conv2's two, six in each of nine modules), one linear layer,
    # 14 pools (4 max + 1 average stand-alone, one in each module), 9 concatenations, dropout.
    assert reports["paper"].depth.blocks == 57 + 1 + 14 + 9 + 1
    # Caffe's deploy net has the same plus two LRN layers (its 85 adds the softmax layer).
    assert reports["caffe"].depth.blocks == 57 + 1 + 14 + 9 + 1 + 2
    # torchvision's BatchNorm layers are normalisation blocks of their own.
    assert reports["torchvision"].depth.blocks == 57 + 1 + 14 + 9 + 1 + 57
    assert reports["paper"].depth.activations == 57


def test_naive_network_has_one_layer_with_parameters_per_module(specs):
    depth = measure(without_reductions(specs["paper"])).depth
    # conv1 + conv2 (2) + nine modules of one convolution each + linear; five stand-alone pools.
    assert depth.depth == 1 + 2 + 9 + 1
    assert depth.depth_with_pooling == 1 + 2 + 9 + 1 + 5


def test_separable_conv1_counts_as_one_layer_as_the_paper_prints_it(specs):
    measured = measure(with_separable_conv1(specs["paper"]))
    assert measured.depth.depth == 22
    assert measured.rows[0].depth == 1


def test_aux_heads_do_not_lengthen_the_inference_path(reports):
    depth = reports["paper"].depth
    assert depth.by_row["aux_4a.fc"] == 1
    assert depth.depth == 22
