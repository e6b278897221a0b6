"""`gnet-inspect profile` as a user runs it: formats, the same frame as the API, clean errors.

Presentation is checked on a profile with fixed numbers (golden files); the command itself
runs for real on small inputs with few passes.
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
from gnet_inspect.render.profile_view import profile_markdown, profile_renderable, profile_view
from gnet_inspect.reports.profile.latency import profile_latency
from gnet_inspect.reports.profile.result import (
    BlockLatency,
    LatencyProfile,
    LatencyStats,
    ProfileSettings,
)

SMALL = ("--variant", "torchvision", "--input-size", "64", "--warmup", "1", "--repeats", "3")


def _fixed_profile() -> LatencyProfile:
    settings = ProfileSettings(
        network="GoogLeNet", variant="paper", device="cpu", device_name="Test CPU",
        dtype="float32", batch_size=4, input_size=224, channels=3, channels_last=False,
        depth="branches", warmup=10, repeats=100, threads=2, torch_version="2.13.0",
        timer="time.perf_counter_ns at block boundaries (forward hooks)",
    )  # fmt: skip
    blocks = (
        BlockLatency("conv1", "conv1", "row", "convolution", 118_013_952,
                     LatencyStats(6.25, 6.0, 7.5, 100)),
        BlockLatency("pool1", "pool1", "row", "max pool", 0, LatencyStats(0.5, 0.45, 0.75, 100)),
        BlockLatency("inception_3a.branch3x3", "inception_3a", "branch", "ch3x3red → ch3x3",
                     86_704_128, LatencyStats(3.0, 2.875, 3.25, 100)),
        BlockLatency("inception_3a.concat", "inception_3a", "concat", "concat", 0,
                     LatencyStats(0.0625, 0.05, 0.125, 100)),
    )  # fmt: skip
    return LatencyProfile(
        settings, blocks, LatencyStats(10.0, 9.5, 11.0, 100), LatencyStats(9.875, 9.5, 10.5, 100)
    )


def test_rendered_profile_matches_golden():
    assert_golden("profile-fixed.txt", render_text(profile_renderable(_fixed_profile(), 200), 200))


def test_markdown_profile_matches_golden():
    assert_golden("profile-fixed.md", profile_markdown(_fixed_profile()))


@pytest.mark.parametrize(
    ("width", "left_out", "conv1"),
    [
        (100, "type, n", "conv1 118M 6.25 6–7.5 63.7 57.6 1.10× 151.1G"),
        (80, "type, n, time÷MACs, FLOP/s", "conv1 118M 6.25 6–7.5 63.7 57.6"),
        (60, "type, p10–p90 ms, n, time÷MACs, FLOP/s", "conv1 118M 6.25 63.7 57.6"),
    ],
)
def test_a_narrow_terminal_keeps_the_key_columns_and_says_what_it_left_out(width, left_out, conv1):
    text = render_text(profile_renderable(_fixed_profile(), width), width)
    assert f"(A narrow terminal: left out {left_out}; widen it" in " ".join(text.split())
    row = next(line for line in text.splitlines() if line.startswith("│conv1"))
    assert " ".join(cell.strip() for cell in row.split("│")[1:-1]) == conv1
    table = [line for line in text.splitlines() if line[:1] in "┏┃┡│└"]
    assert max(len(line) for line in table) <= width


def test_view_hands_the_records_and_the_summary_to_csv_and_json():
    profile = _fixed_profile()
    view = profile_view(profile)
    assert view.records() == profile.records()
    document = view.document()
    assert document["blocks"] == profile.records()
    assert document["gap_ms"] == profile.gap_ms
    assert document["settings"]["depth"] == "branches"
    assert view.markdown() == profile_markdown(profile)


def test_csv_is_the_api_frame_block_for_block(cli, specs):
    run = cli("profile", *SMALL, "--format", "csv")
    assert run.code == 0 and run.err == ""  # no progress bar off a terminal
    printed = pd.read_csv(io.StringIO(run.out), index_col="id")
    api = profile_latency(specs["torchvision"], 64, warmup=1, repeats=3).to_frame()
    assert list(printed.columns) == list(api.columns)
    assert list(printed.index) == list(api.index)
    for column in ("row", "kind", "type", "macs", "flops", "samples"):
        assert printed[column].tolist() == api[column].tolist(), column


def test_json_carries_settings_end_to_end_gap_and_blocks(cli):
    run = cli("profile", *SMALL, "--format", "json", "--depth", "branches", "--batch-size", "2")
    document = json.loads(run.out)
    settings = document["settings"]
    assert (settings["depth"], settings["batch_size"], settings["device"]) == ("branches", 2, "cpu")
    blocks_sum = sum(b["latency_ms"] for b in document["blocks"])
    assert document["blocks_sum_ms"] == pytest.approx(blocks_sum)
    assert document["gap_ms"] == pytest.approx(document["end_to_end"]["median_ms"] - blocks_sum)
    assert document["end_to_end"]["samples"] == 3
    assert "inception_5b.concat" in {b["id"] for b in document["blocks"]}


def test_table_and_output_file_with_reduce_off(cli, tmp_path):
    target = tmp_path / "profile.txt"
    run = cli("profile", *SMALL, "--reduce", "off", "--output", str(target))
    assert run.code == 0 and run.out == "" and run.err == ""
    text = target.read_text(encoding="utf-8")
    assert "variant torchvision + reduce off" in text
    assert "End to end, timed apart with no hooks" in text
    assert "│inception_5b " in text and "median" in text


def test_markdown_format(cli):
    run = cli("profile", *SMALL, "--format", "markdown")
    assert run.out.startswith("### GoogLeNet latency by module (variant torchvision)")
    assert "| id | type | MACs | median ms |" in run.out


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks a machine without CUDA")
def test_cuda_without_cuda_fails_in_one_line_without_a_traceback(console_script):
    run = console_script("profile", "--device", "cuda")
    assert_one_line_error(run, "--device cuda", "use --device cpu")
    assert run.out == ""


def test_dtype_the_device_cannot_run_fails_in_one_line(cli):
    run = cli("profile", "--variant", "caffe", "--dtype", "float16", "--repeats", "1")
    assert_one_line_error(run, "dtype float16 cannot run on cpu (in norm1)", "--dtype float32")


def test_out_of_memory_batch_fails_in_one_line(cli):
    run = cli("profile", *SMALL, "--batch-size", "100000000")
    assert_one_line_error(
        run, "profiling a batch of 100000000 64×64 images needs about", "use a smaller --batch-size"
    )


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--repeats", "0"), "--repeats"),
        (("--dtype", "float64"), "--dtype"),
        (("--depth", "layer"), "unknown depth 'layer'; available: modules, branches, layers"),
        (("--device", "tpu"), "--device tpu: unknown or unsupported device; use cpu, cuda or"),
        (("--device", "mps"), "--device mps: unknown or unsupported device; use cpu, cuda or"),
        (("--variant", "paper", "--input-size", "64"), "use a larger --input-size"),
    ],
)
def test_bad_options_fail_in_one_line(cli, args, fragment):
    assert_one_line_error(cli("profile", *args), fragment)


def test_the_bound_column_says_which_ceiling_limits_each_block():
    from dataclasses import replace

    from gnet_inspect.reports.profile.result import Ceilings

    # 1 TFLOP/s over 100 GB/s: the ridge is at 10 FLOPs per byte
    ceilings = Ceilings(1e12, "a product", 1e11, "a copy")
    conv1 = replace(_fixed_profile().blocks[0], read_bytes=4 * 150528, written_bytes=4 * 802816,
                    params=9472, weight_bytes=4 * 9472)  # fmt: skip
    linear = BlockLatency("linear", "linear", "row", "linear", 1_024_000,
                          LatencyStats(0.25, 0.2, 0.3, 100), params=1_025_000,
                          weight_bytes=4_100_000, read_bytes=4 * 4096,
                          written_bytes=4 * 4000)  # fmt: skip
    profile = replace(_fixed_profile(), blocks=(conv1, linear), ceilings=ceilings)
    records = {r["id"]: r for r in profile.records()}
    # conv1: 2 × 118,013,952 × 4 images ÷ (602,112 + 3,211,264 + 37,888) bytes = 245 FLOP/B
    assert records["conv1"]["intensity"] == pytest.approx(2 * 118_013_952 * 4 / 3_851_264)
    assert records["conv1"]["bound"] == "compute"
    # linear: 2 × 1,024,000 × 4 ÷ (16,384 + 16,000 + 4,100,000) = 1.98 FLOP/B, under the ridge
    assert records["linear"]["bound"] == "memory"
    text = render_text(profile_renderable(profile, 200), 200)
    row = next(line for line in text.splitlines() if line.startswith("│linear"))
    assert row.rstrip("│ ").endswith("memory")
    assert "ridge at 10, compute above it" in " ".join(text.split())
    assert "| bound |" in profile_markdown(profile)
