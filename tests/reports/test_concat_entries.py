"""A concatenation's entry carries what it produces: the module's (or fork's) output, the
tensor the next layer reads, in every command that lists it (issue 19)."""

from __future__ import annotations

import json

import pytest


@pytest.mark.parametrize("level", ["branches", "layers"])
def test_flops_gives_each_concatenation_its_modules_output(cli, level):
    rows = json.loads(cli("flops", "--depth", level, "--format", "json").out)["rows"]
    by_id = {row["id"]: row for row in rows}
    assert by_id["inception_3a.concat"]["output"] == "28×28×256"
    assert by_id["inception_5b.concat"]["output"] == "7×7×1024"
    assert (by_id["inception_3a.concat"]["params"], by_id["inception_3a.concat"]["macs"]) == (0, 0)


def test_memory_gives_each_concatenation_its_output_and_bytes(cli):
    rows = json.loads(cli("memory", "--depth", "branches", "--format", "json").out)["rows"]
    concat = next(row for row in rows if row["id"] == "inception_3a.concat")
    assert concat["output"] == "28×28×256"
    assert concat["output_bytes"] == 28 * 28 * 256 * 4


def test_a_forks_concatenation_has_the_forks_output(cli):
    rows = json.loads(
        cli("flops", "--table", "inception-v3", "--depth", "branches", "-f", "json").out
    )["rows"]
    by_id = {row["id"]: row for row in rows}
    assert by_id["mixed_7b.branch3x3.fork.concat"]["output"] == "8×8×768"
    assert by_id["mixed_7b.concat"]["output"] == "8×8×2048"
