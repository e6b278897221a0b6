"""Drawing from a saved profile as a user does: `chart`, `diagram --color-by` and `docs
--result`, without torch, and a result file that is not one refused in one line.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import assert_one_line_error

from gnet_inspect.render.diagram_shading import shade
from gnet_inspect.reports.profile.saved import load_profile

NO_TORCH = (
    "import sys; sys.modules['torch'] = None  # any import of torch fails\n"
    "from gnet_inspect.cli.main import main\n"
    "code = main(sys.argv[1:])\n"
    "assert not any(n == 'torch' or n.startswith('torch.') for n, m in sys.modules.items()"
    " if m is not None)\n"
    "sys.exit(code)\n"
)


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    from gnet_inspect.cli.main import main

    path = tmp_path_factory.mktemp("result") / "result.json"
    args = ["profile", "--warmup", "1", "--repeats", "3", "--format", "json", "-o", str(path)]
    assert main(args) == 0
    return path


def _without_torch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", NO_TORCH, *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("args", "start"),
    [
        (["chart", "{saved}", "-o", "{out}/shares.svg"], b"<?xml"),
        (["chart", "{saved}", "--kind", "roofline", "-o", "{out}/roofline.pdf"], b"%PDF"),
        (["chart", "{saved}", "--format", "png", "-o", "{out}/shares.png"], b"\x89PNG"),
        (["diagram", "--result", "{saved}", "-o", "{out}/latency.svg"], b"<?xml"),
        (["diagram", "--result", "{saved}", "--color-by", "params", "-o", "{out}/p.svg"], b"<?xml"),
    ],
)
def test_a_saved_profile_is_drawn_without_importing_torch(saved, tmp_path, args, start):
    filled = [a.format(saved=saved, out=tmp_path) for a in args]
    done = _without_torch(*filled)
    assert done.returncode == 0, done.stderr
    written = Path(filled[-1]).read_bytes()
    assert written.startswith(start)


def test_the_latency_diagram_colours_each_block_by_its_median(saved, tmp_path):
    done = _without_torch("diagram", "--result", str(saved), "--format", "dot")
    assert done.returncode == 0, done.stderr
    profile = load_profile(saved)
    assert profile.diagram is not None
    shading = shade(profile.diagram, "latency", profile)
    slowest = max(profile.blocks, key=lambda b: b.latency.median_ms)
    assert shading.fills[slowest.id] == "#800026"  # the scale's darkest
    for block in profile.blocks:
        assert f"{block.id} [label=" in done.stdout or f'"{block.id}" [label=' in done.stdout
        fill = shading.fills[block.id]
        line = next(
            x
            for x in done.stdout.splitlines()
            if x.strip().startswith((block.id, f'"{block.id}"')) and "label=" in x
        )
        assert f'fillcolor="{fill}"' in line, block.id
    assert "median latency, cpu" in done.stdout and "no value" in done.stdout


def test_colouring_by_macs_scales_from_zero_to_the_largest(cli):
    run = cli("diagram", "--color-by", "macs", "--format", "dot")
    assert run.code == 0, run.err
    lines = {
        line.split(" [")[0].strip(): line for line in run.out.splitlines() if " [label=" in line
    }
    assert 'fillcolor="#800026"' in lines["conv2"]  # the most MACs of any row
    assert 'fillcolor="#ffffcc"' in lines["pool1"]  # none
    assert "MACs per image" in run.out


def _luminance(colour: str) -> float:
    """WCAG's relative luminance of ``#rrggbb``."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("by", ["macs", "params", "memory"])
def test_every_text_on_a_cost_coloured_node_can_be_read(cli, by):
    """Each node's title and its grey annotation against its fill: at least 4.5:1 (WCAG AA
    for text), so that the annotation on the darkest nodes is not grey on dark red."""
    import re

    run = cli("diagram", "--color-by", by, "--format", "dot", "--depth", "modules")
    assert run.code == 0, run.err
    checked = 0
    for line in run.out.splitlines():
        fill = re.search(r'fillcolor="(#[0-9a-f]{6})"', line)
        if " [label=<" not in line or fill is None:
            continue
        font = re.search(r'fontcolor="(#[0-9a-f]{6})"', line)
        text = font[1] if font else "#000000"
        assert _contrast(text, fill[1]) >= 4.5, line
        for note in re.findall(r'FONT POINT-SIZE="8" COLOR="(#[0-9a-f]{6})"', line):
            assert _contrast(note, fill[1]) >= 4.5, line
            checked += 1
    assert checked > 10


def test_docs_draws_the_pictures_of_a_saved_profile(cli, saved, tmp_path):
    folder = tmp_path / "docs"
    run = cli("docs", str(folder), "--result", str(saved))
    assert run.code == 0, run.err
    for name in ("shares.svg", "roofline.svg", "network-latency.svg"):
        assert (folder / name).read_bytes().startswith(b"<?xml"), name
    index = (folder / "index.md").read_text(encoding="utf-8")
    assert "![Where the cost goes](shares.svg)" in index and "(roofline.svg)" in index
    settings = load_profile(saved).settings
    assert settings.device_name in index  # the machine is named


