"""`gnet-inspect diagram` and `gnet-inspect docs` as a user runs them: files, formats, failures."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from conftest import assert_one_line_error
from golden import assert_golden

from gnet_inspect.measure.measure import measure
from gnet_inspect.render.table_view import to_markdown
from gnet_inspect.reports.table import table_report

FIGURES = Path(__file__).resolve().parents[2] / "docs" / "figures"


def test_png_output_takes_its_format_from_the_suffix(cli, tmp_path):
    target = tmp_path / "inception_4a.png"
    run = cli("diagram", "--module", "inception_4a", "--reduce", "off", "-o", str(target))
    assert run.code == 0 and run.out == "" and run.err == "", run
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [path.name for path in tmp_path.iterdir()] == ["inception_4a.png"]


def test_dot_format_needs_no_graphviz_and_matches_the_golden(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot anywhere
    run = cli("diagram", "--format", "dot")
    assert run.code == 0, run.err
    assert_golden("diagram-network.dot", run.out)


def test_missing_dot_fails_in_one_line_saying_how_to_install(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    target = tmp_path / "network.svg"
    run = cli("diagram", "-o", str(target))
    assert_one_line_error(
        run, "'dot' program was not found", "apt-get install graphviz", "--format dot"
    )
    assert not target.exists()


def test_missing_dot_as_the_console_script_reports_it(tmp_path):
    script = Path(sys.executable).with_name("gnet-inspect")
    env = dict(os.environ, PATH=str(tmp_path))
    done = subprocess.run(
        [str(script), "diagram", "--format", "png", "-o", str(tmp_path / "n.png")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith("gnet-inspect: error: graphviz's 'dot' program was not found")
    assert "apt-get install graphviz" in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_a_dot_that_never_exits_fails_in_one_line_after_its_time(cli, monkeypatch, tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "dot").write_text("#!/bin/sh\nexec sleep 60\n")
    (fake / "dot").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("GNET_INSPECT_DOT_TIMEOUT", "0.5")
    target = tmp_path / "inception_3a.svg"
    small = ("--variant", "torchvision", "--input-size", "64")
    run = cli("diagram", "--module", "inception_3a", *small, "-o", str(target))
    assert_one_line_error(run, "dot did not render svg within 0.5 s", "GNET_INSPECT_DOT_TIMEOUT")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["bin"]


def test_console_script_svg_is_byte_identical_to_another_run(console_script, cli, tmp_path):
    first, second = tmp_path / "a.svg", tmp_path / "b.svg"
    assert console_script("diagram", "-m", "inception_4a", "-o", str(first)).code == 0
    assert cli("diagram", "-m", "inception_4a", "-o", str(second)).code == 0
    assert first.read_bytes() == second.read_bytes()
    root = ET.fromstring(first.read_bytes())
    assert root.tag.endswith("svg")


def test_output_suffix_naming_no_format_fails_before_any_work(cli, tmp_path):
    target = tmp_path / "network.gif"
    # A table that does not exist: the suffix is refused before the table is even read.
    run = cli("diagram", "--spec", str(tmp_path / "missing.yaml"), "-o", str(target))
    assert_one_line_error(run, f"cannot tell the format of {target}", "'.gif'", "--format")
    assert list(tmp_path.iterdir()) == []


def test_format_contradicting_the_output_suffix_fails_before_any_work(cli, tmp_path):
    target = tmp_path / "network.svg"
    run = cli("diagram", "--spec", str(tmp_path / "missing.yaml"), "-o", str(target), "-f", "png")
    assert_one_line_error(
        run, f"--format png contradicts the output {target}", str(tmp_path / "network.png")
    )
    assert list(tmp_path.iterdir()) == []


def test_unknown_module_fails_in_one_line_listing_the_names(cli):
    run = cli("diagram", "--module", "inception_9z", "--format", "dot")
    assert_one_line_error(run, "unknown module 'inception_9z'", "inception_4a", "aux_4d")


def test_unwritable_output_fails_in_one_line(cli):
    run = cli("diagram", "--format", "dot", "-o", "/proc/gnet-inspect-network.dot")
    assert_one_line_error(run, "cannot write /proc/gnet-inspect-network.dot")


def test_failure_while_writing_leaves_no_file_behind(cli, tmp_path, monkeypatch):
    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    run = cli("diagram", "-o", str(tmp_path / "network.svg"))
    assert_one_line_error(run, "No space left on device")
    assert list(tmp_path.iterdir()) == []


def test_bad_options_fail_in_one_line(cli):
    assert_one_line_error(cli("diagram", "--annotate", "flops"), "unknown annotation 'flops'")
    assert_one_line_error(cli("diagram", "--annotate", "none,macs"), "'none' stands alone")
    assert_one_line_error(
        cli("diagram", "--depth", "deep"),
        "unknown depth 'deep'; available: modules, branches, layers, operations",
    )
    assert_one_line_error(cli("diagram", "--format", "jpg"), "'jpg' is not one of")


def test_options_reach_the_figure(cli):
    run = cli(
        "diagram",
        "-f",
        "dot",
        "--variant",
        "caffe",
        "--direction",
        "lr",
        "--annotate",
        "shape",
        "--depth",
        "branches",
        "--no-legend",
    )
    assert run.code == 0, run.err
    assert (
        "rankdir=LR" in run.out and "GoogLeNet (caffe): whole network, depth: branches" in run.out
    )
    assert "norm1" in run.out and "inception_3a.branch3x3" in run.out
    assert "MACs" not in run.out and "legend" not in run.out


def test_docs_writes_the_figures_and_the_table(cli, tmp_path, specs):
    folder = tmp_path / "docs"
    run = cli("docs", str(folder))
    assert run.code == 0, run.err
    names = ["network.svg", "inception_3a.svg", "inception_3a-naive.svg"]
    names += ["shares.svg", "roofline.svg", "network-latency.svg"]  # a short CPU profile's
    names += ["table.md", "reductions.md", "memory.md", "index.md"]
    assert run.out.splitlines() == [str(folder / name) for name in names]
    assert sorted(path.name for path in folder.iterdir()) == sorted(names)
    table = (folder / "table.md").read_text(encoding="utf-8")
    assert table == to_markdown(table_report(measure(specs["paper"])))
    committed = (FIGURES / "table.md").read_text(encoding="utf-8")
    assert committed == table, "docs/figures is stale; run: gnet-inspect docs docs/figures"
    index = (folder / "index.md").read_text(encoding="utf-8")
    assert all(f"]({name})" in index for name in names[:6]) and table in index
    savings = (folder / "reductions.md").read_text(encoding="utf-8")
    assert "Total MACs, other / base: 7.94×" in savings
    assert savings in index
    memory = (folder / "memory.md").read_text(encoding="utf-8")
    assert "batch 1 ×" in memory and "batch 32 ×" in memory and memory in index
    for name in names[:3]:
        assert ET.fromstring((folder / name).read_bytes()).tag.endswith("svg")


def test_docs_without_dot_writes_nothing(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    run = cli("docs", str(tmp_path / "docs"))
    assert_one_line_error(run, "apt-get install graphviz")
    assert "--format dot" not in run.err  # docs has no such format to offer
    assert list(tmp_path.iterdir()) == []


def test_docs_failing_to_write_one_file_removes_the_ones_it_wrote(cli, monkeypatch, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "notes.md").write_text("kept")
    (folder / "index.md").write_text("the old index")
    replace, calls = os.replace, []

    def replace_then_fill_the_disk(src: str, dst: str) -> None:
        calls.append(dst)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        replace(src, dst)

    monkeypatch.setattr(os, "replace", replace_then_fill_the_disk)
    run = cli("docs", str(folder), "--module", "conv2", "--no-pictures")  # one build, no profile
    assert_one_line_error(run, "No space left on device")
    assert len(calls) == 3
    assert sorted(path.name for path in folder.iterdir()) == ["index.md", "notes.md"]
    assert (folder / "index.md").read_text() == "the old index"  # never reached, untouched


def test_docs_into_an_unwritable_folder_fails_in_one_line(cli):
    run = cli("docs", "/proc/gnet-inspect-docs", "--format", "svg")
    assert_one_line_error(run, "cannot create /proc/gnet-inspect-docs")


def test_docs_with_an_unknown_module_creates_no_folder(cli, tmp_path):
    run = cli("docs", str(tmp_path / "docs"), "--module", "inception_9z")
    assert_one_line_error(run, "inception_9z")
    assert not (tmp_path / "docs").exists()


def test_png_to_a_terminal_through_dash_is_refused_before_measuring(cli, monkeypatch):
    """``-o -`` is stdout: a PNG for a terminal is refused as without ``-o``, at once."""
    import sys

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    run = cli("diagram", "--format", "png", "-o", "-", "--input-size", "100000")
    assert_one_line_error(run, "png is binary; write it to a file")
