"""Every count `table` prints, checked three ways and against published figures.

fvcore (the library's path) is checked against torch.utils.flop_counter.FlopCounterMode (a
second tracer, which counts a multiply-add as 2 FLOPs) and against the closed-form counts of
tests/formulas.py; totals are checked against the BVLC Caffe and torchvision figures.
"""

from __future__ import annotations

import pytest
import torch
from formulas import row_counts
from torch.utils.flop_counter import FlopCounterMode

from gnet_inspect.measure.measure import measure
from gnet_inspect.model import build_model
from gnet_inspect.spec.schema import NetworkSpec

# Published figures (docs/paper-facts.md): BVLC Caffe's deploy and training nets,
# torchvision's model metadata (its "1.498 GFLOPS" are these multiply-adds).
CAFFE_PARAMS, CAFFE_PARAMS_WITH_AUX, CAFFE_MACS = 6_998_552, 13_378_280, 1_582_671_872
TORCHVISION_PARAMS, TORCHVISION_PARAMS_WITH_AUX = 6_624_904, 13_004_888
TORCHVISION_MACS = 1_498_376_192


@pytest.mark.parametrize("variant", ["paper", "caffe"])
def test_paper_and_caffe_totals_match_bvlc_caffe(reports, variant):
    report = reports[variant]
    assert report.totals.params == CAFFE_PARAMS
    assert report.params_with_aux == CAFFE_PARAMS_WITH_AUX
    assert report.totals.macs == CAFFE_MACS
    assert report.totals.flops == 2 * CAFFE_MACS


def test_torchvision_totals_match_its_published_metadata(reports):
    report = reports["torchvision"]
    assert report.totals.params == TORCHVISION_PARAMS
    assert report.params_with_aux == TORCHVISION_PARAMS_WITH_AUX
    assert report.totals.macs == TORCHVISION_MACS


def test_params_count_every_parameter_of_the_built_network(specs, reports):
    for name, spec in specs.items():
        model = build_model(spec, weights="zeros")
        assert reports[name].params_with_aux == sum(p.numel() for p in model.parameters())


def _flop_counter_macs(spec: NetworkSpec, size: int) -> dict[str, int]:
    model = build_model(spec, weights="zeros").train()
    with FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, spec.input.channels, size, size))
    prefix = f"{type(model).__name__}."
    return {
        name.removeprefix(prefix): sum(ops.values()) // 2
        for name, ops in counter.get_flop_counts().items()
        if name.startswith(prefix)
    }


@pytest.mark.parametrize("variant", ["paper", "caffe", "torchvision"])
def test_every_row_macs_agree_across_fvcore_flop_counter_and_formula(specs, reports, variant):
    spec = specs[variant]
    second = _flop_counter_macs(spec, spec.input.height)
    third, _ = row_counts(spec)
    report = reports[variant]
    for row in (*report.rows, *report.aux_rows):
        assert row.macs == second.get(row.id, 0) == third[row.id].macs, row.id


@pytest.mark.parametrize("variant", ["paper", "caffe", "torchvision"])
def test_every_row_params_match_the_formula(specs, reports, variant):
    counts, _ = row_counts(specs[variant])
    for row in (*reports[variant].rows, *reports[variant].aux_rows):
        assert row.weights == counts[row.id].weights, row.id
        assert row.params == counts[row.id].weights + counts[row.id].biases, row.id


@pytest.mark.parametrize("variant", ["paper", "caffe", "torchvision"])
def test_output_sizes_match_the_formula_and_the_printed_column(specs, reports, variant):
    _, shapes = row_counts(specs[variant])
    for row in (*reports[variant].rows, *reports[variant].aux_rows):
        height, width, channels = shapes[row.id]
        assert row.output == f"{height}×{width}×{channels}" == row.output_printed, row.id


def test_counts_follow_the_input_size(specs):
    spec = specs["torchvision"]
    measured = measure(spec, 320)
    formula, _ = row_counts(spec, 320)
    second = _flop_counter_macs(spec, 320)
    for row in measured.rows:
        assert row.macs == formula[row.id].macs == second.get(row.id, 0), row.id
    assert sum(r.macs for r in measured.rows) > TORCHVISION_MACS * 2


def test_every_operator_is_inside_the_counting_policy(reports):
    for report in reports.values():
        assert report.unrecognised_ops == {}


def test_other_ops_count_pooling_windows_apart_from_macs(reports):
    rows = {row.id: row for row in reports["paper"].rows}
    # pool1: 3×3 windows over a 56×56×64 output; conv1: no pooling or normalisation.
    assert rows["pool1"].other_ops == 56 * 56 * 64 * 9
    assert rows["pool1"].macs == 0
    assert rows["conv1"].other_ops == 0
    # torchvision's BatchNorm: one multiply-add per element, apart from the conv's MACs.
    tv = {row.id: row for row in reports["torchvision"].rows}
    assert tv["conv1"].other_ops == 112 * 112 * 64
    assert tv["conv1"].macs == rows["conv1"].macs


def test_training_and_eval_mode_count_the_main_path_alike(specs):
    from gnet_inspect.measure.macs import count_macs
    from gnet_inspect.measure.trace import kept_mode

    for spec in specs.values():
        model = build_model(spec, weights="zeros")
        image = torch.zeros(1, 3, 224, 224)
        with kept_mode(model, training=False):
            inference = count_macs(model, image)
        with kept_mode(model, training=True):
            training = count_macs(model, image)
        for row_id in model.row_ids:
            assert inference.macs[row_id] == training.macs[row_id]
            assert inference.other_ops[row_id] == training.other_ops[row_id]


def test_every_module_has_its_measured_output_size(specs):
    measured = measure(specs["paper"])
    missing = [name for name, m in measured.modules.items() if m.output is None]
    assert missing == []
    assert measured.modules["aux_4a"].output.channels == 1000
