"""Inception-ResNet's residual connection, repeated rows and a variant's replaced rows: loaded,
built, measured against closed forms, drawn and timed, and every bad field refused.

The small table has two residual modules written once (``repeat: 2``) on a 9×9 grid after a
stem, the second ending without a ReLU, as the released Inception-ResNet-v2's last block does.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from table_files import refused_edit, write_table
from torch import nn

from gnet_inspect.errors import OptionError, SpecError
from gnet_inspect.measure.liveness import forward_memory
from gnet_inspect.measure.measure import measure
from gnet_inspect.measure.memory import forward_peak_elements, kept_elements
from gnet_inspect.model import ResidualConnection, build_model
from gnet_inspect.reports.diagram.graph import diagram_graph
from gnet_inspect.reports.flops import break_down
from gnet_inspect.reports.profile.timing import plan_blocks
from gnet_inspect.spec.loader import load_spec
from gnet_inspect.spec.schema import ModuleRow
from gnet_inspect.spec.whatifs import apply_whatifs, without_reductions

SMALL = """\
schema: 1
name: Small residual
input: 19×19×3
conventions: {pool_rounding: floor}
layers: {conv_bias: false, batch_norm: 0.001}
rows:
  - {id: stem, type: convolution, patch: 3×3/2, padding: 0, output: 9×9×16}
  - id: block
    type: inception
    repeat: 2
    paper: [Inception-ResNet-A]
    output: 9×9×16
    branches:
      branch0: [{conv: 1×1, channels: 4}]
      branch1:
        - {conv: 1×1, channels: 4}
        - {conv: 3×3, channels: 6}
    residual: {projection: 16, scale: 0.25}
  - {id: avgpool, type: adaptive avg pool, output: 1×1×16}
  - {id: linear, type: linear, output: 1×1×10}
paper_columns: [type]
notes:
  block_2: The last block ends without a ReLU (its variant says so).
variants:
  plain: {}
  last_linear:
    rows:
      block: {repeat: 3}
    insert_after:
      block:
        id: last
        type: inception
        output: 9×9×16
        branches: {a: [{conv: 1×1, channels: 2}], b: [{conv: 1×1, channels: 2}]}
        residual: {projection: 16, scale: 1, activation: none}
  stemless:
    replace:
      stem:
        - {id: conv_a, type: convolution, patch: 3×3/2, padding: 0, output: 9×9×8}
        - {id: conv_b, type: convolution, patch: 1×1/1, output: 9×9×16}
