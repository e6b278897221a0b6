"""The factorisations Inception-v3 argues, undone, and the reductions removed from modules
written as branches: built, measured, and each checked against a closed form."""

from __future__ import annotations

import pytest

from gnet_inspect.errors import OptionError
from gnet_inspect.measure.measure import measure
from gnet_inspect.reports.flops import break_down
from gnet_inspect.spec.branches import ConvLayer
from gnet_inspect.spec.loader import load_spec, named_table
from gnet_inspect.spec.schema import ModuleRow
from gnet_inspect.spec.shapes import infer_shapes
from gnet_inspect.spec.whatifs import (
    with_square_kernels,
    with_whole_5x5,
    without_reductions,
)


@pytest.fixture(scope="module")
def v3():
    return load_spec(named_table("inception-v3"), "released")


def _branch(spec, row_id: str, branch_id: str):
    row = spec.row(row_id)
    assert isinstance(row, ModuleRow)
    return next(b for b in row.branches if b.id == branch_id)


def test_a_1xn_and_nx1_become_one_nxn_with_the_same_grid(v3):
    merged = with_square_kernels(v3)
    layers = _branch(merged, "mixed_6b", "branch7x7").layers
    assert [(layer.id, layer.kernel, layer.padding) for layer in layers] == [
        ("conv1x1", (1, 1), (0, 0)),
        ("conv1x7_conv7x1", (7, 7), (3, 3)),
    ]
    # 7×1, 1×7, 7×1, 1×7 becomes two 7×7, and the reduction 17 → 8 keeps its 3×3/2.
    dbl = _branch(merged, "mixed_6b", "branch7x7dbl").layers
    assert [layer.kernel for layer in dbl] == [(1, 1), (7, 7), (7, 7)]
    reduction = _branch(merged, "mixed_7a", "branch7x7x3").layers
    assert [(layer.kernel, layer.stride) for layer in reduction] == [
        ((1, 1), 1),
        ((7, 7), 1),
        ((3, 3), 2),
    ]
    # Figure 7's 1×3 and 3×1 side by side (a fork) are no stack: they stay.
    fork = _branch(merged, "mixed_7b", "branch3x3").layers[1]
    assert not isinstance(fork, ConvLayer)
    assert infer_shapes(merged).outputs == infer_shapes(v3).outputs
    assert merged.whatifs == ("n×n for 1×n + n×1",)


def test_the_factorisation_saves_what_its_closed_form_says(v3):
    grid = 17 * 17
    before = break_down(measure(v3), "branches").to_frame()
    after = break_down(measure(with_square_kernels(v3)), "branches").to_frame()
    reduce = 768 * 128 * grid
    assert before.loc["mixed_6b.branch7x7", "macs"] == (
        reduce + 128 * 128 * 7 * grid + 128 * 192 * 7 * grid
    )
    assert after.loc["mixed_6b.branch7x7", "macs"] == reduce + 128 * 192 * 49 * grid


def test_two_3x3_become_one_5x5_with_padding_and_stride_kept(v3):
    merged = with_whole_5x5(v3)
    layers = _branch(merged, "mixed_5b", "branch3x3dbl").layers
    assert [(layer.kernel, layer.padding, layer.stride) for layer in layers] == [
        ((1, 1), (0, 0), 1),
        ((5, 5), (2, 2), 1),
    ]
    # The reduction's 3×3 then 3×3/2 (padding 1 then 0) is one 5×5/2 padded 1: 35 → 17.
    reduction = _branch(merged, "mixed_6a", "branch3x3dbl").layers[1]
    assert (reduction.kernel, reduction.stride, reduction.padding) == ((5, 5), 2, (1, 1))
    assert infer_shapes(merged).outputs == infer_shapes(v3).outputs
    grid = 35 * 35
    macs = break_down(measure(merged), "branches").to_frame()
    assert macs.loc["mixed_5b.branch3x3dbl", "macs"] == 192 * 64 * grid + 64 * 96 * 25 * grid


def test_reduce_off_removes_the_1x1s_before_larger_convolutions_and_after_pools(v3):
    naive = without_reductions(v3)
    assert [layer.id for layer in _branch(naive, "mixed_5b", "branch5x5").layers] == ["conv5x5"]
    assert [layer.id for layer in _branch(naive, "mixed_5b", "branch_pool").layers] == ["avgpool"]
    # The branch that is one 1×1 stays: it reduces nothing before a larger convolution.
    assert [layer.id for layer in _branch(naive, "mixed_5b", "branch1x1").layers] == ["conv1x1"]
    # A 1×1 before a fork goes too: the fork's 1×3 and 3×1 read the module's input.
    assert [layer.id for layer in _branch(naive, "mixed_7b", "branch3x3").layers] == ["fork"]
    plan = infer_shapes(naive)
    # mixed_5b: 64 + 64 + 96 + 192 passed through by the pool branch.
    assert plan.outputs["mixed_5b"].channels == 64 + 64 + 96 + 192


def test_what_ifs_that_find_nothing_to_change_are_one_line():
    googlenet = load_spec()
    with pytest.raises(OptionError, match="nxn-for-1xn needs modules with a 1×n and n×1"):
        with_square_kernels(googlenet)
    with pytest.raises(OptionError, match="5x5-for-3x3s needs modules with two 3×3"):
        with_whole_5x5(googlenet)


def test_compare_shows_the_factorisation_through_the_cli(cli):
    run = cli("flops", "--table", "inception-v3", "--whatif", "nxn-for-1xn", "--compare")
    assert run.code == 0, run.err
    text = " ".join(run.out.split())
    assert "released + n×n for 1×n + n×1 against released" in text
    assert "Total MACs, other / base: 1.70×" in text
