"""`gnet-inspect table` as a user runs it: formats, files, golden renderings, bad options."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from conftest import assert_one_line_error
from golden import assert_golden

from gnet_inspect.cli.emit import render_text
from gnet_inspect.render.table_view import table_renderable, to_markdown


def test_rendered_table_matches_golden(reports):
    assert_golden("table-paper.txt", render_text(table_renderable(reports["paper"], 240), 240))


@pytest.mark.parametrize("width", [80, 120, 160, 200])
def test_narrow_terminals_keep_the_comparison_and_say_what_they_left_out(reports, width):
    text = render_text(table_renderable(reports["paper"], width), width)
    grid = [line for line in text.splitlines() if line[:1] in "┃│┏┡└"]
    assert max(len(line) for line in grid) <= width
    header = " ".join(line for line in grid[:6])
    for column in ("paper", "measured", "MACs"):
        assert column in header
    conv1 = next(line for line in grid if line.startswith("│convolution"))
    assert "2.7K" in conv1 and "118M" in conv1 and "✗" in conv1
    if width < 200:
        words = " ".join(text.split())
        assert "(A narrow terminal: left out" in words
        assert "params incl. biases" in words.split("left out")[1]


def test_markdown_matches_golden(reports):
    assert_golden("table-paper.md", to_markdown(reports["paper"]))


def test_csv_is_data_only_with_a_row_per_layer(cli):
    run = cli("table", "--format", "csv")
    assert run.code == 0 and run.err == ""
    rows = list(csv.DictReader(io.StringIO(run.out)))
    assert [r["id"] for r in rows][:3] == ["conv1", "pool1", "conv2"]
    assert len(rows) == 19 + 10
    total = sum(int(r["macs"]) for r in rows if not r["head"])
    assert total == 1_582_671_872
    assert all(int(r["flops"]) == 2 * int(r["macs"]) for r in rows)


def test_json_carries_totals_depth_and_conventions(cli):
    run = cli("table", "--format", "json", "--variant", "torchvision")
    document = json.loads(run.out)
    assert document["totals"]["params"] == 6_624_904
    assert document["params_with_aux"] == 13_004_888
    assert document["depth"]["layers_with_params"] == 22
    assert document["conventions"]["params_printed"] == {"counts": "weights", "base": 1024}
    assert document["rows"][0]["params_status"] == "differs"


def test_output_file_is_written_whole(cli, tmp_path):
    target = tmp_path / "table.md"
    run = cli("table", "--format", "markdown", "--output", str(target))
    assert run.code == 0 and run.out == ""
    assert target.read_text(encoding="utf-8").startswith("### GoogLeNet: Table 1 reproduced")
    assert [p.name for p in tmp_path.iterdir()] == ["table.md"]


def test_table_format_to_a_file_is_plain_text(cli, tmp_path):
    target = tmp_path / "table.txt"
    assert cli("table", "-o", str(target)).code == 0
    text = target.read_text(encoding="utf-8")
    assert "\x1b[" not in text and "inception (3a)" in text


def test_unwritable_output_is_refused(cli):
    # /proc takes no new files, whoever runs the tests (root included).
    run = cli("table", "--format", "csv", "--output", "/proc/gnet-inspect-table.csv")
    assert_one_line_error(run, "cannot write /proc/gnet-inspect-table.csv", "writable path")


def test_failure_while_writing_leaves_no_file_behind(cli, tmp_path, monkeypatch):
    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    run = cli("table", "--format", "csv", "--output", str(tmp_path / "t.csv"))
    assert_one_line_error(run, "No space left on device")
    assert list(tmp_path.iterdir()) == []


def test_output_that_is_a_directory(cli, tmp_path):
    assert_one_line_error(cli("table", "--output", str(tmp_path)), "is a directory")


def test_output_into_a_missing_directory(cli, tmp_path):
    run = cli("table", "--output", str(tmp_path / "no" / "such" / "t.txt"))
    assert_one_line_error(run, "no directory", "create it first")


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["table", "--format", "xml"], ["'xml' is not one of", "--help"]),
        (["table", "--input-size", "0"], ["--input-size", "x>=1"]),
        (["table", "--input-size", "64"], ["row 'avgpool'", "too small", "--input-size"]),
        (["table", "--input-size", "320"], ["row 'linear'", "1024 input features", "torchvision"]),
        (["tabel"], ["No such command 'tabel'"]),
        (["table", "--no-such-option"], ["--no-such-option"]),
    ],
)
def test_bad_options_fail_in_one_line(cli, args, fragments):
    assert_one_line_error(cli(*args), *fragments)


def test_other_input_sizes_run_where_the_head_pools_adaptively(cli):
    run = cli("table", "--variant", "torchvision", "--input-size", "320", "--format", "json")
    document = json.loads(run.out)
    assert document["input_size"] == [320, 320, 3]
    assert document["rows"][-1]["output"] == "1×1×1000"


def test_console_script_fails_cleanly_as_a_user_sees_it(console_script, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("rows: [\n")
    run = console_script("table", "--spec", str(bad))
    assert_one_line_error(run, "bad.yaml", "invalid YAML")


def test_console_script_prints_the_table(console_script, tmp_path):
    run = console_script("table", "--format", "csv", cwd=tmp_path)
    assert run.code == 0, run.err
    assert run.out.splitlines()[1].startswith("conv1,")


def test_small_inputs_run_where_every_window_fits(cli):
    # BatchNorm at a 1×1 map: measured in eval mode, as inference runs it.
    run = cli("table", "--variant", "torchvision", "--input-size", "32", "--format", "json")
    assert run.code == 0, run.err
    rows = json.loads(run.out)["rows"]
    assert rows[0]["output"] == "16×16×64"
    assert rows[0]["macs"] == 16 * 16 * 64 * 7 * 7 * 3


def test_output_through_a_link_writes_the_linked_file(cli, tmp_path):
    target = tmp_path / "target.csv"
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    assert cli("table", "--format", "csv", "--output", str(link)).code == 0
    assert link.is_symlink()
    assert target.read_text().startswith("id,head,type")


def test_output_keeps_an_existing_files_permissions(cli, tmp_path):
    target = tmp_path / "private.csv"
    target.write_text("old\n")
    target.chmod(0o600)
    assert cli("table", "--format", "csv", "--output", str(target)).code == 0
    assert target.stat().st_mode & 0o777 == 0o600


def test_output_to_a_device_writes_into_it_and_never_replaces_it(cli):
    assert cli("table", "--format", "csv", "--output", "/dev/null").code == 0
    assert Path("/dev/null").is_char_device()
    run = cli("table", "--format", "csv", "--output", "/dev/full")
    assert_one_line_error(run, "cannot write /dev/full", "No space left on device")
    assert Path("/dev/full").is_char_device()


def test_an_input_size_too_large_for_memory_is_refused_before_building(cli):
    run = cli("table", "--variant", "torchvision", "--input-size", "100000")
    assert_one_line_error(
        run, "measuring one 100000×100000 image needs about", "use a smaller --input-size"
    )


def test_no_command_prints_the_help_and_no_error(cli):
    run = cli()
    assert run.code == 0
    assert "Usage" in run.out
    assert run.err == ""


def test_a_full_stdout_is_a_one_line_error(console_script_to, tmp_path):
    run = console_script_to("/dev/full", "table", "--format", "json")
    assert_one_line_error(run, "cannot write to standard output", "No space left on device")


def test_a_reader_that_stops_early_ends_the_command_quietly(console_script_to):
    run = console_script_to(None, "table", "--format", "json")
    assert run.code in (1, 141)  # typer ends a broken pipe with 1 itself; ours would be 141
    assert run.err == ""