"""


def _write(tmp_path: Path, text: str) -> Path:
    return write_table(tmp_path, text, "residual.yaml")


@pytest.fixture
def small(tmp_path):
    return load_spec(_write(tmp_path, SMALL))


def test_a_repeated_row_is_one_row_per_repeat_with_the_paper_cells_on_the_first(small):
    assert small.row_ids == ("stem", "block_1", "block_2", "avgpool", "linear")
    first, second = small.row("block_1"), small.row("block_2")
    assert isinstance(first, ModuleRow) and isinstance(second, ModuleRow)
    assert first.printed.paper == ("Inception-ResNet-A",) and second.printed.paper is None
    assert first.branches == second.branches and first.residual == second.residual
    assert second.note.startswith("The last block")


def test_variants_change_the_repeat_insert_and_replace_rows(tmp_path):
    path = _write(tmp_path, SMALL)
    longer = load_spec(path, "last_linear")
    assert longer.row_ids == ("stem", "block_1", "block_2", "block_3", "last", "avgpool", "linear")
    last = longer.row("last")
    assert isinstance(last, ModuleRow) and last.residual is not None
    assert (last.residual.scale, last.residual.activation) == (1.0, False)
    stemless = load_spec(path, "stemless")
    assert stemless.row_ids[:3] == ("conv_a", "conv_b", "block_1")


def test_the_built_module_adds_its_scaled_projection_to_its_input(small):
    model = build_model(small).eval()
    block = model.block_1
    assert isinstance(block.residual, ResidualConnection)
    projection = block.residual.projection
    assert isinstance(projection, nn.Conv2d) and projection.bias is not None
    assert (projection.in_channels, projection.out_channels) == (10, 16)
    x = torch.randn(2, 16, 9, 9)
    concatenated = torch.cat([block.branch0(x), block.branch1(x)], dim=1)
    expected = torch.relu(projection(concatenated) * 0.25 + x)
    with torch.no_grad():
        assert torch.equal(block(x), expected)


def test_without_an_activation_the_sum_is_returned_as_it_is(tmp_path):
    spec = load_spec(_write(tmp_path, SMALL), "last_linear")
    last = build_model(spec).eval().last
    x = torch.randn(1, 16, 9, 9)
    concatenated = torch.cat([last.a(x), last.b(x)], dim=1)
    with torch.no_grad():
        got = last(x)
        assert torch.equal(got, last.residual.projection(concatenated) * 1.0 + x)
    assert (got < 0).any()  # no ReLU after the last block's sum


def test_counts_follow_the_closed_forms_and_the_residual_adds_one_layer_of_depth(small):
    measured = measure(small)
    grid = 9 * 9
    branches = grid * (16 * 4 + 16 * 4 + 4 * 6 * 9)
    projection = grid * 10 * 16
    block = measured.modules["block_1"]
    assert block.macs == branches + projection
    assert measured.modules["block_1.residual"].params.params == 10 * 16 + 16
    # BatchNorm (one per element of each conv output), then the scale and the sum per element
    norms = grid * (4 + 4 + 6)
    assert block.other_ops == norms + 2 * grid * 16
    row = next(r for r in measured.rows if r.id == "block_1")
    assert (row.depth, row.depth_with_pooling) == (3, 3)  # 1×1 → 3×3 → projection
    assert measured.depth.depth == 1 + 3 + 3 + 1  # stem, two blocks, the linear layer


def test_the_branches_level_lists_the_concatenation_then_the_residual(small):
    measured = measure(small)
    breakdown = break_down(measured, "branches")
    ids = [entry.id for entry in breakdown.rows if entry.id.startswith("block_1")]
    assert ids == ["block_1.branch0", "block_1.branch1", "block_1.concat", "block_1.residual"]
    outputs = {entry.id: entry.output for entry in breakdown.rows}
    assert str(outputs["block_1.concat"]) == "9×9×10"  # the branches', before the projection
    assert str(outputs["block_1.residual"]) == "9×9×16"
    layers = [e.id for e in break_down(measured, "layers").rows if e.id.startswith("block_1.res")]
    assert layers == ["block_1.residual.projection", "block_1.residual.sum"]


def test_the_concatenation_is_timed_up_to_the_residual_connection(small):
    measured = measure(small)
    blocks = {block.name: block for block in plan_blocks(measured.tree, "branches")}
    concat = blocks["block_1.concat"]
    assert concat.start == ("block_1.branch1", "end")
    assert concat.end == ("block_1.residual", "start")
    assert blocks["block_1.residual"].end == ("block_1.residual", "end")


def test_memory_holds_the_concatenation_and_the_sum(small):
    measured = measure(small)
    peak = forward_memory(measured, 4)
    grid = 9 * 9
    # at a block's sum: the image, the block's input, the concatenation its frame holds, the
    # projection, its scaled copy and the sum, alive at once
    at_sum = 19 * 19 * 3 + grid * (16 + 10 + 16 + 16 + 16)
    assert 4 * at_sum <= peak.peak_bytes <= 4 * forward_peak_elements(measured)
    per_image = kept_elements(small, 19)
    stem = 2 * grid * 16  # convolution and BatchNorm outputs
    block = 2 * grid * (4 + 4 + 6) + grid * 10 + 3 * grid * 16
    assert per_image == stem + 2 * block + 16 + 10


def test_the_diagram_draws_the_sum_as_an_add_node_with_its_scale_and_the_shortcut(small):
    measured = measure(small)
    graph = diagram_graph(measured, "layers", module="block_1")
    node = graph.node("block_1.residual.sum")
    assert node.kind == "add"
    assert [layer.scale for layer in node.layers] == [0.25]
    sources = {edge.source for edge in graph.edges if edge.target == node.id}
    assert sources == {"block_1.residual.projection", "stem"}


def _refused(tmp_path: Path, old: str, new: str) -> SpecError:
    return refused_edit(tmp_path, SMALL, old, new)


@pytest.mark.parametrize(
    ("old", "new", "where", "fragment"),
    [
        (
            "residual: {projection: 16, scale: 0.25}",
            "residual: {projection: 12, scale: 0.25}",
            "rows[1].residual",
            "projects to 12 channels but the module receives 16",
        ),
        ("scale: 0.25}", "scale: 0}", "rows[1].residual.scale", "positive scale"),
        ("scale: 0.25}", "scale: -1}", "rows[1].residual.scale", "expected a number from 0"),
        ("scale: 0.25}", "scale: 0.25, activation: tanh}", "activation", "unknown activation"),
        ("{projection: 16, scale: 0.25}", "{scale: 0.25}", "rows[1].residual", "'projection'"),
        ("{projection: 16, scale: 0.25}", "{projection: 16}", "rows[1].residual", "'scale'"),
        ("scale: 0.25}", "scale: 0.25, gain: 2}", "rows[1].residual.gain", "unknown key"),
        ("repeat: 2", "repeat: 0", "rows[1].repeat", "at least 1"),
        ("repeat: 2", "repeat: 101", "rows[1].repeat", "at most 100"),
        ("repeat: 2", "repeat: two", "rows[1].repeat", "whole number"),
        ("branch0: [", "residual: [", "rows[1].branches.residual", "'residual' the residual"),
        ("block: {repeat: 3}", "nowhere: {repeat: 3}", "nowhere", "no row with id"),
        ("    replace:\n      stem:", "    replace:\n      nothing:", "nothing", "no row with id"),
    ],
)
def test_bad_residual_repeat_and_replace_fields_are_refused_in_place(
    tmp_path, old, new, where, fragment
):
    error = _refused(tmp_path, old, new)
    assert where in error.where, error
    assert fragment in error.message, error


def test_a_residual_on_the_googlenet_shorthand_is_refused(tmp_path):
    text = SMALL.replace(
        "    branches:\n      branch0: [{conv: 1×1, channels: 4}]\n      branch1:\n"
        "        - {conv: 1×1, channels: 4}\n        - {conv: 3×3, channels: 6}\n",
        "    ch1x1: 4\n    ch3x3red: 4\n    ch3x3: 6\n    ch5x5red: 2\n    ch5x5: 2\n"
        "    pool_proj: 2\n",
    )
    with pytest.raises(SpecError) as caught:
        load_spec(_write(tmp_path, text))
    assert caught.value.where.endswith("rows[1].residual")
    assert "needs the module's 'branches'" in caught.value.message


def test_a_repeat_whose_ids_clash_with_a_row_is_refused(tmp_path):
    text = SMALL.replace(
        "  - {id: avgpool,",
        "  - {id: block_2, type: dropout, p: 0.1, output: 9×9×16}\n  - {id: avgpool,",
    )
    with pytest.raises(SpecError) as caught:
        load_spec(_write(tmp_path, text))
    assert "duplicate id 'block_2'" in caught.value.message


def test_the_no_residual_what_if_drops_each_projection_and_sum(small):
    plain = apply_whatifs(small, ["no-residual"])
    assert plain.whatifs == ("no residual",)
    assert all(getattr(row, "residual", None) is None for row in plain.rows)
    measured, before = measure(plain), measure(small)
    grid = 9 * 9
    # block_1 keeps its branches on 16 channels and returns their 10; block_2 reads 10
    assert measured.modules["block_1"].macs == grid * (16 * 4 + 16 * 4 + 4 * 6 * 9)
    assert measured.modules["block_2"].macs == grid * (10 * 4 + 10 * 4 + 4 * 6 * 9)
    assert before.modules["block_1"].macs - measured.modules["block_1"].macs == grid * 10 * 16
    assert str(measured.modules["block_2"].output) == "9×9×10"


def test_the_no_residual_what_if_refuses_a_table_without_residuals():
    with pytest.raises(OptionError, match="no-residual needs modules with a residual"):
        apply_whatifs(load_spec(), ["no-residual"])


def test_the_schema_pages_residual_module_loads_as_written(tmp_path):
    page = (Path(__file__).parents[2] / "docs" / "schema.md").read_text(encoding="utf-8")
    module = page.split("### A residual connection")[1].split("```yaml\n")[1].split("```")[0]
    text = (
        "schema: 1\nname: page\ninput: 35×35×384\nrows:\n"
        + module
        + "  - {id: pool, type: adaptive avg pool, output: 1×1×384}\n"
        + "  - {id: fc, type: linear, output: 1×1×10}\n"
    )
    spec = load_spec(_write(tmp_path, text))
    assert spec.row_ids[:5] == tuple(f"block35_{i}" for i in range(1, 6))
    assert str(measure(spec).concatenation("block35_1")) == "35×35×128"


def test_under_a_what_if_each_projection_follows_its_modules_input(tmp_path):
    """Removing a module's pool projection widens the blocks' input from 16 to 24 channels (8
    from its 1×1 and the pool's 16 passed on); the projections follow (Inception-ResNet-v2's
    mixed_5b under --reduce off is the bundled case)."""
    text = SMALL.replace(
        "  - {id: stem, type: convolution, patch: 3×3/2, padding: 0, output: 9×9×16}\n",
        "  - {id: stem, type: convolution, patch: 3×3/2, padding: 0, output: 9×9×16}\n"
        "  - id: widen\n    type: inception\n    output: 9×9×16\n    branches:\n"
        "      a: [{conv: 1×1, channels: 8}]\n"
        "      b: [{pool: max 3×3/1, padding: 1}, {conv: 1×1, channels: 8}]\n",
    )
    naive = without_reductions(load_spec(_write(tmp_path, text)))
    assert naive.row("block_1").residual.projection is None
    model = build_model(naive)
    assert model.block_1.residual.projection.out_channels == 8 + 16  # the widened input
    assert str(measure(naive).modules["block_2"].output) == "9×9×24"


def test_an_earlier_rows_wrong_output_is_reported_before_a_residual_it_breaks(tmp_path):
    """A module printed 9×9×16 whose branches give 12 channels: the error is its output, not
    the residual after it that cannot add 12 to 16."""
    text = SMALL.replace(
        "  - id: block\n",
        "  - id: widen\n    type: inception\n    output: 9×9×16\n    branches:\n"
        "      a: [{conv: 1×1, channels: 6}]\n      b: [{conv: 1×1, channels: 6}]\n"
        "  - id: block\n",
    )
    with pytest.raises(SpecError) as caught:
        load_spec(_write(tmp_path, text))
    assert caught.value.where.endswith("rows[1].output"), caught.value
    assert "row 'widen' computes to 9×9×12" in caught.value.message


def test_variant_notes_replace_and_remove_the_tables_and_name_variant_only_rows(tmp_path):
    text = SMALL.replace(
        "  stemless:\n    replace:",
        "  stemless:\n    notes:\n      block_2: null\n"
        "      conv_b: The released stem's second layer.\n    replace:",
    )
    path = _write(tmp_path, text)
    stemless = load_spec(path, "stemless")
    assert stemless.row("block_2").note is None
    assert stemless.row("conv_b").note == "The released stem's second layer."
    assert load_spec(path, "plain").row("block_2").note.startswith("The last block")


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        (
            "  stemless:\n    replace:",
            "  stemless:\n    rows: {stem: {output: 1×1×1}}\n    replace:",
            "replaced by this variant",
        ),
        (
            "notes:\n  block_2:",
            "notes:\n  conv_b: only a variant has it\n  block_2:",
            "under the variant's notes",
        ),
        (
            "notes:\n  block_2:",
            "notes:\n  block: on the row written once\n  block_2:",
            "repeats are block_1 to block_2",
        ),
    ],
)
def test_notes_and_changes_that_name_the_wrong_rows_are_refused(tmp_path, old, new, fragment):
    error = _refused(tmp_path, old, new)
    assert fragment in error.message, error
