"""Drawing the diagram: DOT source against golden files, real SVG/PNG/PDF from the real ``dot``."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from clashing_table import write_clashing_table
from golden import assert_golden

from gnet_inspect.errors import OptionError, RenderError
from gnet_inspect.measure.measure import measure
from gnet_inspect.render.diagram import LEGEND, DiagramStyle, render_diagram, to_dot
from gnet_inspect.render.figure import diagram_format, figure_request, parse_annotations
from gnet_inspect.reports.diagram.graph import diagram_graph
from gnet_inspect.spec.loader import load_spec
from gnet_inspect.spec.whatifs import without_reductions

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def paper(specs):
    return measure(specs["paper"])


@pytest.fixture(scope="module")
def network(paper):
    measured = paper
    return diagram_graph(measured)


def test_whole_network_dot_matches_golden(network):
    assert_golden("diagram-network.dot", to_dot(network, DiagramStyle()))


def test_module_dot_matches_golden(paper):
    measured = paper
    graph = diagram_graph(measured, module="inception_4a")
    assert_golden("diagram-inception_4a.dot", to_dot(graph, DiagramStyle()))


def test_naive_module_dot_matches_golden(specs):
    measured = measure(without_reductions(specs["paper"]))
    graph = diagram_graph(measured, module="inception_4a")
    assert_golden("diagram-inception_4a-naive.dot", to_dot(graph, DiagramStyle()))


def test_branches_left_to_right_with_shapes_only_matches_golden(paper):
    measured = paper
    graph = diagram_graph(measured, "branches", "inception_3b")
    style = DiagramStyle(direction="LR", annotations=("shape",), legend=False)
    assert_golden("diagram-inception_3b-branches-lr.dot", to_dot(graph, style))


def test_dot_names_every_node_and_draws_aux_heads_dashed(network):
    source = to_dot(network, DiagramStyle())
    for node in network.nodes:
        assert f'"{node.id}" [' in source or f"\t{node.id} [" in source, node.id
    assert source.count("subgraph cluster_aux_") == 2
    assert 'style="dashed,filled"' in source
    assert "training only (aux head)" in source


def _svg_groups(svg: bytes) -> dict[str, list[str | None]]:
    """The titles of the SVG's groups by class (node, edge, cluster)."""
    root = ET.fromstring(svg)
    groups: dict[str, list[str | None]] = {g.get("class"): [] for g in root.iter(f"{SVG}g")}
    for group in root.iter(f"{SVG}g"):
        title = group.find(f"{SVG}title")
        groups[group.get("class")].append(title.text if title is not None else None)
    return groups


def test_svg_rendered_by_dot_has_a_group_per_node_and_edge(network):
    groups = _svg_groups(render_diagram(network, "svg", DiagramStyle()))
    assert set(groups["node"]) == {node.id for node in network.nodes} | {LEGEND}
    assert len(groups["edge"]) == len(network.edges)
    assert sorted(groups["cluster"]) == ["cluster_aux_4a", "cluster_aux_4d"]


def test_rows_named_input_output_and_legend_are_drawn_apart_from_the_diagrams_own(tmp_path):
    table = write_clashing_table(tmp_path / "clashing.yaml")
    measured = measure(load_spec(table))
    graph = diagram_graph(measured)
    groups = _svg_groups(render_diagram(graph, "svg", DiagramStyle()))
    ids = [node.id for node in graph.nodes]
    assert {"input", "output", "legend", "aux_4a.output"} <= set(ids)
    assert sorted(groups["node"]) == sorted([*ids, LEGEND])  # none merged into another
    assert len(groups["edge"]) == len(graph.edges)
    source = to_dot(graph, DiagramStyle())
    assert "<B>input</B><BR/>dropout 40%" in source and "<B>output</B><BR/>linear, 1000" in source


def test_svg_is_byte_identical_across_renders(paper):
    measured = paper
    first = render_diagram(diagram_graph(measured), "svg", DiagramStyle())
    again = render_diagram(diagram_graph(measured), "svg", DiagramStyle())
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


def test_none_with_other_annotations_says_none_stands_alone():
    with pytest.raises(OptionError, match="annotation 'none' stands alone") as refused:
        parse_annotations("none,macs")
    assert "unknown" not in str(refused.value)


def test_format_follows_the_output_suffix_unless_given():
    assert diagram_format(None, Path("figure.PNG")) == "png"
    assert diagram_format(None, Path("figure.gv")) == "dot"
    assert diagram_format(None, Path("figure")) == "svg"
    assert diagram_format(None, None) == "svg"
    assert diagram_format("pdf", Path("figure.pdf")) == "pdf"
    assert diagram_format("dot", Path("figure.txt")) == "dot"  # asked for, and no other named


@pytest.mark.parametrize("name", ["figure.gif", "figure.txt", "figure.JPG"])
def test_a_suffix_that_names_no_format_is_refused(name):
    with pytest.raises(OptionError, match=rf"cannot tell the format of {name} .*--format"):
        diagram_format(None, Path(name))


@pytest.mark.parametrize(
    ("requested", "name"), [("png", "figure.svg"), ("pdf", "figure.png"), ("svg", "x.gif")]
)
def test_a_format_that_contradicts_the_suffix_is_refused(requested, name):
    with pytest.raises(OptionError, match=rf"--format {requested} contradicts the output {name}"):
        diagram_format(requested, Path(name))


def test_figure_request_resolves_every_option():
    request = figure_request(None, Path("n.gv"), "macs,shape", "lr", legend=False)
    assert request.format == "dot"
    assert request.style == DiagramStyle("LR", ("shape", "macs"), legend=False)
    with pytest.raises(OptionError, match="png is binary; write it to a file with --output"):
        figure_request("png", None, to_terminal=True)


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
