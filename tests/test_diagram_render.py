"""Drawing the diagram: DOT source against golden files, real SVG/PNG/PDF from the real ``dot``."""

from __future__ import annotations

import os
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gnet_inspect.ablation import without_reductions
from gnet_inspect.analysis.diagram_graph import build_and_measure, diagram_graph
from gnet_inspect.errors import OptionError, RenderError
from gnet_inspect.render.diagram import (
    DiagramStyle,
    diagram_format,
    parse_annotations,
    render_diagram,
    to_dot,
)

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
SVG = "{http://www.w3.org/2000/svg}"


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} changed; UPDATE_GOLDEN=1 to accept"


@pytest.fixture(scope="module")
def paper(specs):
    return build_and_measure(specs["paper"])


@pytest.fixture(scope="module")
def network(paper):
    model, measured = paper
    return diagram_graph(measured, model)


def test_whole_network_dot_matches_golden(network):
    _golden("diagram-network.dot", to_dot(network, DiagramStyle()))


def test_module_dot_matches_golden(paper):
    model, measured = paper
    graph = diagram_graph(measured, model, module="inception_4a")
    _golden("diagram-inception_4a.dot", to_dot(graph, DiagramStyle()))


def test_naive_module_dot_matches_golden(specs):
    model, measured = build_and_measure(without_reductions(specs["paper"]))
    graph = diagram_graph(measured, model, module="inception_4a")
    _golden("diagram-inception_4a-naive.dot", to_dot(graph, DiagramStyle()))


def test_branches_left_to_right_with_shapes_only_matches_golden(paper):
    model, measured = paper
    graph = diagram_graph(measured, model, "branches", "inception_3b")
    style = DiagramStyle(direction="LR", annotations=("shape",), legend=False)
    _golden("diagram-inception_3b-branches-lr.dot", to_dot(graph, style))


def test_dot_names_every_node_and_draws_aux_heads_dashed(network):
    source = to_dot(network, DiagramStyle())
    for node in network.nodes:
        assert f'"{node.id}" [' in source or f"\t{node.id} [" in source, node.id
    assert source.count("subgraph cluster_aux_") == 2
    assert 'style="dashed,filled"' in source
    assert "training only (aux head)" in source


def test_svg_rendered_by_dot_has_a_group_per_node_and_edge(network):
    svg = render_diagram(network, "svg", DiagramStyle())
    root = ET.fromstring(svg)
    groups = {g.get("class"): [] for g in root.iter(f"{SVG}g")}
    for group in root.iter(f"{SVG}g"):
        title = group.find(f"{SVG}title")
        groups[group.get("class")].append(title.text if title is not None else None)
    assert set(groups["node"]) == {node.id for node in network.nodes} | {"legend"}
    assert len(groups["edge"]) == len(network.edges)
    assert sorted(groups["cluster"]) == ["cluster_aux_4a", "cluster_aux_4d"]


def test_svg_is_byte_identical_across_renders(paper):
    model, measured = paper
    first = render_diagram(diagram_graph(measured, model), "svg", DiagramStyle())
    again = render_diagram(diagram_graph(measured, model), "svg", DiagramStyle())
    assert first == again


def test_png_rendered_by_dot_is_a_real_image(network):
    png = render_diagram(network, "png", DiagramStyle())
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert 600 < width < height  # a tall figure: the main path runs top to bottom


def test_pdf_rendered_by_dot_is_a_real_document(network):
    pdf = render_diagram(network, "pdf", DiagramStyle())
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")


def test_annotations_choose_what_nodes_show(network):
    shapes = to_dot(network, DiagramStyle(annotations=("shape",)))
    assert "14×14×512" in shapes and "params" not in shapes and "MACs" not in shapes
    bare = to_dot(network, DiagramStyle(annotations=(), legend=False))
    assert "14×14×512" not in bare and "MACs" not in bare
    assert "7×7/2 conv, 64" in bare  # the layer itself is always described


def test_parse_annotations():
    assert parse_annotations("macs, shape") == ("shape", "macs")
    assert parse_annotations("none") == ()
    with pytest.raises(OptionError, match="unknown annotation 'flops'; available: shape, params"):
        parse_annotations("shape,flops")


def test_format_follows_the_output_suffix_unless_given():
    assert diagram_format(None, Path("figure.PNG")) == "png"
    assert diagram_format(None, Path("figure.gv")) == "dot"
    assert diagram_format(None, Path("figure.txt")) == "svg"
    assert diagram_format(None, None) == "svg"
    assert diagram_format("pdf", Path("figure.png")) == "pdf"


def test_missing_dot_is_a_render_error_that_says_how_to_install(network, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RenderError, match=r"not found on PATH; install graphviz \(apt-get install"):
        render_diagram(network, "svg", DiagramStyle())
    assert render_diagram(network, "dot", DiagramStyle()).startswith(b"digraph googlenet {")


def test_failing_dot_is_a_render_error_with_its_message(network, monkeypatch, tmp_path):
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\necho 'Error: syntax error in line 1' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(
        RenderError, match="dot could not render svg: Error: syntax error in line 1"
    ):
        render_diagram(network, "svg", DiagramStyle())
