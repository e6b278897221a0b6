"""A module as a graph of branches: loaded, built and measured, and every bad field refused.

The small table here has what the later generations need: non-square kernels with their own
padding, a fork whose sub-branches are concatenated, a stride-2 grid reduction with a
pool-only branch, an average pool that counts its padding, and convolutions without padding.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml
from table_files import refused_edit, write_table
from torch import nn

from gnet_inspect.errors import SpecError
from gnet_inspect.measure.measure import measure
from gnet_inspect.model import Fork, Inception, build_model
from gnet_inspect.reports.flops import break_down
from gnet_inspect.spec.branches import ConvLayer, PoolLayer
from gnet_inspect.spec.loader import bundled_table, load_spec
from gnet_inspect.spec.schema import InceptionRow, ModuleRow

SMALL = """\
schema: 1
name: Small
input: 33×33×3
conventions: {pool_rounding: floor}
layers: {conv_bias: false, batch_norm: 0.001}
rows:
  - {id: stem, type: convolution, patch: 3×3/2, padding: 0, output: 16×16×8}
  - id: mixed_a
    type: inception
    output: 16×16×24
    branches:
      branch1x1: [{conv: 1×1, channels: 4}]
      branch7x7:
        - {conv: 1×1, channels: 4}
        - {conv: 1×7, channels: 6}
        - {conv: 7×1, channels: 6}
      branch3x3:
        - {conv: 1×1, channels: 4}
        - fork:
            left: [{conv: 1×3, channels: 3}]
            right: [{conv: 3×1, channels: 3}]
      branch_pool:
        - {pool: avg 3×3/1, padding: 1}
        - {conv: 1×1, channels: 8}
  - id: reduce
    type: inception
    output: 7×7×40
    branches:
      branch3x3: [{conv: 3×3/2, channels: 16, padding: 0}]
      branch_pool: [{pool: max 3×3/2}]
  - {id: avgpool, type: adaptive avg pool, output: 1×1×40}
  - {id: linear, type: linear, output: 1×1×10}
"""


def _write(tmp_path: Path, text: str) -> Path:
    return write_table(tmp_path, text, "small.yaml")


@pytest.fixture
def small(tmp_path):
    return load_spec(_write(tmp_path, SMALL))


def test_module_rows_load_as_their_branch_graph(small):
    module = small.row("mixed_a")
    assert isinstance(module, ModuleRow)
    assert [b.id for b in module.branches] == ["branch1x1", "branch7x7", "branch3x3", "branch_pool"]
    conv17 = module.branches[1].layers[1]
    assert isinstance(conv17, ConvLayer)
    assert (conv17.id, conv17.kernel, conv17.padding) == ("conv1x7", (1, 7), (0, 3))
    pool = module.branches[3].layers[0]
    assert isinstance(pool, PoolLayer)
    assert (pool.kind, pool.padding, pool.count_include_pad) == ("avg", 1, True)


def test_built_module_follows_its_branches(small):
    model = build_model(small, weights="zeros")
    assert isinstance(model.mixed_a, Inception)
    fork = model.mixed_a.branch3x3.fork
    assert isinstance(fork, Fork)
    assert fork.left.conv1x3.conv.kernel_size == (1, 3)
    assert fork.right.conv3x1.conv.padding == (1, 0)
    assert model.mixed_a.branch7x7.conv7x1.conv.padding == (3, 0)
    assert model.stem.conv.padding == (0, 0)
    pool = model.mixed_a.branch_pool.avgpool
    assert isinstance(pool, nn.AvgPool2d) and pool.count_include_pad and not pool.ceil_mode
    assert isinstance(model.reduce.branch_pool.maxpool, nn.MaxPool2d)


def test_built_network_outputs_the_printed_sizes_forward_and_backward(small):
    torch.manual_seed(0)
    model = build_model(small).train()
    sizes = {}
    hooks = [
        getattr(model, row).register_forward_hook(
            lambda _m, _i, out, row=row: sizes.__setitem__(row, tuple(out.shape))
        )
        for row in ("stem", "mixed_a", "reduce")
    ]
    out = model(torch.randn(2, 3, 33, 33))
    for hook in hooks:
        hook.remove()
    assert sizes == {"stem": (2, 8, 16, 16), "mixed_a": (2, 24, 16, 16), "reduce": (2, 40, 7, 7)}
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def _conv_macs(cin: int, cout: int, kh: int, kw: int, h: int, w: int) -> int:
    return cin * cout * kh * kw * h * w


def test_branches_level_lists_every_branch_sub_branch_and_concatenation(small):
    """A branch that forks is split into its layers before the fork, the fork's sub-branches
    and the fork's concatenation, so that the entries of a module never overlap."""
    frame = break_down(measure(small), "branches").to_frame()
    mixed = [i for i in frame.index if i.startswith("mixed_a")]
    assert mixed == [
        "mixed_a.branch1x1",
        "mixed_a.branch7x7",
        "mixed_a.branch3x3.conv1x1",
        "mixed_a.branch3x3.fork.left",
        "mixed_a.branch3x3.fork.right",
        "mixed_a.branch3x3.fork.concat",
        "mixed_a.branch_pool",
        "mixed_a.concat",
    ]
    # Closed forms on the 16×16 grid with 8 input channels (no bias: BatchNorm follows).
    grid = (16, 16)
    assert frame.loc["mixed_a.branch7x7", "macs"] == (
        _conv_macs(8, 4, 1, 1, *grid)
        + _conv_macs(4, 6, 1, 7, *grid)
        + _conv_macs(6, 6, 7, 1, *grid)
    )
    assert frame.loc["mixed_a.branch3x3.fork.left", "macs"] == _conv_macs(4, 3, 1, 3, *grid)
    assert frame.loc["mixed_a.branch3x3.conv1x1", "macs"] == _conv_macs(8, 4, 1, 1, *grid)
    modules = break_down(measure(small), "modules").to_frame()
    assert frame.loc[mixed, "macs"].sum() == modules.loc["mixed_a", "macs"]
    assert frame.loc["reduce.branch3x3", "macs"] == _conv_macs(24, 16, 3, 3, 7, 7)


