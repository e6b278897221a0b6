"""The pictures of a profile, checked against the numbers they draw.

A real profile of the paper's network is saved as `profile --format json` writes it, and read
back as a user's later run would. Each chart is parsed as SVG: a bar's length must be its
share on one scale shared by every bar, a point's position its intensity and FLOP/s on the
chart's log axes, every block labelled; the same inputs give the same bytes in every format.
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gnet_inspect.measure.measure import measure
from gnet_inspect.render.chart_roofline import draw_roofline, roofline_points
from gnet_inspect.render.chart_shares import MEASURES, draw_shares, share_rows
from gnet_inspect.render.profile_view import profile_document
from gnet_inspect.reports.profile.latency import profile_latency
from gnet_inspect.reports.profile.result import LatencyProfile
from gnet_inspect.reports.profile.saved import load_profile

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"


@pytest.fixture(scope="module")
def saved(specs, tmp_path_factory) -> Path:
    profile = profile_latency(specs["paper"], warmup=1, repeats=3)
    path = tmp_path_factory.mktemp("result") / "result.json"
    path.write_text(json.dumps(profile_document(profile)), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def profile(saved) -> LatencyProfile:
    return load_profile(saved)


def _groups(svg: bytes) -> dict[str, ET.Element]:
    root = ET.fromstring(svg)
    return {g.get("id"): g for g in root.iter(f"{SVG}g") if g.get("id")}


def _texts(svg: bytes) -> list[str]:
    return ["".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{SVG}text")]


def _path_box(group: ET.Element) -> tuple[float, float, float, float]:
    path = next(group.iter(f"{SVG}path"))
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", path.get("d", ""))]
    xs, ys = numbers[0::2], numbers[1::2]
    return min(xs), max(xs), min(ys), max(ys)


def _use_position(group: ET.Element) -> tuple[float, float]:
    use = next(group.iter(f"{SVG}use"))
    return float(use.get("x", "nan")), float(use.get("y", "nan"))


def test_a_saved_profile_reads_back_to_the_same_numbers(specs, saved, profile):
    document = json.loads(saved.read_text(encoding="utf-8"))
    assert document["format"] == "gnet-inspect profile" and document["version"] == 1
    assert profile.records() == document["blocks"]
    summary = json.loads(json.dumps(profile.summary()))  # tuples as the file's lists
    assert summary == {k: v for k, v in document.items() if k != "blocks"}


def test_traffic_and_intensity_follow_from_the_shapes(specs, profile):
    measured = measure(specs["paper"])
    outputs = {row.id: row.output for row in measured.rows if row.head is None}
    elements = {row: s.height * s.width * s.channels for row, s in outputs.items()}
    previous = 224 * 224 * 3
    for block in profile.blocks:  # modules depth: a row reads the row before and writes its own
        if block.id in ("dropout",):  # passes its input on at inference: no traffic of its own
            assert block.read_bytes == block.written_bytes == 0
            continue
        assert block.read_bytes == 4 * previous, block.id
        assert block.written_bytes == 4 * elements[block.id], block.id
        assert block.weight_bytes == 4 * block.params
        previous = elements[block.id]
        if block.macs:
            traffic = block.read_bytes + block.written_bytes + block.weight_bytes
            assert profile.intensity(block) == pytest.approx(2 * block.macs / traffic)
            memory_bound = profile.intensity(block) < profile.ceilings.ridge
            assert profile.bound(block) == ("memory" if memory_bound else "compute")
    assert profile.ceilings.compute_flops_per_s > 0 < profile.ceilings.bandwidth_bytes_per_s
    assert "torch.mm" in profile.ceilings.compute_how and "copy_" in profile.ceilings.bandwidth_how


def test_every_bar_of_the_shares_chart_is_its_share_on_one_scale(profile):
    svg = draw_shares(profile, "svg")
    groups, rows = _groups(svg), share_rows(profile)
    scale = []
    for row in rows:
        for measure_name in MEASURES:
            share = row.shares[measure_name]
            gid = f"bar-{measure_name}-{row.id}"
            if share is None:
                assert gid not in groups  # an aux head has no latency at inference
                continue
            left, right, _, _ = _path_box(groups[gid])
            if share > 0:
                scale.append((right - left) / share)
            else:
                assert right - left == pytest.approx(0, abs=1e-6)
    assert len(scale) > 2 * len(profile.blocks)
    assert max(scale) - min(scale) < 1e-3 * max(scale)  # pixels per percent, one for all
    texts = _texts(svg)
    assert all(row.id in texts for row in rows)
    assert sum(r.shares["latency"] or 0 for r in rows) == pytest.approx(100)


def test_the_shares_chart_keeps_table_order_and_sets_the_aux_heads_apart(profile):
    groups = _groups(draw_shares(profile, "svg"))
    rows = share_rows(profile)
    tops = [_path_box(groups[f"bar-macs-{row.id}"])[2] for row in rows]
    assert tops == sorted(tops)  # top to bottom in table order
    assert [row.id for row in rows if row.aux] == [a.id for a in profile.aux]
    assert all(row.aux for row in rows[len(profile.blocks) :])


def test_every_point_of_the_roofline_sits_at_its_intensity_and_flops(profile):
    svg = draw_roofline(profile, "svg")
    groups = _groups(svg)
    points = roofline_points(profile)
    assert len(points) >= 10
    placed = [(*_use_position(groups[f"point-{b.id}"]), i, r) for b, i, r in points]
    (x0, _, i0, _), (x1, _, i1, _) = (
        min(placed, key=lambda p: p[2]),
        max(placed, key=lambda p: p[2]),
    )
    per_decade_x = (x1 - x0) / math.log10(i1 / i0)
    for x, _, intensity, _ in placed:
        assert x == pytest.approx(x0 + per_decade_x * math.log10(intensity / i0), abs=0.5)
    # y grows downwards in SVG; fit on two points far apart, check all
    (_, ya, _, ra), (_, yb, _, rb) = (
        min(placed, key=lambda p: p[3]),
        max(placed, key=lambda p: p[3]),
    )
    per_decade_y = (yb - ya) / math.log10(rb / ra)
    assert per_decade_y < 0
    for _, y, _, rate in placed:
        assert y == pytest.approx(ya + per_decade_y * math.log10(rate / ra), abs=0.5)
    # the compute ceiling is drawn at the measured compute, on the same scale
    _, _, top, bottom = _path_box(groups["ceiling-compute"])
    ceiling = ya + per_decade_y * math.log10(profile.ceilings.compute_flops_per_s / ra)
    assert top == pytest.approx(ceiling, abs=0.5) and bottom == pytest.approx(ceiling, abs=0.5)
    texts = _texts(svg)
    assert all(b.id in texts for b, _, _ in points)
    unplaced = [b.id for b in profile.blocks if not b.macs]
    assert any(all(u in t for u in unplaced) for t in texts)  # named under the chart


def test_memory_bound_points_are_drawn_in_the_memory_colour(profile):
    groups = _groups(draw_roofline(profile, "svg"))
    for block, intensity, _ in roofline_points(profile):
        style = ET.tostring(groups[f"point-{block.id}"]).decode()
        memory = intensity < profile.ceilings.ridge
        assert ("#d62728" in style) == memory, block.id
        assert profile.bound(block) == ("memory" if memory else "compute")


@pytest.mark.parametrize("format", ["svg", "png", "pdf"])
def test_the_same_profile_draws_the_same_bytes(profile, format):
    for draw in (draw_shares, draw_roofline):
        first, second = draw(profile, format), draw(profile, format)
        assert first == second
        assert first.startswith({"svg": b"<?xml", "png": b"\x89PNG", "pdf": b"%PDF"}[format])
    svg = draw_shares(profile, "svg")
    assert b"<dc:date>" not in svg and b"font-family" in svg  # no date; text stays text


def _label_boxes(svg: bytes, ids: list[str]) -> dict[str, tuple[float, float, float, float]]:
    """Each point label's box in the SVG (points; y down), from its text position and the
    font's real glyph extents (matplotlib's TextPath), not the chart's own estimate."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    from gnet_inspect.render.chart_roofline import LABEL_POINTS

    groups, font = _groups(svg), FontProperties(family="DejaVu Sans")
    boxes = {}
    for block in ids:
        text = next(groups[f"label-{block}"].iter(f"{SVG}text"))
        x, y = float(text.get("x", "nan")), float(text.get("y", "nan"))
        extent = TextPath((0, 0), block, size=LABEL_POINTS, prop=font).get_extents()
        boxes[block] = (x + extent.x0, y - extent.y1, x + extent.x1, y - extent.y0)
    return boxes


def _crowded(profile: LatencyProfile) -> LatencyProfile:
    """Every block at the same FLOP/s: the labels all compete for one height."""
    from dataclasses import replace

    blocks = tuple(
        replace(b, latency=replace(b.latency, median_ms=b.macs / 5e7 or b.latency.median_ms))
        for b in profile.blocks
    )
    return replace(profile, blocks=blocks)


@pytest.mark.parametrize("crowd", [False, True])
def test_no_two_roofline_labels_overlap(profile, crowd):
    chart = _crowded(profile) if crowd else profile
    ids = [block.id for block, _, _ in roofline_points(chart)]
    boxes = _label_boxes(draw_roofline(chart, "svg"), ids)
    assert len(boxes) == len(ids) >= 10
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = boxes[a], boxes[b]
            apart = ax1 <= bx0 + 0.5 or bx1 <= ax0 + 0.5 or ay1 <= by0 + 0.5 or by1 <= ay0 + 0.5
            assert apart, (a, boxes[a], b, boxes[b])