def _write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_result_files_that_are_not_one_fail_in_one_line(cli, saved, tmp_path):
    whole = saved.read_text(encoding="utf-8")
    document = json.loads(whole)
    missing = {k: v for k, v in document.items() if k != "ceilings"} | {"end_to_end": {}}
    bad_block = json.loads(whole)
    bad_block["blocks"][0]["macs"] = "many"
    flops = tmp_path / "flops.json"
    assert cli("flops", "--format", "json", "-o", str(flops)).code == 0
    huge, twice, flat = json.loads(whole), json.loads(whole), json.loads(whole)
    huge["blocks"][0]["macs"] = 10**30
    twice["blocks"][1]["id"] = twice["blocks"][0]["id"]
    flat["ceilings"]["bandwidth_bytes_per_s"] = 1e-300  # a ridge past any float
    train = tmp_path / "train.json"
    run = cli("profile", "--pass", "train", "--variant", "torchvision", "--input-size", "64",
              "--warmup", "0", "--repeats", "1", "--format", "json", "-o", str(train))  # fmt: skip
    assert run.code == 0, run.err
    cases = {
        _write(tmp_path / "cut.json", whole[: len(whole) // 2]): "not JSON (truncated?)",
        str(flops): "not a gnet-inspect profile result",
        _write(tmp_path / "old.json", json.dumps(document | {"version": 0})): "version 0",
        _write(tmp_path / "gap.json", json.dumps(missing)): "at 'end_to_end.median_ms': missing",
        _write(tmp_path / "type.json", json.dumps(bad_block)): "expected int, found a string",
        _write(tmp_path / "list.json", "[1, 2]"): "expected an object, found a list",
        str(tmp_path / "none.json"): "no such file",
        _write(tmp_path / "deep.json", "[" * 100_000): "nested too deep",
        _write(tmp_path / "huge.json", json.dumps(huge)): "a count out of range",
        _write(tmp_path / "twice.json", json.dumps(twice)): "block 'conv1' twice",
        _write(tmp_path / "flat.json", json.dumps(flat)): "their ratio finite",
        str(train): "a training-step profile; the pictures draw an inference profile",
        str(tmp_path): "not a regular file",
    }
    for path, fragment in cases.items():
        for args in (["chart", path], ["diagram", "--result", path]):
            out = tmp_path / "out.svg"
            run = cli(*args, "-o", str(out))
            assert_one_line_error(
                run, fragment, "gnet-inspect profile --format json" if "such" in fragment else ""
            )
            assert not out.exists()


def test_a_profile_of_another_table_is_refused(cli, saved, tmp_path):
    out = tmp_path / "out.svg"
    run = cli("diagram", "--result", str(saved), "--variant", "torchvision", "-o", str(out))
    assert_one_line_error(run, "is a profile of table 'GoogLeNet' (variant paper)", "torchvision")
    run = cli("docs", str(tmp_path / "docs"), "--result", str(saved), "--reduce", "off")
    assert_one_line_error(run, "--result is a profile of table", "paper + reduce off")
    assert not out.exists() and not (tmp_path / "docs").exists()


def test_blocks_that_are_not_in_the_saved_graph_are_refused(cli, saved, tmp_path):
    document = json.loads(saved.read_text(encoding="utf-8"))
    document["blocks"][0]["id"] = "conv9"
    path = _write(tmp_path / "joined.json", json.dumps(document))
    assert_one_line_error(cli("chart", path), "blocks conv9 not in the graph of table")


def test_a_saved_profile_is_drawn_whole_at_its_own_depth(cli, saved):
    run = cli("diagram", "--result", str(saved), "--depth", "branches")
    assert_one_line_error(run, "was profiled at depth modules")
    run = cli("diagram", "--result", str(saved), "--module", "inception_3a")
    assert_one_line_error(run, "a saved profile colours the whole network")
    assert_one_line_error(cli("profile", "--optimizer", "adam"), "give --pass train with it")


def test_latency_colours_need_a_result_and_charts_need_a_chart_format(cli, saved):
    assert_one_line_error(cli("diagram", "--color-by", "latency"), "needs a saved profile")
    assert_one_line_error(cli("diagram", "--color-by", "flops"), "unknown --color-by 'flops'")
    assert_one_line_error(cli("chart", str(saved), "--format", "dot"), "a chart is svg, png or pdf")
    assert_one_line_error(cli("chart", str(saved), "-o", "x.gif"), "cannot tell the format")


def test_colouring_by_memory_weighs_weights_and_output_in_float32(cli, specs):
    from gnet_inspect.measure.measure import measure

    run = cli("diagram", "--color-by", "memory", "--format", "dot")
    assert run.code == 0, run.err
    lines = {
        line.split(" [")[0].strip().strip('"'): line
        for line in run.out.splitlines()
        if " [label=" in line
    }
    measured = measure(specs["paper"])
    held = {  # every row, the aux heads' too (an aux fc holds 2.1M weights)
        r.id: 4 * (r.output.height * r.output.width * r.output.channels + r.params.params)
        for r in (*measured.rows, *measured.aux_rows)
    }
    assert 'fillcolor="#800026"' in lines[max(held, key=lambda k: held[k])]
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    top = max(held.values())
    for node, value in held.items():  # every row with a module on the one linear scale
        if node not in lines:  # the softmax: in the loss, no node
            continue
        assert f'fillcolor="{to_hex(colormaps["YlOrRd"](value / top))}"' in lines[node], node
    assert "weights + output, float32, one image" in run.out
