"""`gnet-inspect flops`: breakdowns that add up, and ablations measured on real networks."""

from __future__ import annotations

import json

import pytest
import torch
import yaml
from conftest import assert_one_line_error
from formulas import row_counts
from golden import assert_golden

from gnet_inspect.errors import OptionError
from gnet_inspect.measure.measure import measure
from gnet_inspect.model import build_model
from gnet_inspect.reports.flops import LEVELS, break_down
from gnet_inspect.reports.flops_compare import compare_networks
from gnet_inspect.reports.table import compare_count, table_report
from gnet_inspect.spec.schema import InceptionRow
from gnet_inspect.spec.whatifs import (
    apply_whatifs,
    with_ch5x5_kernel,
    with_fc_head,
    with_separable_conv1,
    without_aux_heads,
    without_reductions,
)


@pytest.fixture(scope="module")
def naive(specs):
    return without_reductions(specs["paper"])


@pytest.fixture(scope="module")
def naive_measured(naive):
    return measure(naive)


def test_naive_network_builds_and_runs_forward_at_224(naive):
    model = build_model(naive, weights="zeros").eval()
    with torch.no_grad():
        assert model(torch.zeros(1, 3, 224, 224)).shape == (1, 1000)
    assert all(
        row.ch3x3red is None and row.ch5x5red is None and row.pool_proj is None
        for row in naive.rows
        if isinstance(row, InceptionRow)
    )


def test_naive_widths_grow_stage_after_stage(specs, naive_measured):
    # Figure 2(a): a module outputs 1×1 + 3×3 + 5×5 filters plus its whole input (the pool).
    width = 192
    for row in specs["paper"].rows:
        if isinstance(row, InceptionRow):
            width = row.ch1x1 + row.ch3x3 + row.ch5x5 + width
            measured = next(r for r in naive_measured.rows if r.id == row.id)
            assert measured.output.channels == width, row.id
    assert next(r for r in naive_measured.rows if r.id == "inception_3a").output.channels == 416
    assert width == 4944


def test_naive_totals_match_the_closed_form_count(naive, naive_measured):
    formula, _ = row_counts(naive)
    assert sum(r.macs for r in naive_measured.rows) == sum(formula[r.id].macs for r in naive.rows)
    assert sum(r.params.params for r in naive_measured.rows) == sum(
        formula[r.id].weights + formula[r.id].biases for r in naive.rows
    )
    for row in (*naive_measured.rows, *naive_measured.aux_rows):
        assert row.macs == formula[row.id].macs, row.id


def test_reductions_save_about_eight_times_the_compute(reports, naive_measured):
    pair = compare_networks(measure(reports["paper"].spec), naive_measured, "modules")
    assert pair.macs_ratio == pytest.approx(12_568_061_056 / 1_582_671_872)
    assert 7.5 < pair.macs_ratio < 8.5
    worst = pair.largest_blow_up
    ratios = {r.id: r.macs_ratio for r in pair.rows if r.macs_ratio is not None}
    assert worst is not None and worst.macs_ratio == max(ratios.values())
    assert worst.id == "inception_5a"


@pytest.mark.parametrize("variant", ["paper", "caffe", "torchvision"])
def test_every_level_adds_up_to_the_totals_and_to_the_level_above(specs, variant):
    measured = measure(specs[variant])
    breakdowns = {level: break_down(measured, level) for level in LEVELS}
    totals = (sum(r.params.params for r in measured.rows), sum(r.macs for r in measured.rows))
    for level, b in breakdowns.items():
        assert (sum(r.params for r in b.rows), sum(r.macs for r in b.rows)) == totals, level
        assert sum(r.other_ops for r in b.rows) == sum(r.other_ops for r in measured.rows)
        assert sum(r.macs for r in b.aux_rows) == sum(r.macs for r in measured.aux_rows)
        assert sum(r.share_macs for r in b.rows) == pytest.approx(1.0)
    # Finer levels split each row without double counting: group them back by row.
    for finer in ("branches", "layers", "operations"):
        for row in breakdowns["modules"].rows:
            parts = [r for r in breakdowns[finer].rows if r.row == row.id]
            assert sum(p.macs for p in parts) == row.macs, (finer, row.id)
            assert sum(p.params for p in parts) == row.params, (finer, row.id)
    for branch in breakdowns["branches"].rows:
        if branch.kind == "branch":
            layers = [r for r in breakdowns["layers"].rows if r.id.startswith(branch.id + ".")]
            assert sum(layer.macs for layer in layers) == branch.macs, branch.id


def test_stages_follow_the_measured_resolutions(reports):
    b = break_down(measure(reports["paper"].spec), "stages")
    assert [r.id for r in b.rows] == ["112×112", "56×56", "28×28", "14×14", "7×7", "1×1"]


