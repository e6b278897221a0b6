"""Property tests: random valid Inception tables count and measure right; random malformed
tables are refused cleanly. The generator computes every output size itself."""

from __future__ import annotations

import copy

import pytest
import torch
import yaml
from formulas import _conv_len, _pool_len, row_counts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch.utils.flop_counter import FlopCounterMode

from gnet_inspect.errors import SpecError
from gnet_inspect.measure.measure import measure
from gnet_inspect.model import build_model
from gnet_inspect.spec.loader import load_spec

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
channels = st.integers(1, 12)
reduction = st.one_of(st.none(), channels)


@st.composite
def tables(draw) -> tuple[dict, int, int]:
    """A valid table, its expected depth and its expected depth counting pooling."""
    size = draw(st.integers(24, 64))
    kernel, stride = draw(st.sampled_from([3, 5, 7])), draw(st.sampled_from([1, 2]))
    height = _conv_len(size, kernel, stride)
    width = draw(channels)
    rows = [
        {
            "id": "conv1",
            "type": "convolution",
            "patch": f"{kernel}×{kernel}/{stride}",
            "output": f"{height}×{height}×{width}",
        }
    ]
    depth, pooled = 1, 1
    for i in range(draw(st.integers(1, 3))):
        if draw(st.booleans()) and height >= 3:
            height = _pool_len(height, 3, 2)
            rows.append(
                {
                    "id": f"pool{i}",
                    "type": "max pool",
                    "patch": "3×3/2",
                    "output": f"{height}×{height}×{width}",
                }
            )
            pooled += 1
        module = {
            "ch1x1": draw(channels),
            "ch3x3red": draw(reduction),
            "ch3x3": draw(channels),
            "ch5x5red": draw(reduction),
            "ch5x5": draw(channels),
            "pool_proj": draw(reduction),
            "ch5x5_kernel": draw(st.sampled_from([3, 5])),
        }
        width = module["ch1x1"] + module["ch3x3"] + module["ch5x5"] + (module["pool_proj"] or width)
        module = {k: v for k, v in module.items() if v is not None}
        rows.append(
            {
                "id": f"inception_{i}",
                "type": "inception",
                "output": f"{height}×{height}×{width}",
                **module,
            }
        )
        reduced = "ch3x3red" in module or "ch5x5red" in module
        depth += 2 if reduced else 1
        pooled += 2 if reduced or "pool_proj" in module else 1
    rows.append({"id": "avgpool", "type": "adaptive avg pool", "output": f"1×1×{width}"})
    rows.append({"id": "dropout", "type": "dropout", "p": 0.4, "output": f"1×1×{width}"})
    classes = draw(st.integers(2, 20))
    rows.append({"id": "linear", "type": "linear", "output": f"1×1×{classes}"})
    table = {"name": "random", "input": f"{size}×{size}×3", "rows": rows}
    if draw(st.booleans()):
        tap = draw(st.sampled_from([r["id"] for r in rows if r["type"] == "inception"]))
        tap_width = int(next(r for r in rows if r["id"] == tap)["output"].split("×")[2])
        table["aux_heads"] = [
            {
                "id": "aux",
                "tap": tap,
                "rows": [
                    {"id": "pool", "type": "adaptive avg pool", "output": f"2×2×{tap_width}"},
                    {"id": "conv", "type": "convolution", "patch": "1×1/1", "output": "2×2×8"},
                    {"id": "fc", "type": "linear", "relu": True, "output": "1×1×16"},
                    {"id": "classifier", "type": "linear", "output": f"1×1×{classes}"},
                ],
            }
        ]
    return table, depth + 1, pooled + 2  # + linear; + linear and the average pool


def _write(tmp_path, table) -> str:
    path = tmp_path / "random.yaml"
    path.write_text(yaml.safe_dump(table, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return str(path)


@SETTINGS
@given(case=tables())
def test_random_tables_count_alike_three_ways_and_measure_their_depth(tmp_path, case):
    table, depth, depth_with_pooling = case
    spec = load_spec(_write(tmp_path, table))
    measured = measure(spec)
    formula, shapes = row_counts(spec)
    model = build_model(spec, weights="zeros").train()
    size = spec.input.height
    with FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, 3, size, size))
    second = {
        name.removeprefix("GoogLeNet."): sum(ops.values()) // 2
        for name, ops in counter.get_flop_counts().items()
    }
    for row in (*measured.rows, *measured.aux_rows):
        assert row.macs == formula[row.id].macs == second.get(row.id, 0), row.id
        assert row.params.weights == formula[row.id].weights, row.id
        h, w, c = shapes[row.id]
        assert (row.output.height, row.output.width, row.output.channels) == (h, w, c)
    assert measured.depth.depth == depth
    assert measured.depth.depth_with_pooling == depth_with_pooling
    assert measured.unrecognised == {}


BAD_VALUES = st.one_of(
    st.integers(-5, 0),
    st.text(max_size=4),
    st.lists(st.integers(), max_size=2),
    st.just(None),
    st.booleans(),
    st.floats(allow_nan=True),
)


@SETTINGS
@given(case=tables(), data=st.data())
def test_random_corruptions_are_refused_as_spec_errors(tmp_path, cli, case, data):
    table = copy.deepcopy(case[0])
    row = data.draw(st.sampled_from(table["rows"]))
    key = data.draw(st.sampled_from([*row.keys(), "bogus_key"]))
    row[key] = data.draw(BAD_VALUES)
    path = _write(tmp_path, table)
    message = None
    try:
        load_spec(path)
    except SpecError as error:
        message = str(error)
    if message is not None:
        assert path in message
        assert "\n" not in message
    run = cli("table", "--spec", path, "--format", "csv")
    assert run.code in (0, 1)
    if run.code:
        assert run.err.count("\n") == 1 and run.err.startswith("gnet-inspect: error: ")


@pytest.mark.parametrize("text", ["{", "rows: [1, 2", ": :", "\t- tab", "rows: *nothing"])
def test_broken_yaml_is_a_spec_error(tmp_path, text):
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(SpecError):
        load_spec(path)
