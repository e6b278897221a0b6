"""Every bundled table through every command, chosen with ``--table``, and each paper's own
columns set beside what was measured."""

from __future__ import annotations

import json

import pytest
from conftest import assert_one_line_error, run_under_memory_limit

from gnet_inspect.spec.loader import bundled_tables, list_variants, named_table

NEW_TABLES = ("bn-inception", "inception-v3", "inception-v4", "inception-resnet-v2")
V3_TORCHVISION = ("--table", "inception-v3", "--variant", "torchvision")
IRV2_TIMM_MEMORY = ("memory", "--table", "inception-resnet-v2", "--variant", "timm")
QUICK = ("--repeats", "1", "--warmup", "0")


def test_the_registry_lists_every_bundled_table_googlenet_first():
    assert bundled_tables() == (
        "googlenet",
        "bn-inception",
        "inception-resnet-v2",
        "inception-v3",
        "inception-v4",
    )


@pytest.mark.parametrize("command", ["table", "flops", "memory", "diagram", "docs", "profile"])
def test_help_lists_every_bundled_table_and_its_variants(cli, command):
    run = cli(command, "--help")
    assert run.code == 0
    compact = "".join(run.out.replace("│", " ").split())  # the help wraps anywhere
    for name in bundled_tables():
        variants = ",".join(list_variants(named_table(name)))
        assert f"{name}:{variants}" in compact, (command, name, variants)


@pytest.mark.parametrize("table", NEW_TABLES)
@pytest.mark.parametrize(
    "args",
    [
        ["table", "--format", "json"],
        ["flops", "--depth", "stages", "--format", "csv"],
        ["flops", "--depth", "branches", "--format", "json"],
        ["flops", "--depth", "layers", "--pass", "train", "--format", "csv"],
        ["memory", "--depth", "branches", "--batch-size", "2", "--format", "csv"],
        ["diagram", "--format", "dot"],
        ["profile", "--depth", "branches", "--format", "csv", *QUICK],
        ["profile", "--pass", "train", "--batch-size", "2", "--format", "csv", *QUICK],
    ],
    ids=lambda a: "-".join(a[:3]) if isinstance(a, list) else a,
)
def test_every_command_runs_on_every_new_table(cli, table, args):
    run = cli(*args, "--table", table)
    assert run.code == 0, run.err
    assert run.out


@pytest.mark.parametrize("table", NEW_TABLES)
def test_docs_writes_the_set_of_every_new_table(cli, tmp_path, table):
    run = cli("docs", str(tmp_path / table), "--table", table)
    assert run.code == 0, run.err
    names = sorted(p.name for p in (tmp_path / table).iterdir())
    assert {"index.md", "network.svg", "table.md", "memory.md", "reductions.md"} <= set(names)
    # The first module with 1×1 reductions, drawn with and without them (--reduce off).
    first = {"bn-inception": "inception_3a", "inception-v3": "mixed_5b"}.get(table, "mixed_4a")
    assert {f"{first}.svg", f"{first}-naive.svg"} <= set(names)


def _rows(cli, table: str, variant: str) -> dict[str, dict]:
    run = cli("table", "--table", table, "--variant", variant, "--format", "json")
    assert run.code == 0, run.err
    return {row["id"]: row for row in json.loads(run.out)["rows"]}


def test_inception_v3_prints_its_papers_own_columns(cli):
    rows = _rows(cli, "inception-v3", "released")
    assert rows["conv2d_1a_3x3"]["paper_type"] == "conv"
    assert rows["conv2d_2b_3x3"]["paper_type"] == "conv padded"
    assert rows["mixed_5b"]["paper_type"] == "3×Inception"
    assert rows["mixed_5b"]["paper_patch size/stride or remarks"] == "As in figure 5"
    # Table 1 prints each row's input; the measured one is the row before's output.
    assert rows["conv2d_2a_3x3"]["input"] == rows["conv2d_1a_3x3"]["output"] == "149×149×32"
    assert rows["conv2d_2a_3x3"]["paper_differs"] == ""
    # The paper's stem reaches 35×35 by a 3×3/2 convolution on 71×71; the released one pools.
    assert rows["conv2d_4a_3x3"]["paper_differs"] == "input size"
    assert rows["mixed_5b"]["paper_differs"] == "input size"  # 35×35×288 printed, 192 built
    assert rows["mixed_6b"]["paper_differs"] == rows["mixed_7b"]["paper_differs"] == ""
    assert rows["mixed_5c"]["paper_type"] == ""  # covered by the "3×Inception" row