def test_separable_conv1_reproduces_the_printed_row_and_the_1_5_billion(specs):
    report = table_report(measure(with_separable_conv1(specs["paper"])))
    conv1 = report.rows[0]
    assert conv1.weights == 7 * 7 * 3 * 8 + 24 * 64 == 2712
    # 2.7K: 2,712 weights are 2.65K of 1,024 (the paper's unit elsewhere) or 2.71K of 1,000.
    assert conv1.params_vs_paper.status == "close"
    assert conv1.ops_vs_paper.status == "match"  # 34M
    claim = specs["paper"].claims.macs
    assert compare_count(report.totals.macs, claim, 1000).status == "match"  # "1.5G"
    assert (
        compare_count(table_report(measure(specs["paper"])).totals.macs, claim, 1000).status
        != "match"
    )


def test_fc_head_reads_the_whole_last_map(specs):
    measured = measure(with_fc_head(specs["paper"]))
    linear = next(r for r in measured.rows if r.id == "linear")
    assert linear.params.weights == 7 * 7 * 1024 * 1000
    assert "avgpool" not in [r.id for r in measured.rows]


def test_no_aux_drops_the_training_heads(specs):
    report = table_report(measure(without_aux_heads(specs["paper"])))
    assert report.aux_rows == () and report.params_with_aux == report.totals.params


def test_3x3_in_the_5x5_branch_gives_torchvisions_compute(specs, reports):
    report = table_report(measure(with_ch5x5_kernel(specs["paper"])))
    assert report.totals.macs == reports["torchvision"].totals.macs


def test_whatifs_refuse_tables_they_do_not_apply_to(tmp_path):
    table = tmp_path / "plain.yaml"
    table.write_text(
        yaml.safe_dump(
            {
                "input": "224×224×3",
                "rows": [
                    {"id": "pool", "type": "max pool", "patch": "2×2/2", "output": "112×112×3"},
                    {"id": "fc", "type": "linear", "output": "1×1×10"},
                ],
            },
            allow_unicode=True,
        )
    )
    from gnet_inspect.spec.loader import load_spec

    spec = load_spec(table)
    for name in ("separable-conv1", "no-aux", "fc-head", "3x3-in-5x5"):
        with pytest.raises(OptionError):
            apply_whatifs(spec, [name])
    with pytest.raises(OptionError):
        without_reductions(spec)


def test_reduce_off_compare_through_the_cli(cli):
    run = cli("flops", "--reduce", "off", "--compare", "--format", "json")
    assert run.code == 0, run.err
    document = json.loads(run.out)
    assert document["base"]["macs"] == 1_582_671_872
    assert document["other"]["macs"] == 12_568_061_056
    assert document["other"]["depth"] == 13 and document["base"]["depth"] == 22
    assert document["largest_blow_up"] == "inception_5a"


def test_compare_table_names_the_ratio_and_the_largest_blow_up(cli):
    run = cli("flops", "--reduce", "off", "--compare")
    assert "Total MACs, other / base: 7.94×" in run.out
    assert "Largest blow-up: inception_5a" in run.out


def test_compare_markdown_matches_golden(cli):
    run = cli("flops", "--reduce", "off", "--compare", "--format", "markdown")
    assert_golden("flops-reduce-off.md", run.out)


def test_csv_rows_add_up(cli):
    run = cli("flops", "--depth", "layers", "--format", "csv")
    lines = run.out.strip().splitlines()
    header = lines[0].split(",")
    macs = header.index("macs")
    head = header.index("head")
    total = sum(int(line.split(",")[macs]) for line in lines[1:] if not line.split(",")[head])
    assert total == 1_582_671_872


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (
            ["flops", "--depth", "galaxies"],
            ["unknown depth 'galaxies'; available: stages, modules"],
        ),
        (
            ["flops", "--whatif", "bigger"],
            ["unknown what-if 'bigger'; available: separable-conv1, no-aux"],
        ),
        (["flops", "--compare"], ["--compare needs something to compare"]),
        (["flops", "--reduce", "sideways"], ["'sideways' is not one of"]),
    ],
)
def test_bad_flops_options_fail_in_one_line(cli, args, fragments):
    assert_one_line_error(cli(*args), *fragments)


def test_whatif_on_a_table_without_inception_rows_fails_in_one_line(cli, tmp_path):
    table = tmp_path / "plain.yaml"
    table.write_text("input: 1×1×3\nrows:\n  - {id: fc, type: linear, output: 1×1×10}\n")
    run = cli("flops", "--spec", str(table), "--reduce", "off")
    assert_one_line_error(run, "--reduce off needs Inception rows", "plain.yaml")


def test_a_what_if_that_only_saves_names_its_largest_saving(cli):
    run = cli("flops", "--whatif", "separable-conv1", "--compare", "--depth", "stages")
    assert "Largest blow-up" not in run.out
    assert "Largest saving: 112×112, 0.29× the MACs" in run.out


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--whatif", "no-aux", "--whatif", "no-aux"], ["'no-aux' is given 2 times"]),
        (
            ["--variant", "torchvision", "--whatif", "3x3-in-5x5", "--compare"],
            ["builds the same network as 'torchvision'", "nothing to compare"],
        ),
    ],
)
def test_what_ifs_that_cannot_mean_anything_fail_in_one_line(cli, args, fragments):
    assert_one_line_error(cli("flops", *args), *fragments)
