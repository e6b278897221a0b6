"""`gnet-inspect memory` and `flops --pass train` as a user runs them."""

from __future__ import annotations

import json

import pytest
import torch
from conftest import assert_one_line_error


def test_memory_json_has_every_total_and_every_row(cli):
    run = cli("memory", "--format", "json", "--batch-size", "2", "--optimizer", "adam")
    assert run.code == 0, run.err
    document = json.loads(run.out)
    totals = document["totals"]
    assert totals["training_step_bytes"] == (
        totals["weight_bytes"] + totals["buffer_bytes"] + totals["gradient_bytes"]
        + totals["optimizer_bytes"] + totals["saved_bytes"]
    )  # fmt: skip
    assert totals["weight_bytes"] == 4 * 13_378_280  # Caffe's training net, aux heads included
    assert document["optimizer"] == "adam" and document["batch_size"] == 2
    assert [row["id"] for row in document["rows"]][:2] == ["conv1", "pool1"]
    assert {row["head"] for row in document["aux_rows"]} == {"aux_4a", "aux_4d"}


def test_memory_table_names_the_peak_and_torchinfos_convention(cli):
    run = cli("memory", "--variant", "torchvision", "--depth", "branches")
    assert run.code == 0, run.err
    assert "peak of live activations" in run.out and "reached in conv1" in run.out
    assert "torchinfo's convention" in run.out
    assert "inception_3a.concat" in run.out


def test_measured_cpu_peak_is_within_the_stated_tolerance(cli):
    """The CPU allocator records the computed live activations plus the kernels' scratch
    (oneDNN's reordered copies for a convolution): at least the computed peak, at most
    twice it."""
    document = json.loads(cli("memory", "--measure", "cpu", "--format", "json").out)
    peak, computed = document["measured_peak"], document["totals"]["forward_peak_bytes"]
    assert peak["device"] == "cpu" and peak["batch_size"] == 1
    assert computed <= peak["bytes"] <= 2 * computed


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--optimizer", "rmsprop"), "unknown optimizer 'rmsprop'; available: sgd, momentum"),
        (("--depth", "operations"), "unknown depth 'operations'; available: stages, modules"),
        (("--dtype", "int8"), "'int8' is not one of"),
        (("--batch-size", "0"), "--batch-size"),
        (("--measure", "foo"), "--measure foo: unknown or unsupported device; use cpu, cuda"),
        (("--measure", "mps"), "--measure mps: unknown or unsupported device"),
    ],
)
def test_bad_memory_options_fail_in_one_line(cli, args, fragment):
    assert_one_line_error(cli("memory", *args), fragment)


def test_flops_train_pass_json(cli):
    run = cli("flops", "--pass", "train", "--format", "json")
    document = json.loads(run.out)
    assert document["pass"] == "train"
    assert document["totals"]["step_flops"] == 3_182_088_192 + 6_128_148_480
    conv1 = document["rows"][0]
    assert conv1["backward_input_macs"] == 0 and conv1["backward_weight_macs"] == conv1["macs"]


def test_flops_train_pass_refuses_compare_and_unknown_passes(cli):
    assert_one_line_error(cli("flops", "--pass", "training"), "unknown --pass 'training'")
    run = cli("flops", "--pass", "train", "--reduce", "off", "--compare")
    assert_one_line_error(run, "--compare counts inference only")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks a machine without CUDA")
def test_measuring_on_cuda_without_cuda_is_one_line_never_a_cpu_run(cli):
    run = cli("memory", "--measure", "cuda", "--format", "json")
    assert_one_line_error(run, "--measure cuda:", "or use --measure cpu")
    assert run.out == ""