def test_layers_level_names_every_conv_unit_and_pool_of_a_fork(small):
    frame = break_down(measure(small), "layers").to_frame()
    assert "mixed_a.branch3x3.fork.left.conv1x3" in frame.index
    assert "mixed_a.branch_pool.avgpool" in frame.index
    assert "reduce.branch_pool.maxpool" in frame.index


def test_depth_counts_the_longest_path_through_a_fork(small):
    depth = measure(small).depth
    # stem 1, mixed_a's longest branch 3 (1×1, 1×7, 7×1), reduce 1, linear 1.
    assert depth.depth == 6
    # With pooling: the pool branches are shorter than the conv branches beside them, so
    # only the adaptive pool adds one.
    assert depth.depth_with_pooling == 7


def test_googlenet_shorthand_expands_to_the_general_form(tmp_path):
    """inception_3a written out as branches builds the same network as Table 1's columns."""
    data = yaml.safe_load(bundled_table().read_text(encoding="utf-8"))
    row = next(r for r in data["rows"] if r["id"] == "inception_3a")
    for key in ("ch1x1", "ch3x3red", "ch3x3", "ch5x5red", "ch5x5", "pool_proj"):
        row.pop(key)
    row["branches"] = {
        "branch1x1": [{"id": "ch1x1", "conv": "1×1", "channels": 64}],
        "branch3x3": [
            {"id": "ch3x3red", "conv": "1×1", "channels": 96},
            {"id": "ch3x3", "conv": "3×3", "channels": 128},
        ],
        "branch5x5": [
            {"id": "ch5x5red", "conv": "1×1", "channels": 16},
            {"id": "ch5x5", "conv": "5×5", "channels": 32},
        ],
        "branch_pool": [
            {"id": "pool", "pool": "max 3×3/1", "padding": 1},
            {"id": "pool_proj", "conv": "1×1", "channels": 32},
        ],
    }
    del data["variants"]["torchvision"]  # it sets the shorthand's ch5x5_kernel on every row
    path = tmp_path / "general.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    general, shorthand = load_spec(path, "paper"), load_spec(variant="paper")
    assert isinstance(shorthand.row("inception_3a"), InceptionRow)
    assert isinstance(general.row("inception_3a"), ModuleRow)
    a, b = build_model(general), build_model(shorthand)
    assert repr(a) == repr(b)
    b.load_state_dict(a.state_dict())
    image = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        assert torch.equal(a.eval()(image), b.eval()(image))


def _refused(tmp_path: Path, old: str, new: str) -> SpecError:
    return refused_edit(tmp_path, SMALL, old, new)