def test_bn_inception_prints_figure_5_and_names_its_inconsistent_sizes(cli):
    rows = _rows(cli, "bn-inception", "paper")
    assert rows["inception_3c"]["paper_Pool +proj"] == "max + pass through"
    assert rows["inception_3a"]["paper_double #3×3"] == "96"
    differs = {row_id: row["paper_differs"] for row_id, row in rows.items() if row["paper_differs"]}
    # The stride-2 modules keep the 28×28 and 14×14 grids in print; 4c and 4d print 576
    # channels where their branches add up to 608; conv2's two layers are printed as one.
    assert differs == {
        "conv2": "depth",
        "inception_3c": "output size",
        "inception_4c": "output size",
        "inception_4d": "output size",
        "inception_4e": "output size",
    }
    assert rows["inception_4c"]["output"] == "14×14×608"


def test_claims_of_the_new_papers_are_set_beside_the_measurement(cli):
    v3 = cli("table", "--table", "inception-v3")
    assert "48 layers with parameters (the text: 42 ✗)" in " ".join(v3.out.split())
    assert "the text says about 5G" in v3.out
    assert "23,834,568 params (23,799,136 weights; the text says fewer than 25M ✓)" in " ".join(
        v3.out.split()
    )
    bn = json.loads(cli("table", "--table", "bn-inception", "--format", "json").out)
    assert bn["claims"]["params"] == "13.6M"


def _longest(layers, pools: bool) -> int:
    """Layers with parameters (and pools) on a branch's longest path, counted on the spec."""
    from gnet_inspect.spec.branches import ConvLayer, Fork

    count = 0
    for layer in layers:
        if isinstance(layer, Fork):
            count += max(_longest(b.layers, pools) for b in layer.branches)
        else:
            count += isinstance(layer, ConvLayer) or pools
    return count


def _depth_by_formula(spec, pools: bool) -> int:
    """The longest path through the table's rows, from the spec alone (no trace): a conv row
    is 1 (2 with its 1×1 reduction), a linear row 1, a pool row 1 with pooling, a module its
    longest branch, and one more for a residual connection's projection (its sum and the
    shortcut add nothing)."""
    from gnet_inspect.spec.schema import ConvRow, InceptionRow, LinearRow, ModuleRow, PoolRow

    depth = 0
    for row in spec.rows:
        if isinstance(row, ConvRow):
            depth += 1 + (row.reduce is not None)
        elif isinstance(row, LinearRow):
            depth += 1
        elif isinstance(row, PoolRow):
            depth += pools
        elif isinstance(row, (InceptionRow, ModuleRow)):
            depth += max(_longest(b.layers, pools) for b in row.branches)
            depth += isinstance(row, ModuleRow) and row.residual is not None
    return depth


@pytest.mark.parametrize("table", bundled_tables())
def test_depth_traced_equals_the_longest_path_counted_on_the_spec(table):
    """Every variant of every bundled table: the traced graph's depth (what `table` prints:
    v3 48 and 51, BN-Inception 34 and 37) against a count on the spec's branches."""
    from gnet_inspect.measure.measure import measure
    from gnet_inspect.spec.loader import load_spec

    for variant in list_variants(named_table(table)):
        spec = load_spec(named_table(table), variant)
        depth = measure(spec).depth
        assert depth.depth == _depth_by_formula(spec, pools=False), (table, variant)
        assert depth.depth_with_pooling == _depth_by_formula(spec, pools=True), (table, variant)


def test_an_unknown_table_is_one_line_naming_the_bundled_ones(cli):
    assert_one_line_error(cli("table", "--table", "inception-v9"), "unknown table", "googlenet")


def test_table_and_spec_together_are_refused(cli, tmp_path):
    run = cli("flops", "--table", "googlenet", "--spec", str(named_table("googlenet")))
    assert_one_line_error(run, "--table and --spec")


