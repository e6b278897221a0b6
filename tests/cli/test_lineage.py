"""``gnet-inspect lineage``: the generations side by side, every number joined with the one the
per-table command prints, the printed errors traced to the table files, the charts checked
against their numbers, and bad input refused in one line."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from conftest import assert_one_line_error

import gnet_inspect as gi
from gnet_inspect.cli.main import main
from gnet_inspect.render.chart_lineage import draw_errors, draw_stages, error_points
from gnet_inspect.reports.lineage.saved import load_lineage
from gnet_inspect.spec.loader import bundled_tables, named_table

SVG = "{http://www.w3.org/2000/svg}"
# Three generations that measure quickly, one of them a variant asked for by name.
TABLES = ("googlenet", "bn-inception:pretrainedmodels", "inception-v3")


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    """The three generations' lineage at batch 2, saved as ``lineage --format json -o`` does."""
    path = tmp_path_factory.mktemp("lineage") / "lineage.json"
    args = ["lineage", *(a for t in TABLES for a in ("--table", t)), "--batch-size", "2"]
    assert main([*args, "--format", "json", "-o", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def document(saved) -> dict:
    return json.loads(saved.read_text(encoding="utf-8"))


def _json(cli, *args: str) -> dict:
    run = cli(*args, "--format", "json")
    assert run.code == 0, run.err
    return json.loads(run.out)


@pytest.mark.parametrize("index", range(len(TABLES)))
def test_every_number_is_the_one_the_per_table_commands_print(cli, document, index):
    generation = document["generations"][index]
    name, _, variant = TABLES[index].partition(":")
    which = ("--table", name, *(("--variant", variant) if variant else ()))
    table = _json(cli, "table", *which)
    assert generation["params"] == table["totals"]["params"]
    assert generation["macs"] == table["totals"]["macs"]
    assert generation["params_with_aux"] == table["params_with_aux"]
    assert generation["depth"] == table["depth"]["layers_with_params"]
    assert generation["depth_with_pooling"] == table["depth"]["layers_with_pooling"]
    assert generation["input_size"] == table["input_size"][0]
    step = _json(cli, "flops", "--pass", "train", *which)
    assert generation["step_macs"] == step["totals"]["step_macs"]
    stages = _json(cli, "flops", "--depth", "stages", *which)["rows"]
    assert [(s["grid"], s["macs"], s["params"]) for s in generation["stages"]] == [
        (s["id"], s["macs"], s["params"]) for s in stages
    ]
    memory = _json(cli, "memory", "--batch-size", "2", *which)["totals"]
    assert generation["inference_bytes"] == memory["inference_bytes"]
    assert generation["training_step_bytes"] == memory["training_step_bytes"]


def test_the_printed_errors_are_the_table_files_claims(document):
    """Read from the YAML itself (not through the loader), with the source they cite."""
    for generation, label in zip(document["generations"], TABLES, strict=True):
        name = label.partition(":")[0]
        claims = yaml.safe_load(named_table(name).read_text(encoding="utf-8"))["claims"]["error"]
        error = generation["error"]
        assert error["source"] == claims["source"]
        for rate in ("top1", "top5"):
            assert error[f"{rate}_text"] == claims.get(rate)
            if rate in claims:
                assert error[rate] == pytest.approx(float(claims[rate].rstrip("%")))
    assert document["generations"][0]["error"]["top1"] is None  # GoogLeNet prints top-5 only


def test_ratios_are_to_googlenet_and_the_stages_add_up(document, saved):
    lineage = load_lineage(saved)
    assert lineage.base == "googlenet"
    records = {r["table"]: r for r in lineage.records()}
    v3 = records["inception-v3"]
    assert v3["macs_ratio"] == pytest.approx(v3["macs"] / records["googlenet"]["macs"])
    assert v3["params_ratio"] == pytest.approx(v3["params"] / records["googlenet"]["params"])
    for generation in lineage.generations:
        assert sum(s.macs for s in generation.stages) == generation.macs
        assert sum(s.params for s in generation.stages) == generation.params
    assert [g.variant for g in lineage.generations] == ["paper", "pretrainedmodels", "released"]


def test_by_default_every_bundled_table_in_the_order_their_papers_appeared():
    from gnet_inspect.reports.lineage.compare import resolve_tables

    resolved = resolve_tables(None)
    assert sorted(label for label, _ in resolved) == sorted(bundled_tables())
    dates = [spec.published for _, spec in resolved]
    assert dates == sorted(dates) and dates[0] == "2014-09"
    assert [label for label, _ in resolved][:3] == ["googlenet", "bn-inception", "inception-v3"]


def test_every_format_carries_the_generations(cli, saved, document):
    args = [a for t in TABLES[:2] for a in ("--table", t)]
    text = cli("lineage", *args)
    assert text.code == 0, text.err
    flat = " ".join(text.out.split())
    assert "× is the ratio to googlenet" in flat and "10.07%" in flat and "112×112" in flat
    assert "as printed in Table 5 (1 model, 1 crop; ILSVRC 2014 validation) of Szegedy" in flat
    rows = list(csv.DictReader(io.StringIO(cli("lineage", *args, "--format", "csv").out)))
    assert [r["table"] for r in rows] == ["googlenet", "bn-inception:pretrainedmodels"]
    assert rows[1]["top1_error"] == "25.2%" and rows[0]["macs_ratio"] == "1.0"
    markdown = cli("lineage", *args, "--format", "markdown").out
    assert markdown.startswith("### The Inception lineage") and "| googlenet |" in markdown
    assert document["format"] == "gnet-inspect lineage" and document["batch_size"] == 2


def test_the_api_returns_the_same_data():
    lineage = gi.lineage(["googlenet"])
    assert [g.table for g in lineage.generations] == ["googlenet"]
    assert lineage.generations[0].macs == 1_582_671_872
    assert lineage.document()["generations"][0]["params"] == 6_998_552


def test_with_latency_each_forward_pass_is_timed_as_profile_times_it(cli):
    run = cli("lineage", "--table", "googlenet", "--table", "bn-inception", "--latency")
    assert run.code == 0, run.err
    assert "as `profile` times it" in " ".join(run.out.split())
    rows = list(csv.DictReader(io.StringIO(cli("lineage", "--latency", "--format", "csv").out)))
    for row in rows:
        assert float(row["images_per_s"]) == pytest.approx(1000 / float(row["latency_ms"]))
    data = _json(
        cli, "lineage", "--table", "googlenet", "--latency", "--repeats", "2", "--warmup", "0"
    )
    latency = data["generations"][0]["latency"]
    assert latency["samples"] == 2 and latency["device"] == "cpu" and latency["median_ms"] > 0


def _groups(svg: bytes) -> dict[str, ET.Element]:
    return {g.get("id"): g for g in ET.fromstring(svg).iter(f"{SVG}g") if g.get("id")}


def _use_position(group: ET.Element) -> tuple[float, float]:
    use = next(group.iter(f"{SVG}use"))
    return float(use.get("x", "nan")), float(use.get("y", "nan"))


def _path_box(group: ET.Element) -> tuple[float, float, float, float]:
    path = next(group.iter(f"{SVG}path"))
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", path.get("d", ""))]
    xs, ys = numbers[0::2], numbers[1::2]
    return min(xs), max(xs), min(ys), max(ys)


def test_every_point_of_the_errors_chart_sits_at_its_macs_and_printed_error(saved):
    lineage = load_lineage(saved)
    groups = _groups(draw_errors(lineage, "svg"))
    placed = [
        (*_use_position(groups[f"macs-{rate}-{g.table}"]), g.macs, value)
        for rate in ("top1", "top5")
        for g, value in error_points(lineage, rate)
    ]
    assert len(placed) == 5  # GoogLeNet prints no top-1
    assert "macs-top1-googlenet" not in groups
    # the axes start at 0: x and y are proportional to MACs and error (y grows downwards)
    (xa, _, ma, _), (xb, _, mb, _) = (
        min(placed, key=lambda p: p[2]),
        max(placed, key=lambda p: p[2]),
    )
    per_mac = (xb - xa) / (mb - ma)
    origin_x = xa - per_mac * ma
    for x, _, macs, _ in placed:
        assert x == pytest.approx(origin_x + per_mac * macs, abs=0.5)
    (_, y1, _, e1), (_, y2, _, e2) = (
        min(placed, key=lambda p: p[3]),
        max(placed, key=lambda p: p[3]),
    )
    per_percent = (y2 - y1) / (e2 - e1)
    assert per_percent < 0
    for _, y, _, error in placed:
        assert y == pytest.approx(y1 + per_percent * (error - e1), abs=0.5)


def test_every_segment_of_the_stages_chart_is_its_stages_macs_in_order(saved):
    lineage = load_lineage(saved)
    groups = _groups(draw_stages(lineage, "svg"))
    scale = None
    for generation in lineage.generations:
        edge = None
        for stage in generation.stages:
            left, right, _, _ = _path_box(groups[f"stage-{generation.table}-{stage.grid}"])
            if edge is not None:
                assert left == pytest.approx(edge, abs=0.05)  # stacked, in order
            edge = right
            if stage.macs > 10**8:
                width = (right - left) / stage.macs
                scale = scale or width
                assert width == pytest.approx(scale, rel=0.01)  # one scale for every bar


def test_the_charts_draw_from_the_saved_file_and_refuse_the_other_kind(cli, saved, tmp_path):
    for kind in ("errors", "stages"):
        out = tmp_path / f"{kind}.svg"
        run = cli("chart", str(saved), "--kind", kind, "-o", str(out))
        assert run.code == 0, run.err
        assert b"googlenet" in out.read_bytes()
    assert_one_line_error(
        cli("chart", str(saved), "--kind", "shares"), "not a gnet-inspect profile result",
        "--kind errors or stages",
    )  # fmt: skip
    truncated = tmp_path / "cut.json"
    truncated.write_bytes(saved.read_bytes()[:200])
    assert_one_line_error(cli("chart", str(truncated), "--kind", "errors"), "not JSON")
    broken = json.loads(saved.read_text(encoding="utf-8"))
    broken["generations"][1]["macs"] = "many"
    (tmp_path / "broken.json").write_text(json.dumps(broken), encoding="utf-8")
    assert_one_line_error(
        cli("chart", str(tmp_path / "broken.json"), "--kind", "stages"),
        "generations[1].macs", "expected int",
    )  # fmt: skip


def test_the_docs_set_gains_a_lineage_page(cli, saved, tmp_path):
    folder = tmp_path / "docs"
    run = cli("docs", str(folder), "--no-pictures", "--lineage", str(saved))
    assert run.code == 0, run.err
    names = {p.name for p in folder.iterdir()}
    assert {"lineage.md", "lineage-errors.svg", "lineage-stages.svg"} <= names
    index = (folder / "index.md").read_text(encoding="utf-8")
    assert "![The lineage: printed error against measured cost](lineage-errors.svg)" in index
    assert "## The Inception lineage" in index
    assert "| bn-inception:pretrainedmodels |" in (folder / "lineage.md").read_text("utf-8")


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--table", "inception-v9"], ("unknown table", "googlenet")),
        (["--table", "googlenet:nope"], ("unknown variant", "paper")),
        (["--table", "googlenet", "--table", "googlenet"], ("go by 'googlenet'",)),
        (["--table", "googlenet:"], ("expected a variant after ':'",)),
        (["--repeats", "3"], ("add --latency",)),
        (["--table", "googlenet", "--latency", "--device", "cuda:7"], ("cuda",)),
        (["--table", "googlenet", "--spec", "/nonexistent.yaml"], ("nonexistent.yaml",)),
        (["--table", "googlenet", "--optimizer", "lbfgs"], ("lbfgs",)),
    ],
)
def test_bad_input_is_one_line(cli, args, fragments):
    assert_one_line_error(cli("lineage", *args), *fragments)


