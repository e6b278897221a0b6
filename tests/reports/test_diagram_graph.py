"""The diagram's graph checked against the built network: every module once, every edge real.

The expected structure is rebuilt here from the module tree alone (a Sequential runs its
children in order, an Inception module runs its branches on one input and concatenates them),
not from the fx trace the diagram reads; the edges are also checked one by one against the
trace, and the numbers on the nodes against the table.
"""

from __future__ import annotations

from itertools import pairwise

import pytest
from clashing_table import write_clashing_table
from torch import nn

from gnet_inspect.errors import OptionError
from gnet_inspect.measure.measure import measure
from gnet_inspect.model import ConvUnit, Inception, LinearUnit
from gnet_inspect.reports.diagram.graph import (
    DEPTHS,
    INPUT,
    OUTPUT,
    DiagramGraph,
    diagram_graph,
    sink,
)
from gnet_inspect.reports.table import table_report
from gnet_inspect.spec.loader import load_spec
from gnet_inspect.spec.whatifs import without_reductions


# Rows (and the aux heads' rows) renamed to the names a diagram could use for its own nodes.
@pytest.fixture(scope="module")
def paper(specs):
    return measure(specs["paper"])


@pytest.fixture(scope="module")
def naive(specs):
    return measure(without_reductions(specs["paper"]))


@pytest.fixture(scope="module")
def torchvision(specs):
    return measure(specs["torchvision"])


@pytest.fixture(scope="module")
def clashing(tmp_path_factory):
    table = write_clashing_table(tmp_path_factory.mktemp("tables") / "clashing.yaml")
    return measure(load_spec(table))


def _expand(name: str, module: nn.Module, level: int):
    """(entries, exits, edges, nodes) of ``module`` opened ``level`` deep, from its type alone."""
    children = list(module.named_children())
    if level == 0 or not children or isinstance(module, (ConvUnit, LinearUnit)):
        return [name], [name], set(), {name}
    parts = [_expand(f"{name}.{child_name}", child, level - 1) for child_name, child in children]
    edges = set().union(*(part[2] for part in parts))
    nodes = set().union(*(part[3] for part in parts))
    if isinstance(module, Inception):
        concat = f"{name}.concat"
        entries = [entry for part in parts for entry in part[0]]
        edges |= {(exit_, concat) for part in parts for exit_ in part[1]}
        return entries, [concat], edges, nodes | {concat}
    for before, after in pairwise(parts):
        edges |= {(a, b) for a in before[1] for b in after[0]}
    return parts[0][0], parts[-1][1], edges, nodes


def _row_level(row: nn.Module, level: int) -> int:
    """How deep a row opens: at ``branches`` (1) only an Inception module splits; conv2's two
    convolutions are layers of one row, not branches."""
    return 0 if level == 1 and not isinstance(row, Inception) else level


def _expected(model, level: int) -> tuple[set[str], set[tuple[str, str]]]:
    """The nodes and edges of the whole network opened ``level`` deep (rows at level 0)."""
    nodes, edges = {INPUT, OUTPUT}, set()
    opened = {
        row_id: _expand(row_id, row, _row_level(row, level))
        for row_id in model.row_ids
        for row in [model.get_submodule(row_id)]
    }
    previous = [INPUT]
    for row_id in model.row_ids:
        entries, exits, inner, names = opened[row_id]
        edges |= {(a, b) for a in previous for b in entries} | inner
        nodes |= names
        previous = exits
    edges |= {(a, OUTPUT) for a in previous}
    for tap, heads in model.taps.items():
        for head_id in heads:
            head = model.get_submodule(head_id)
            previous = opened[tap][1]
            for row_name, row in head.named_children():
                entries, exits, inner, names = _expand(
                    f"{head_id}.{row_name}", row, _row_level(row, level)
                )
                edges |= {(a, b) for a in previous for b in entries} | inner
                nodes |= names
                previous = exits
            edges |= {(a, sink(head_id)) for a in previous}
            nodes.add(sink(head_id))
    return nodes, edges


def _edges(graph: DiagramGraph) -> set[tuple[str, str]]:
    return {(edge.source, edge.target) for edge in graph.edges}


