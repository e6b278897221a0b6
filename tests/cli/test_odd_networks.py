"""Networks at the edges: a table with no layer at all, and requests too large for memory.

A degenerate table either works or is refused in one line; a profile or a table that would
not fit is refused before anything large is allocated, naming what is too large. The memory
tests run under an address-space limit (``ulimit -v``), so they cannot take the machine down.
"""

from __future__ import annotations

import json

import pytest
from conftest import assert_one_line_error, run_under_memory_limit

NOTHING = """\
schema: 1
name: Nothing
input: 4×4×3
rows:
  - {id: softmax, type: softmax, output: 4×4×3}
"""
WIDE = """\
schema: 1
name: Wide
input: 8×8×3
rows:
  - {id: fc1, type: linear, output: 1×1×50000}
  - {id: fc2, type: linear, output: 1×1×50000}
  - {id: fc3, type: linear, output: 1×1×50000}
  - {id: fc4, type: linear, output: 1×1×10}
"""
DEEP = """\
schema: 1
name: Deep
input: 224×224×3
rows:
  - {id: conv1, type: convolution, patch: 7×7/1, depth_multiplier: 100000, output: 224×224×64}
"""


@pytest.fixture
def table(tmp_path):
    def write(text: str) -> str:
        path = tmp_path / "table.yaml"
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


@pytest.mark.parametrize(
    "args",
    [
        ["table"],
        ["flops", "--depth", "layers"],
        ["flops", "--pass", "train"],
        ["diagram", "--format", "dot"],
        ["profile", "--repeats", "2", "--warmup", "0", "--format", "json"],
    ],
)
def test_a_table_with_no_layer_works_in_every_command(cli, table, args):
    run = cli(*args, "--spec", table(NOTHING))
    assert run.code == 0, run.err


@pytest.mark.parametrize("args", [["memory"], ["profile", "--pass", "train"]])
def test_a_table_with_no_classifier_cannot_be_trained_and_says_why(cli, table, args):
    run = cli(*args, "--spec", table(NOTHING))
    assert_one_line_error(run, "a training step needs class scores", "ends in a 4×4×3 map")


def test_a_table_with_no_layer_writes_its_docs(cli, table, tmp_path):
    run = cli("docs", str(tmp_path / "docs"), "--spec", table(NOTHING))
    assert run.code == 0, run.err
    assert (tmp_path / "docs" / "network.svg").is_file()


def test_a_profile_of_no_layer_has_no_blocks_and_a_whole_pass(cli, table):
    run = cli("profile", "--repeats", "2", "--warmup", "0", "-f", "json", "--spec", table(NOTHING))
    document = json.loads(run.out)
    assert document["blocks"] == [] and document["end_to_end"]["samples"] == 2


QUICK = ["--repeats", "1", "--warmup", "0"]


def test_requests_too_large_for_memory_name_their_cause_in_one_line(table, tmp_path):
    wide, deep = table(WIDE), str(tmp_path / "deep.yaml")
    (tmp_path / "deep.yaml").write_text(DEEP, encoding="utf-8")
    cases = [
        (["profile", "--batch-size", "5000", *QUICK], "use a smaller --batch-size"),
        (["profile", "--batch-size", str(2**62), *QUICK], "use a smaller --batch-size"),
        (["profile", "--batch-size", str(2**64), *QUICK], "use a smaller --batch-size"),
        (["table", "--spec", wide], "layers are too wide to build here"),
        (["profile", "--spec", wide, *QUICK], "layers are too wide to build here"),
        (["table", "--spec", deep], "a smaller depth_multiplier"),
    ]
    for (_, advice), run in zip(cases, run_under_memory_limit([argv for argv, _ in cases])):
        assert_one_line_error(run, "needs about", advice)