def test_a_training_step_at_batch_1_with_batchnorm_on_a_1x1_map_is_refused(cli):
    run = cli("profile", "--pass", "train", "--table", "inception-v3", *QUICK)
    assert_one_line_error(run, "aux_logits.conv1", "--batch-size 2")


def test_the_memory_guard_refuses_the_new_tables_at_sizes_that_would_not_fit(tmp_path):
    """Under a 3 GiB address-space limit, a large batch or input on each new table is one
    line naming what is too large, before anything large is allocated."""
    v3_docs = ["docs", str(tmp_path / "docs"), "--table", "inception-v3", "--variant"]
    v3_step = ["profile", "--pass", "train", "--table", "inception-v3"]
    cases = [
        (["profile", "--table", "inception-v3", "--batch-size", "2000", *QUICK], "batch-size"),
        (["profile", "--table", "bn-inception", "--batch-size", "5000", *QUICK], "batch-size"),
        (
            ["profile", "--table", "inception-resnet-v2", "--batch-size", "800", *QUICK],
            "batch-size",
        ),
        (
            [*IRV2_TIMM_MEMORY, "--batch-size", "900", "--measure", "cpu"],
            "batch-size",
        ),
        (
            ["table", "--table", "inception-v4", "--variant", "timm", "--input-size", "5000"],
            "--input-size",
        ),
        (
            [*v3_step, "--batch-size", "500", *QUICK],
            "batch-size",
        ),
        (
            ["table", *V3_TORCHVISION, "--input-size", "6000"],
            "--input-size",
        ),
        (
            ["memory", "--table", "bn-inception", "--batch-size", "20000", "--measure", "cpu"],
            "batch-size",
        ),
        (
            [*v3_docs, "torchvision", "--input-size", "6000"],
            "--input-size",
        ),
    ]
    runs = run_under_memory_limit([argv for argv, _ in cases])
    for (argv, advice), run in zip(cases, runs):
        assert run.code != 0, argv
        assert_one_line_error(run, "needs about", advice)
    assert not (tmp_path / "docs").exists()


def test_the_readmes_lineage_table_is_what_is_measured():
    """The README's side-by-side numbers (params, MACs, depth) are the measured ones."""
    import re
    from pathlib import Path

    from gnet_inspect.measure.measure import measure
    from gnet_inspect.spec.loader import load_spec

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The Inception lineage", 1)[1].split("\n- ", 1)[0]
    cells = {
        line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]]
        for line in section.splitlines()
        if line.startswith("| ") and not line.startswith("| |")
    }
    for column, (table, variant) in enumerate(
        [
            ("googlenet", "paper"),
            ("bn-inception", "paper"),
            ("inception-v3", "released"),
            ("inception-v4", "paper"),
            ("inception-resnet-v2", "paper"),
        ]
    ):
        measured = measure(load_spec(named_table(table), variant))
        params = sum(r.params.params for r in measured.rows)
        macs = sum(r.macs for r in measured.rows)

        def first_number(text: str) -> int:
            return int(re.match(r"[\d,]+", text)[0].replace(",", ""))

        assert first_number(cells["params (inference)"][column]) == params, table
        assert first_number(cells["MACs"][column]) == macs, table
        assert first_number(cells["depth, layers with parameters"][column]) == measured.depth.depth
        assert (
            first_number(cells["depth, with pooling"][column]) == measured.depth.depth_with_pooling
        )


@pytest.fixture
def page_table(tmp_path):
    """The whole small table that docs/schema.md ends with, as a new user would copy it."""
    from pathlib import Path

    page = (Path(__file__).parents[2] / "docs" / "schema.md").read_text(encoding="utf-8")
    path = tmp_path / "small.yaml"
    path.write_text(page.split("```yaml\n")[-1].split("```")[0], encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    "args",
    [
        ["table"],
        ["flops", "--depth", "operations"],
        ["flops", "--pass", "train", "--depth", "layers"],
        ["flops", "--reduce", "off", "--compare"],
        ["memory", "--depth", "branches"],
        ["diagram", "--module", "mixed_a", "--depth", "layers", "--format", "dot"],
        ["profile", "--depth", "branches", *QUICK],
        ["profile", "--pass", "train", *QUICK],
    ],
    ids=lambda a: "-".join(a[:2]),
)
def test_the_schema_pages_table_runs_through_every_command(cli, page_table, args):
    run = cli(*args, "--spec", page_table)
    assert run.code == 0, run.err
    assert run.out


