"""`gnet-inspect profile --pass train` as a user runs it: formats, the API's frame, errors.

Presentation is checked on a step profile with fixed numbers (golden files); the command runs
for real on small inputs with few steps.
"""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
import torch
from conftest import assert_one_line_error
from golden import assert_golden

from gnet_inspect.cli.emit import render_text
from gnet_inspect.render.step_view import step_markdown, step_renderable, step_view
from gnet_inspect.reports.profile.result import LatencyStats, ProfileSettings
from gnet_inspect.reports.profile.step_result import StepBlock, StepPart, StepProfile

SMALL = ("--variant", "torchvision", "--input-size", "64", "--warmup", "0", "--repeats", "2")
TRAIN = ("profile", "--pass", "train")


def _fixed_profile() -> StepProfile:
    settings = ProfileSettings(
        network="GoogLeNet", variant="paper", device="cpu", device_name="Test CPU",
        dtype="float32", batch_size=2, input_size=224, channels=3, channels_last=False,
        depth="modules", warmup=5, repeats=30, threads=2, torch_version="2.13.0",
        timer="time.perf_counter_ns at block boundaries (forward hooks; autograd node pre-hooks)",
    )  # fmt: skip
    stats = LatencyStats
    blocks = (
        StepBlock("conv1", "conv1", "row", "convolution", 118_013_952, 0, 118_013_952,
                  stats(6.25, 6.0, 7.5, 30), stats(12.5, 12.0, 13.0, 30)),
        StepBlock("pool1", "pool1", "row", "max pool", 0, 0, 0,
                  stats(0.5, 0.45, 0.75, 30), stats(0.25, 0.2, 0.3, 30)),
        StepBlock("aux_4a.fc", "aux_4a", "head", "linear", 2_097_152, 2_097_152, 2_097_152,
                  stats(1.0, 0.9, 1.1, 30), stats(2.0, 1.875, 2.5, 30)),
    )  # fmt: skip
    parts = (
        StepPart("loss forward", stats(0.125, 0.1, 0.15, 30)),
        StepPart("loss backward", stats(0.25, 0.2, 0.3, 30)),
        StepPart("optimizer", stats(3.0, 2.9, 3.5, 30)),
    )
    order = ("aux_4a.fc", "pool1", "conv1")
    return StepProfile(
        settings, "momentum", blocks, parts, order, stats(26.0, 25.0, 27.0, 30),
        stats(26.5, 25.5, 27.5, 30),
    )  # fmt: skip


def test_rendered_step_profile_matches_golden():
    text = render_text(step_renderable(_fixed_profile(), 200), 200)
    assert_golden("profile-step-fixed.txt", text)


def test_markdown_step_profile_matches_golden():
    assert_golden("profile-step-fixed.md", step_markdown(_fixed_profile()))


def test_the_lines_under_the_table_add_up_the_parts():
    profile = _fixed_profile()
    text = " ".join(render_text(step_renderable(profile, 200), 200).split())
    # forward 6.25 + 0.5 + 1 = 7.75; backward 12.5 + 0.25 + 2 = 14.75; parts 3.375
    assert (
        "Sum of the medians: 25.9 ms (forward 7.75, backward 14.8, loss and optimizer 3.38)" in text
    )
    assert "gap to the whole step +0.125 ms (+0.5%)" in text
    assert "Backward ran the blocks in this order: aux_4a.fc, pool1, conv1." in text
    # 2 × (236,027,904 + 6,291,456 step MACs) × 2 images ÷ 26 ms
    assert f"{2 * (2 * 118_013_952 + 3 * 2_097_152) * 2 / 0.026 / 1e9:.4g}GFLOP/s" in text
    assert "76.9 images/s" in text  # 2 images ÷ 26 ms
    row = next(line for line in text.split("│conv1")[1:2])
    assert "118M" in row and "12.5" in row


def test_view_hands_the_records_and_the_summary_to_csv_and_json():
    profile = _fixed_profile()
    view = step_view(profile)
    assert view.records() == profile.records()
    document = view.document()
    assert document["blocks"] == profile.records()
    assert document["pass"] == "train" and document["optimizer"] == "momentum"
    assert document["parts"]["optimizer"]["median_ms"] == 3.0


def test_csv_and_json_carry_each_blocks_forward_and_backward(cli):
    run = cli(*TRAIN, *SMALL, "--format", "csv")
    assert run.code == 0 and run.err == ""  # no progress bar off a terminal
    frame = pd.read_csv(io.StringIO(run.out), index_col="id")
    assert {"forward_ms", "backward_ms", "backward_input_macs", "backward_weight_macs"} <= set(
        frame.columns
    )
    assert (frame["samples"] == 2).all()
    assert "aux_4d.classifier" in frame.index
    run = cli(*TRAIN, *SMALL, "--format", "json", "--optimizer", "adam", "--depth", "branches")
    document = json.loads(run.out)
    assert document["optimizer"] == "adam" and document["settings"]["depth"] == "branches"
    total = sum(b["forward_ms"] + (b["backward_ms"] or 0) for b in document["blocks"])
    total += sum(part["median_ms"] for part in document["parts"].values())
    assert document["sum_ms"] == pytest.approx(total)
    assert document["backward_order"][0] == "linear"


def test_markdown_format(cli):
    run = cli(*TRAIN, *SMALL, "--format", "markdown")
    assert run.out.startswith("### GoogLeNet training step by module (variant torchvision)")
    assert "| id | type | fwd MACs | bwd MACs | fwd ms |" in run.out


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks a machine without CUDA")
def test_cuda_without_cuda_fails_in_one_line_without_a_traceback(console_script):
    run = console_script(*TRAIN, "--device", "cuda")
    assert_one_line_error(run, "--device cuda", "use --device cpu")
    assert run.out == ""


def test_a_dtype_the_device_cannot_train_in_fails_in_one_line(cli):
    run = cli(*TRAIN, "--variant", "caffe", "--dtype", "float16", "--repeats", "1")
    assert_one_line_error(run, "dtype float16 cannot run on cpu (in norm1)", "--dtype float32")


def test_a_step_too_large_for_memory_fails_in_one_line(cli):
    run = cli(*TRAIN, *SMALL, "--batch-size", "10000000")
    assert_one_line_error(
        run,
        "a training step on a batch of 10000000 64×64 images needs about",
        "use a smaller --batch-size",
    )


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--depth", "layers"), "--depth layers times inference only"),
        (("--optimizer", "lbfgs"), "unknown optimizer 'lbfgs'; available: sgd, momentum, adam"),
        (("--repeats", "0"), "--repeats"),
        (("--device", "tpu"), "--device tpu: unknown or unsupported device"),
    ],
)
def test_bad_options_fail_in_one_line(cli, args, fragment):
    assert_one_line_error(cli(*TRAIN, *args), fragment)


def test_an_unknown_pass_fails_in_one_line(cli):
    assert_one_line_error(cli("profile", "--pass", "backward"), "unknown --pass 'backward'")