def test_a_huge_batch_is_refused_before_allocating(cli):
    run = cli("lineage", "--table", "googlenet", "--latency", "--batch-size", "10000000")
    assert_one_line_error(run, "needs about", "batch-size")


def test_lineage_is_listed_in_the_help_with_every_table_and_variant(cli):
    assert "lineage" in cli("--help").out
    compact = "".join(cli("lineage", "--help").out.replace("│", " ").split())
    for name in bundled_tables():
        assert name in compact


def test_the_committed_lineage_is_what_the_tool_makes_today():
    """docs/lineage: the saved lineage of every bundled table, its page and its charts."""
    from gnet_inspect.render.lineage_view import lineage_markdown

    folder = Path(__file__).parents[2] / "docs" / "lineage"
    stale = "docs/lineage is stale; see its lineage.md for the commands that write it"
    committed = json.loads((folder / "lineage.json").read_text(encoding="utf-8"))
    assert committed == json.loads(json.dumps(gi.lineage().document())), stale
    saved = load_lineage(folder / "lineage.json")
    assert (folder / "errors.svg").read_bytes() == draw_errors(saved, "svg"), stale
    assert (folder / "stages.svg").read_bytes() == draw_stages(saved, "svg"), stale
    assert (folder / "lineage.md").read_text(encoding="utf-8").endswith(lineage_markdown(saved))