def _assert_follows_the_module_tree(graph: DiagramGraph, model, level: int) -> None:
    nodes, edges = _expected(model, level)
    ids = [node.id for node in graph.nodes]
    assert len(ids) == len(set(ids))
    assert set(ids) == nodes
    assert _edges(graph) == edges


@pytest.mark.parametrize(("depth", "level"), [("modules", 0), ("branches", 1), ("layers", 2)])
def test_nodes_and_edges_follow_the_module_tree(paper, depth, level):
    measured = paper
    model = measured.model
    _assert_follows_the_module_tree(diagram_graph(measured, depth), model, level)


@pytest.mark.parametrize(("depth", "level"), [("modules", 0), ("layers", 2)])
def test_rows_named_input_and_output_are_rows_not_the_diagrams_own_nodes(clashing, depth, level):
    measured = clashing
    model = measured.model
    assert {"input", "output", "legend", "aux_4a.input", "aux_4a.output"} <= set(measured.modules)
    graph = diagram_graph(measured, depth)
    _assert_follows_the_module_tree(graph, model, level)
    assert [node.id for node in graph.nodes if node.role == "input"] == [INPUT]
    outputs = {node.id for node in graph.nodes if node.role == "output"}
    assert outputs == {OUTPUT, sink("aux_4a"), sink("aux_4d")}
    assert graph.node("output").kind == "linear" and graph.node("input").kind == "dropout"


def test_every_module_of_the_network_is_drawn_once(paper):
    measured = paper
    model = measured.model
    graph = diagram_graph(measured, "modules")
    drawn = [node.id for node in graph.nodes if node.role == "layer"]
    drawn += [box.id for box in graph.containers]
    names = [name for name, _ in model.named_children()]
    rows = [
        f"{head}.{row}"
        for head in ("aux_4a", "aux_4d")
        for row, _ in model.get_submodule(head).named_children()
    ]
    assert sorted(drawn) == sorted(names + rows)


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize(
    "module", [None, "inception_4a", "aux_4d", "conv2", "inception_5b.branch_pool"]
)
def test_every_edge_is_a_data_dependency_of_the_traced_network(paper, depth, module):
    measured = paper
    graph = diagram_graph(measured, depth, module)
    by_name = measured.graph.by_name()
    returned = {
        name for node in measured.graph.nodes if node.kind == "output" for name in node.inputs
    }
    for edge in graph.edges:
        source, target = graph.node(edge.source), graph.node(edge.target)
        if target.role == "output":
            assert set(source.members) & returned, edge
        else:
            reads = {name for member in target.members for name in by_name[member].inputs}
            assert set(source.members) & reads, edge


@pytest.mark.parametrize("depth", DEPTHS)
def test_every_traced_operation_belongs_to_exactly_one_node(paper, depth):
    measured = paper
    graph = diagram_graph(measured, depth)
    members = [member for node in graph.nodes for member in node.members]
    traced = [node.name for node in measured.graph.nodes if node.kind != "output"]
    assert sorted(members) == sorted(traced)


def test_operations_depth_draws_every_traced_operation(paper):
    measured = paper
    graph = diagram_graph(measured, "operations")
    assert all(len(node.members) == 1 for node in graph.nodes if node.role != "output")
    kinds = {node.kind for node in graph.nodes}
    assert {"convolution", "relu", "max pool", "concat", "flatten", "linear", "dropout"} <= kinds


def test_node_numbers_are_the_numbers_table_prints(paper, specs):
    measured = paper
    graph = diagram_graph(measured, "modules")
    report = table_report(
        measure(specs["paper"])
    )  # what `gnet-inspect table` prints, measured anew
    table = {row.id: row for row in (*report.rows, *report.aux_rows)}
    layers = [node for node in graph.nodes if node.role == "layer"]
    assert len(layers) == len(table) - 1  # the softmax row has no module
    for node in layers:
        row = table[node.id]
        assert (node.params, node.macs, str(node.output)) == (row.params, row.macs, row.output)
    for box in graph.containers:
        total = report.aux_totals[box.id]
        assert (box.params, box.macs, box.loss_weight) == (total.params, total.macs, 0.3)