@pytest.mark.parametrize(
    ("old", "new", "where", "fragment"),
    [
        (  # a branch that ends on another grid than its siblings
            "branch_pool: [{pool: max 3×3/2}]",
            "branch_pool: [{pool: max 3×3/1}]",
            "rows[2].branches.branch_pool",
            "ends on the 14×14 grid but branch 'branch3x3' on 7×7",
        ),
        (  # a fork with one child
            "            right: [{conv: 3×1, channels: 3}]\n",
            "",
            "rows[1].branches.branch3x3[1].fork",
            "needs at least two branches, got 1",
        ),
        (  # an unknown layer kind
            "{conv: 1×7, channels: 6}",
            "{dense: 1×7, channels: 6}",
            "rows[1].branches.branch7x7[1]",
            "exactly one of conv, pool, fork",
        ),
        (  # a padding that shrinks a map to nothing
            "branch3x3: [{conv: 3×3/2, channels: 16, padding: 0}]",
            "branch3x3: [{conv: 33×33/2, channels: 16, padding: 0}]",
            "rows[2].branches.branch3x3[0]",
            "receives a 16×16 map, too small for its window",
        ),
        (  # GoogLeNet's columns beside branches
            "    output: 7×7×40\n",
            "    output: 7×7×40\n    ch1x1: 3\n",
            "rows[2].ch1x1",
            "either its 'branches' or GoogLeNet's columns",
        ),
        (  # two layers of one branch with one id
            "- {conv: 7×1, channels: 6}",
            "- {conv: 1×7, channels: 6}",
            "rows[1].branches.branch7x7[2]",
            "a second layer called 'conv1x7'",
        ),
        (  # a pool padded by more than half its window
            "{pool: avg 3×3/1, padding: 1}",
            "{pool: avg 3×3/1, padding: 2}",
            "rows[1].branches.branch_pool[0].padding",
            "pads at most 1",
        ),
        (  # an unknown key on a layer
            "{conv: 1×1, channels: 8}",
            "{conv: 1×1, channels: 8, dilation: 2}",
            "rows[1].branches.branch_pool[1].dilation",
            "unknown key 'dilation'",
        ),
        (  # a branch with no layers
            "branch1x1: [{conv: 1×1, channels: 4}]",
            "branch1x1: []",
            "rows[1].branches.branch1x1",
            "at least one layer",
        ),
        (  # concatenated channels that disagree with the printed output
            "    output: 16×16×24\n",
            "    output: 16×16×25\n",
            "rows[1].output",
            "computes to 16×16×24",
        ),
        (  # a bad padding
            "{conv: 1×7, channels: 6}",
            "{conv: 1×7, channels: 6, padding: 0x3x1}",
            "rows[1].branches.branch7x7[1].padding",
            "expected a padding like 1 or '0×3'",
        ),
        (  # an unknown activation
            "{conv: 1×7, channels: 6}",
            "{conv: 1×7, channels: 6, activation: gelu}",
            "rows[1].branches.branch7x7[1].activation",
            "unknown activation 'gelu'",
        ),
    ],
)
def test_bad_branch_fields_name_file_path_and_expectation(tmp_path, old, new, where, fragment):
    error = _refused(tmp_path, old, new)
    assert error.where == where, str(error)
    assert fragment in error.message, str(error)
    assert "small.yaml" in str(error)


def test_the_schema_pages_whole_table_loads_and_measures(tmp_path):
    """docs/schema.md ends with a whole table for new users: it must load and build."""
    page = (Path(__file__).parents[2] / "docs" / "schema.md").read_text(encoding="utf-8")
    blocks = page.split("```yaml\n")[1:]
    whole = blocks[-1].split("```")[0]
    spec = load_spec(_write(tmp_path, whole))
    measured = measure(spec)
    assert [row.id for row in measured.rows][-1] == "linear"
    assert str(measured.rows[-2].output) == "1×1×34"


def test_a_forks_concatenation_holds_the_forks_output_in_memory(small):
    from gnet_inspect.reports.memory import memory_report

    rows = {row.id: row for row in memory_report(measure(small), "branches").rows}
    # The fork concatenates 3 + 3 channels on the 16×16 grid (float32), the module 24.
    assert rows["mixed_a.branch3x3.fork.concat"].output_bytes == 16 * 16 * 6 * 4
    assert rows["mixed_a.concat"].output_bytes == 16 * 16 * 24 * 4


