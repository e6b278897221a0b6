"""What every command that builds a network shares: the what-ifs, the memory guard, the API's
word on what it takes."""

from __future__ import annotations

import json

import pytest
from conftest import assert_one_line_error, run_under_memory_limit
from torch import nn

from gnet_inspect.cli.main import COMMANDS
from gnet_inspect.errors import NetworkTypeError
from gnet_inspect.measure.measure import measure
from gnet_inspect.reports.profile.latency import profile_latency
from gnet_inspect.spec.whatifs import WHATIFS

# conv1 depthwise-separable with multiplier 8 (docs/paper-facts.md): the text's "1.5 billion".
SEPARABLE_MACS = 1_498_677_248
BUILDING = ("table", "flops", "diagram", "docs", "profile")
QUICK = ("--repeats", "1", "--warmup", "0")


def test_every_command_that_builds_a_network_is_listed():
    assert set(BUILDING) <= set(COMMANDS)


@pytest.mark.parametrize("command", ["table", "flops", "diagram", "docs", "profile"])
def test_every_building_command_takes_every_whatif_and_reduce(cli, command):
    run = cli(command, "--help")
    assert run.code == 0
    assert "--reduce" in run.out and "--whatif" in run.out
    for name in WHATIFS:
        assert name in run.out, (command, name)


def test_separable_conv1_in_table(cli):
    run = cli("table", "--whatif", "separable-conv1", "--format", "json")
    document = json.loads(run.out)
    assert document["totals"]["macs"] == SEPARABLE_MACS
    assert document["whatifs"] == ["separable conv1"]
    conv1 = document["rows"][0]
    assert conv1["weights"] == 7 * 7 * 3 * 8 + 24 * 64  # 2,712: the printed 2.7K
    assert (conv1["params_status"], conv1["ops_status"]) == ("close", "match")  # 2.648K, 34.02M


def test_separable_conv1_in_flops(cli):
    run = cli("flops", "--whatif", "separable-conv1", "--depth", "operations", "-f", "json")
    document = json.loads(run.out)
    assert sum(row["macs"] for row in document["rows"]) == SEPARABLE_MACS
    kinds = {row["id"]: row["kind"] for row in document["rows"]}
    assert kinds["conv1.depthwise"] == "depthwise convolution"
    assert kinds["conv1.pointwise"] == "convolution"


def test_separable_conv1_in_diagram(cli):
    run = cli("diagram", "--whatif", "separable-conv1", "--format", "dot", "--depth", "layers")
    assert run.code == 0, run.err
    assert "depthwise conv" in run.out and "separable conv1" in run.out


def test_separable_conv1_in_docs(cli, tmp_path):
    run = cli("docs", str(tmp_path / "docs"), "--whatif", "separable-conv1")
    assert run.code == 0, run.err
    index = (tmp_path / "docs" / "index.md").read_text(encoding="utf-8")
    assert "paper + separable conv1" in index
    assert "1,498,677,248" in (tmp_path / "docs" / "table.md").read_text(encoding="utf-8")


def test_separable_conv1_in_profile(cli):
    run = cli("profile", "--whatif", "separable-conv1", *QUICK, "--format", "json")
    document = json.loads(run.out)
    assert document["total_macs"] == SEPARABLE_MACS
    assert document["settings"]["variant"] == "paper + separable conv1"


def test_an_input_too_large_for_memory_is_one_line_in_every_command(tmp_path):
    large = ["--variant", "torchvision", "--input-size", "8000"]
    runs = [
        ["table", *large],
        ["diagram", "--format", "dot", *large],
        ["docs", str(tmp_path / "docs"), *large],
        ["flops", *large],
        ["profile", *QUICK, *large],
    ]
    for run in run_under_memory_limit(runs):
        assert_one_line_error(
            run, "measuring one 8000×8000 image needs about", "use a smaller --input-size"
        )
    assert not (tmp_path / "docs").exists()


@pytest.mark.parametrize("call", [measure, profile_latency])
def test_the_api_says_what_it_takes_when_given_a_module_it_did_not_build(call):
    with pytest.raises(NetworkTypeError, match=r"takes a NetworkSpec .* not a torch\.nn"):
        call(nn.Sequential(nn.Conv2d(3, 8, 3)))


def test_an_error_run_writes_nothing(cli, tmp_path):
    target = tmp_path / "out.json"
    run = cli("table", "--whatif", "bigger", "--format", "json", "--output", str(target))
    assert_one_line_error(run, "unknown what-if 'bigger'")
    assert not target.exists()
