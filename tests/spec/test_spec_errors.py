"""Every malformed table is refused through the CLI with one line naming file, place and fix."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from conftest import assert_one_line_error

from gnet_inspect.errors import SpecError
from gnet_inspect.spec.loader import bundled_table, load_spec

BASE = yaml.safe_load(bundled_table().read_text(encoding="utf-8"))


def _table(tmp_path: Path, change) -> Path:
    data = copy.deepcopy(BASE)
    change(data)
    path = tmp_path / "table.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _row(data, row_id):
    return next(row for row in data["rows"] if row["id"] == row_id)


MUTATIONS = {
    "unknown_key": (
        lambda d: _row(d, "inception_3a").update(ch3x3redd=96),
        ["rows[4].ch3x3redd", "unknown key 'ch3x3redd'"],
    ),
    "wrong_type": (
        lambda d: _row(d, "inception_3a").update(ch1x1="sixty-four"),
        ["rows[4].ch1x1", "expected a whole number"],
    ),
    "negative_channels": (
        lambda d: _row(d, "inception_3b").update(ch5x5=-96),
        ["rows[5].ch5x5", "at least 1", "-96"],
    ),
    "zero_channels": (
        lambda d: _row(d, "inception_4a").update(pool_proj=0),
        ["rows[7].pool_proj", "at least 1"],
    ),
    "output_size_disagrees": (
        lambda d: _row(d, "inception_3a").update(ch1x1=65),
        ["rows[4].output", "28×28×257", "28×28×256"],
    ),
    "spatial_size_disagrees": (
        lambda d: _row(d, "pool2").update(patch="3×3/1"),
        ["rows[3].output", "54×54×192", "28×28×192"],
    ),
    "duplicate_id": (
        lambda d: _row(d, "inception_3b").update(id="inception_3a"),
        ["rows[5].id", "duplicate id 'inception_3a'"],
    ),
    "aux_tap_on_missing_row": (
        lambda d: d["aux_heads"][0].update(tap="inception_9z"),
        ["aux_heads[0].tap", "no row 'inception_9z'"],
    ),
    "unknown_row_type": (
        lambda d: _row(d, "pool1").update(type="min pool"),
        ["rows[1].type", "unknown row type 'min pool'"],
    ),
    "missing_channel_column": (
        lambda d: _row(d, "inception_3a").pop("ch3x3"),
        ["rows[4].id", "lacks key 'ch3x3'"],
    ),
    "bad_patch": (
        lambda d: _row(d, "conv1").update(patch="7x5/2"),
        ["rows[0].patch", "square patch"],
    ),
    "note_on_missing_row": (
        lambda d: d["notes"].update(inception_6a="no such row"),
        ["notes.inception_6a", "no row"],
    ),
    "variant_on_missing_row": (
        lambda d: d["variants"]["torchvision"]["rows"].update(pool9={"patch": "2×2/2"}),
        ["variants.torchvision.rows.pool9", "no row with id 'pool9'"],
    ),
    "dropout_of_one": (
        lambda d: _row(d, "dropout").update(p=1.0),
        ["rows[16].p", "below 1"],
    ),
    "even_5x5_kernel": (
        lambda d: _row(d, "inception_3a").update(ch5x5_kernel=4),
        ["rows[4].ch5x5_kernel", "odd kernel"],
    ),
    "id_that_shadows_a_module_attribute": (
        lambda d: _row(d, "linear").update(id="forward"),
        ["rows[17].id", "'forward' cannot name a module"],
    ),
}


@pytest.mark.parametrize("case", MUTATIONS, ids=list(MUTATIONS))
def test_malformed_table_is_refused_in_one_line(tmp_path, cli, case):
    change, fragments = MUTATIONS[case]
    path = _table(tmp_path, change)
    run = cli("table", "--spec", str(path), "--format", "csv")
    assert_one_line_error(run, str(path), *fragments)
    assert run.out == ""


RAW = {
    "yaml_syntax_error": ("rows: [ {id: conv1, type: convolution\n", ["line 2", "invalid YAML"]),
    "empty_file": ("", ["the file is empty"]),
    "comments_only": ("# nothing here\n", ["the file is empty"]),
    "not_a_mapping": ("- just\n- a list\n", ["document", "expected a mapping, got a list"]),
    "python_object_tag": (
        "rows: !!python/object/apply:os.system ['echo pwned']\n",
        ["invalid YAML", "python/object/apply:os.system"],
    ),
    "duplicate_key": (
        "rows:\n  - {id: a, type: softmax, output: 1×1×3, id: b}\n",
        ["line 2", "key 'id' given twice"],
    ),
    "no_rows": ("name: empty\n", ["missing key 'rows'"]),
    "rows_not_a_list": ("input: 224×224×3\nrows: 3\n", ["rows", "expected a list"]),
    "no_input": ("rows: []\n", ["document", "missing key 'input'"]),
}


@pytest.mark.parametrize("case", RAW, ids=list(RAW))
def test_unreadable_table_is_refused_in_one_line(tmp_path, cli, case):
    text, fragments = RAW[case]
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    run = cli("table", "--spec", str(path))
    assert_one_line_error(run, str(path), *fragments)


def test_python_object_tag_is_never_constructed(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "bad.yaml"
    path.write_text(f"rows: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(SpecError):
        load_spec(path)
    assert not marker.exists()


def test_unknown_variant_lists_the_available_ones(cli):
    run = cli("table", "--variant", "tv")
    assert_one_line_error(run, "unknown variant 'tv'", "paper, caffe, torchvision")


def test_missing_table_file(cli, tmp_path):
    run = cli("table", "--spec", str(tmp_path / "nope.yaml"))
    assert_one_line_error(run, "nope.yaml", "no such file")


def test_variant_on_a_table_without_variants(cli, tmp_path):
    path = _table(tmp_path, lambda d: d.pop("variants"))
    assert load_spec(path).variant == "table"
    run = cli("table", "--spec", str(path), "--variant", "paper")
    assert_one_line_error(run, "this table defines no variants")


def test_an_error_in_a_variants_change_points_at_the_variant(tmp_path, cli):
    path = _table(
        tmp_path, lambda d: d["variants"]["torchvision"]["rows"]["pool4"].update(patch="2×3/2")
    )
    run = cli("table", "--spec", str(path), "--variant", "torchvision")
    assert_one_line_error(run, "variants.torchvision.rows.pool4.patch", "square patch")


def test_a_duplicate_id_names_both_places(tmp_path, cli):
    path = _table(
        tmp_path,
        lambda d: d["variants"]["caffe"]["insert_after"]["pool1"].update(id="pool2"),
    )
    run = cli("table", "--spec", str(path), "--variant", "caffe")
    assert_one_line_error(
        run, "rows[3].id", "duplicate id 'pool2'", "also at variants.caffe.insert_after.pool1.id"
    )


def test_a_head_on_a_row_too_small_for_it_is_a_table_error(tmp_path, cli):
    path = _table(tmp_path, lambda d: d["aux_heads"][0].update(tap="softmax"))
    run = cli("table", "--spec", str(path))
    assert_one_line_error(run, "aux_heads[0].rows[0]", "row 'aux_4a.pool'", "own input size")
    assert "--input-size" not in run.err