@pytest.mark.parametrize(
    ("kind", "suffix", "start"), [("errors", "pdf", b"%PDF"), ("stages", "png", b"\x89PNG")]
)
def test_a_saved_lineage_is_drawn_without_importing_torch(saved, tmp_path, kind, suffix, start):
    from test_chart_cli import _without_torch

    out = tmp_path / f"{kind}.{suffix}"
    done = _without_torch("chart", str(saved), "--kind", kind, "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(start)


def test_ratios_are_to_googlenet_whichever_variant_or_place_it_has():
    lineage = gi.lineage(["inception-v3", "googlenet:caffe"])
    assert lineage.base == "googlenet:caffe"
    records = {r["table"]: r for r in lineage.records()}
    assert records["googlenet:caffe"]["macs_ratio"] == 1.0
    assert records["inception-v3"]["macs_ratio"] > 3
    frame = lineage.to_frame()
    assert frame.loc["inception-v3", "macs"] == records["inception-v3"]["macs"]


def test_the_api_takes_one_name_and_refuses_an_unknown_optimizer():
    from gnet_inspect.errors import OptionError

    assert [g.table for g in gi.lineage("googlenet").generations] == ["googlenet"]
    with pytest.raises(OptionError, match="unknown optimizer 'foo'"):
        gi.lineage("googlenet", optimizer="foo")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda d: d["generations"][0]["stages"][0].update(grid="abc"), "expected a grid"),
        (lambda d: d["generations"][0]["stages"].clear(), "do not add up"),
        (lambda d: d.update(batch_size=0), "at least 1"),
        (lambda d: d.update(generations=[]), "expected 1 to 100 generations"),
        (lambda d: d["generations"][0]["stages"][0].update(macs=1), "do not add up"),
    ],
)
def test_a_saved_lineage_that_cannot_be_right_is_refused(cli, saved, tmp_path, change, fragment):
    data = json.loads(saved.read_text(encoding="utf-8"))
    change(data)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    assert_one_line_error(cli("chart", str(bad), "--kind", "stages"), fragment)
    folder = tmp_path / "docs"
    assert_one_line_error(
        cli("docs", str(folder), "--no-pictures", "--lineage", str(bad)), fragment
    )
    assert not folder.exists()


def test_a_table_that_cannot_be_measured_is_named_by_its_label(cli, tmp_path):
    text = named_table("googlenet").read_text(encoding="utf-8")
    text = text.replace(
        "  - {id: linear, type: linear, output: 1×1×1000, depth: 1, params: 1000K, ops: 1M}\n", ""
    ).replace(
        "{id: softmax, type: softmax, output: 1×1×1000",
        "{id: softmax, type: softmax, output: 1×1×1024",
    )
    path = tmp_path / "headless.yaml"
    path.write_text(text, encoding="utf-8")
    run = cli("lineage", "--table", "googlenet", "--spec", str(path))
    assert_one_line_error(run, "headless: a training step needs class scores")