@pytest.mark.parametrize(
    ("table", "row"), [("inception-v3", "mixed_7b"), ("inception-resnet-v2", "block17_10")]
)
def test_a_saved_profile_of_a_new_table_is_charted_and_drawn(cli, tmp_path, table, row):
    saved = tmp_path / "saved.json"
    run = cli("profile", "--table", table, *QUICK, "--format", "json", "-o", str(saved))
    assert run.code == 0, run.err
    for kind in ("shares", "roofline"):
        chart = tmp_path / f"{kind}.svg"
        assert cli("chart", str(saved), "--kind", kind, "-o", str(chart)).code == 0
        assert row in chart.read_text(encoding="utf-8")
    drawn = tmp_path / "latency.dot"
    run = cli("diagram", "--result", str(saved), "--color-by", "latency", "-o", str(drawn))
    assert run.code == 0, run.err
    assert row in drawn.read_text(encoding="utf-8")


def test_the_released_inception_resnet_v2s_sums_are_add_nodes_with_their_scales(cli):
    """Every block adds 0.17, 0.1 or 0.2 of its projection, then a ReLU; the last block adds
    all of it and returns the sum without a ReLU, as timm's block8 does."""
    base = ("diagram", "--table", "inception-resnet-v2", "--variant", "timm", "--format", "dot")
    for module, label in [
        ("block35_10", "× 0.17 + input → ReLU"),
        ("block17_1", "× 0.1 + input → ReLU"),
        ("block8_9", "× 0.2 + input → ReLU"),
        ("block8", "× 1 + input<"),
    ]:
        run = cli(*base, "--module", module)
        assert run.code == 0, run.err
        node = next(line for line in run.out.splitlines() if f'"{module}.residual.sum" [' in line)
        assert label in node, (module, node)
        assert f'"{module}.residual.projection" -> "{module}.residual.sum"' in run.out


def test_printed_sizes_are_checked_only_at_the_tables_own_input_size(cli):
    run = cli("table", *V3_TORCHVISION, "--input-size", "320", "--format", "json")
    rows = json.loads(run.out)["rows"]
    assert all(row["paper_differs"] == "" for row in rows)


def test_printed_params_and_ops_that_differ_are_named_beside_the_papers_columns(cli, tmp_path):
    text = named_table("inception-v3").read_text(encoding="utf-8")
    changed = text.replace(
        "{id: conv2d_1a_3x3, type: convolution, patch: 3×3/2, padding: 0,",
        "{id: conv2d_1a_3x3, type: convolution, patch: 3×3/2, padding: 0, params: 5K, ops: 1M,",
    )
    assert changed != text
    (tmp_path / "v3.yaml").write_text(changed, encoding="utf-8")
    run = cli("table", "--spec", str(tmp_path / "v3.yaml"), "--format", "json")
    first = json.loads(run.out)["rows"][0]
    assert first["paper_differs"] == "params, ops"  # 928 params and 19.18M MACs measured


def test_a_paper_column_given_twice_is_refused(cli, tmp_path):
    text = named_table("inception-v3").read_text(encoding="utf-8")
    twice = text.replace(
        "paper_columns: [type, patch size/stride or remarks, input size]",
        "paper_columns: [type, Type, input size]",
    )
    (tmp_path / "v3.yaml").write_text(twice, encoding="utf-8")
    assert_one_line_error(
        cli("table", "--spec", str(tmp_path / "v3.yaml")), "paper_columns", "given twice"
    )


def test_memory_says_when_a_step_on_one_image_cannot_run(cli):
    run = cli("memory", "--table", "inception-v3")
    text = " ".join(run.out.split())
    assert "Such a step cannot run on one image: the BatchNorm of row 'aux_logits.conv1'" in text
    two = " ".join(cli("memory", "--table", "inception-v3", "--batch-size", "2").out.split())
    assert "cannot run" not in two