def test_aux_heads_are_side_branches_marked_training_only(paper):
    measured = paper
    graph = diagram_graph(measured, "modules")
    aux = [node for node in graph.nodes if node.head is not None]
    assert {node.head for node in aux} == {"aux_4a", "aux_4d"}
    assert all(node.parents == (node.head,) for node in aux)
    assert {box.kind for box in graph.containers} == {"aux head"}
    assert graph.node(sink("aux_4a")).loss_weight == 0.3
    assert graph.node(OUTPUT).loss_weight is None


def test_inception_module_in_detail_is_figure_2b(paper, specs):
    measured = paper
    graph = diagram_graph(measured, module="inception_4a")
    assert graph.depth == "layers"
    row = specs["paper"].row("inception_4a")
    expected = {
        "branch1x1.ch1x1": ("convolution", 1, row.ch1x1),
        "branch3x3.ch3x3red": ("convolution", 1, row.ch3x3red),
        "branch3x3.ch3x3": ("convolution", 3, row.ch3x3),
        "branch5x5.ch5x5red": ("convolution", 1, row.ch5x5red),
        "branch5x5.ch5x5": ("convolution", 5, row.ch5x5),
        "branch_pool.pool": ("max pool", 3, 480),
        "branch_pool.pool_proj": ("convolution", 1, row.pool_proj),
    }
    for suffix, (kind, kernel, channels) in expected.items():
        (layer,) = graph.node(f"inception_4a.{suffix}").layers
        assert (layer.kind, layer.kernel, layer.stride, layer.channels) == (
            kind,
            kernel,
            1,
            channels,
        )
    concat = graph.node("inception_4a.concat")
    assert concat.output.channels == row.ch1x1 + row.ch3x3 + row.ch5x5 + row.pool_proj == 512
    context = {node.id for node in graph.nodes if node.role == "context"}
    assert context == {"pool3", "inception_4b", "aux_4a.pool"}
    assert next(box.id for box in graph.containers) == "inception_4a"


def test_reduce_off_draws_the_naive_module_of_figure_2a(naive):
    measured = naive
    graph = diagram_graph(measured, module="inception_4a")
    inner = [node.id.removeprefix("inception_4a.") for node in graph.nodes if node.role == "layer"]
    assert inner == [
        "branch1x1.ch1x1",
        "branch3x3.ch3x3",
        "branch5x5.ch5x5",
        "branch_pool.pool",
        "concat",
    ]
    # Every branch reads the module's input itself: no reduction in between.
    assert {edge.target for edge in graph.edges if edge.source == "pool3"} == {
        f"inception_4a.{name}" for name in inner[:-1]
    }
    pool_in = graph.node("pool3").output.channels
    assert graph.node("inception_4a.branch_pool.pool").output.channels == pool_in
    assert graph.node("inception_4a.concat").output.channels == 192 + 208 + 48 + pool_in


def test_torchvision_layers_show_its_3x3_five_by_five_and_batch_norm(torchvision):
    measured = torchvision
    detail = diagram_graph(measured, module="inception_4a")
    assert detail.node("inception_4a.branch5x5.ch5x5").layers[0].kernel == 3
    ops = diagram_graph(measured, "operations", "inception_4a")
    assert ops.node("inception_4a.branch1x1.ch1x1.bn").kind == "batch norm"


def test_a_module_named_below_the_depth_is_drawn_as_one_node(paper):
    measured = paper
    graph = diagram_graph(measured, "modules", "inception_4a.branch3x3")
    layer = [node.id for node in graph.nodes if node.role == "layer"]
    assert layer == ["inception_4a.branch3x3"]


def test_unknown_module_lists_the_valid_names(paper):
    measured = paper
    with pytest.raises(
        OptionError, match=r"unknown module 'inception_9z'; available: conv1, .*aux_4d"
    ):
        diagram_graph(measured, module="inception_9z")


def test_unknown_depth_is_refused(paper):
    measured = paper
    with pytest.raises(OptionError, match="unknown depth 'deep'; available: modules, branches"):
        diagram_graph(measured, "deep")