def test_the_network_diagram_shows_a_fork_side_by_side(small):
    from gnet_inspect.render.diagram import DiagramStyle, render_diagram
    from gnet_inspect.reports.diagram.graph import diagram_graph

    dot = render_diagram(diagram_graph(measure(small)), "dot", DiagramStyle()).decode()
    assert "3x3: 4→(3 ‖ 3)" in dot
    assert "7x7: 4→6→6" in dot  # named by its id: its kernels are 1×7 and 7×1, not 7×7


def test_a_table_without_googlenets_columns_shows_ids_not_empty_columns(small):
    from gnet_inspect.render.table_layout import table_columns
    from gnet_inspect.reports.table import table_report

    headers = [column.header for column in table_columns(table_report(measure(small)))]
    assert "id" in headers
    assert "#1×1" not in headers and "#5×5" not in headers


def test_the_googlenet_kernel_what_if_refuses_a_table_without_its_5x5_branch(small):
    from gnet_inspect.errors import OptionError
    from gnet_inspect.spec.whatifs import with_ch5x5_kernel

    with pytest.raises(OptionError, match="3x3-in-5x5 needs GoogLeNet-style Inception rows"):
        with_ch5x5_kernel(small)


def test_a_forks_concatenation_is_timed_to_the_forks_end_not_the_modules(small):
    """The concat block of a fork runs from its last sub-branch's end to the fork's end; a
    block running to the module's end would overlap the branches after the fork."""
    from gnet_inspect.reports.profile.timing import plan_blocks

    blocks = {b.name: b for b in plan_blocks(measure(small).tree, "branches")}
    fork = blocks["mixed_a.branch3x3.fork.concat"]
    assert (fork.start, fork.end) == (
        ("mixed_a.branch3x3.fork.right", "end"),
        ("mixed_a.branch3x3.fork", "end"),
    )
    module = blocks["mixed_a.concat"]
    assert (module.start, module.end) == (("mixed_a.branch_pool", "end"), ("mixed_a", "end"))


def _forks(depth: int) -> str:
    """A module whose branch forks ``depth`` times inside itself."""
    inner = "[{conv: 1×1, channels: 2}]"
    for _ in range(depth):
        inner = f"[{{fork: {{a: {inner}, b: [{{conv: 1×1, channels: 2}}]}}}}]"
    return inner


def test_forks_nest_at_most_eight_deep(tmp_path):
    deep = SMALL.replace("branch1x1: [{conv: 1×1, channels: 4}]", f"branch1x1: {_forks(9)}")
    with pytest.raises(SpecError, match="forks nest at most 8 deep"):
        load_spec(_write(tmp_path, deep))


def test_a_module_of_aliases_that_expands_past_the_layer_cap_is_refused_at_once(tmp_path):
    """YAML aliases repeat a branch at no cost: five forks of four copies are 4^5 layers in
    a few lines, refused while they are parsed (not built, traced and timed)."""
    branches = ["      branch1x1: &a0 [{conv: 1×1, channels: 4}]"]
    for i in range(1, 6):
        copies = ", ".join(f"{c}: *a{i - 1}" for c in "wxyz")
        branches.append(f"      b{i}: &a{i} [{{fork: {{{copies}}}}}]")
    bomb = SMALL.replace("      branch1x1: [{conv: 1×1, channels: 4}]", "\n".join(branches))
    with pytest.raises(SpecError, match="a module has at most 1000 layers"):
        load_spec(_write(tmp_path, bomb))


def test_no_branch_or_layer_may_be_called_concat(tmp_path):
    error = _refused(tmp_path, "      branch1x1:", "      concat:")
    assert error.where == "rows[1].branches.concat"
    assert "'concat' names the concatenation" in error.message


def test_a_batchnorm_on_a_1x1_map_inside_a_module_is_found(tmp_path):
    from gnet_inspect.spec.shapes import single_value_norms

    # reduce's 3×3/2 branch: a 7×7 window on its 16×16 input leaves 5×5; one of 16×16 and
    # stride 16 leaves a 1×1 map inside the module, before a padded 3×3 grows it back.
    hidden = SMALL.replace(
        "branch3x3: [{conv: 3×3/2, channels: 16, padding: 0}]",
        "branch3x3: [{conv: 16×16/16, channels: 16, padding: 0}, "
        "{conv: 1×1, channels: 16, padding: 3}]",
    ).replace("output: 7×7×40", "output: 7×7×40")
    spec = load_spec(_write(tmp_path, hidden))
    assert single_value_norms(spec) == ("reduce",)
