"""A table other than GoogLeNet's Table 1 speaks of itself: its name, the table its source
cites, ids that tell its rows apart, its own kernels, reductions and variants.

A small table (32×32 input, three Inception rows all labelled ``inception (a)``: a naive one,
one with only a pool projection and a 7×7 "5×5" branch, one with every reduction) is built and
measured for real; each property is checked on what the renderers write.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from gnet_inspect.errors import InputSizeError
from gnet_inspect.measure.measure import measure
from gnet_inspect.render.docs import REDUCTIONS, documentation_set
from gnet_inspect.render.table_layout import caveats, printed_table
from gnet_inspect.render.table_view import (
    table_document,
    table_renderable,
    to_markdown,
)
from gnet_inspect.reports.table import TableReport, table_report
from gnet_inspect.spec.loader import load_spec
from gnet_inspect.spec.shapes import infer_shapes
from gnet_inspect.spec.whatifs import with_fc_head

TINY = """\
schema: 1
name: TinyNet
source: {source}
input: 32×32×3
conventions:
  printed_params: {{counts: {counts}, base: 1024}}
rows:
  - {{id: conv1, type: convolution, patch: 3×3/1, output: 32×32×8, params: 0.2K, ops: 0.2M}}
  - {{id: {ids[0]}, type: inception, output: 32×32×24, ch1x1: 4, ch3x3: 8, ch5x5: 4}}
  - {{id: pool1, type: max pool, patch: 2×2/2, output: 16×16×24}}
  - {{id: {ids[1]}, type: inception, output: 16×16×24, ch1x1: 4, ch3x3: 8, ch5x5: 8,
      pool_proj: 4, ch5x5_kernel: 7}}
  - {{id: {ids[2]}, type: inception, output: 16×16×24, ch1x1: 4, ch3x3red: 4, ch3x3: 8,
      ch5x5red: 4, ch5x5: 8, pool_proj: 4}}
  - {{id: avgpool, type: avg pool, patch: 16×16/1, output: 1×1×24}}
  - {{id: linear, type: linear, output: 1×1×10, params: 0.2K}}
"""
IDS = ("stage1_a", "stage2_a", "stage3_a")
ADAPTIVE_VARIANTS = """\
variants:
  plain: {description: the average pool over the 16×16 map}
  adaptive:
    rows:
      avgpool: {type: adaptive avg pool, patch: null}
"""


def _tiny(
    folder: Path,
    source: str = "my own notes",
    ids: tuple[str, ...] = IDS,
    counts: str = "weights",
    extra: str = "",
) -> Path:
    path = folder / "tiny.yaml"
    path.write_text(TINY.format(source=source, ids=ids, counts=counts) + extra, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> TableReport:
    return table_report(measure(load_spec(_tiny(tmp_path_factory.mktemp("tiny")))))


def _text(report: TableReport, width: int = 240) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(table_renderable(report, width))
    return console.file.getvalue()  # type: ignore[attr-defined]


def _named(report: TableReport, **changes: str) -> TableReport:
    return replace(report, spec=replace(report.spec, **changes))


# -- its own name -------------------------------------------------------------------------------


def test_a_custom_table_is_titled_with_its_own_name(tiny):
    text, markdown = _text(tiny), to_markdown(tiny)
    assert "TinyNet, the table reproduced from the built network" in text
    assert markdown.startswith("### TinyNet: the table reproduced (variant table, input 32×32×3)")
    assert "Table 1" not in text + markdown


def test_a_table_whose_source_cites_one_is_titled_with_that_table(tiny):
    report = _named(tiny, source="Lin et al., Network in Network, ICLR 2014, Table 3")
    assert "TinyNet, Table 3 reproduced from the built network" in _text(report)
    assert to_markdown(report).startswith("### TinyNet: Table 3 reproduced")


def test_a_what_if_on_a_custom_table_says_its_table_not_table_1(tiny):
    report = _named(tiny, whatifs=("reduce off",))
    assert "'table + reduce off' is not the network the table prints" in caveats(report)[0]


sources = st.one_of(
    st.text(max_size=60),
    st.builds(lambda s, n: f"{s}, Table {n}", st.text(max_size=30), st.integers(1, 99)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.text(alphabet=st.characters(categories=("L", "N")), min_size=1, max_size=20),
    source=sources,
)
def test_any_table_is_titled_with_its_name_and_the_table_its_source_cites(tiny, name, source):
    report = _named(tiny, name=name, source=source)
    cited = re.search(r"\bTable\s+([0-9]+[a-z]?|[IVXL]+)\s*$", source)
    what = f"Table {cited[1]}" if cited else "the table"
    assert printed_table(report.spec) == what
    assert to_markdown(report).startswith(f"### {name}: {what} reproduced")
    if "Table 1" not in source:
        assert "Table 1" not in to_markdown(report)


# -- rows told apart ------------------------------------------------------------------------------


def test_inception_rows_labelled_alike_get_an_id_column(tiny):
    markdown = to_markdown(tiny)
    assert markdown.splitlines()[2].startswith("| type | id | patch size/ stride |")
    for row_id in IDS:
        assert f"| inception (a) | {row_id} |" in markdown
    assert "stage2_a" in _text(tiny)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ids=st.lists(st.from_regex(r"\A[a-z]{1,4}_[a-c]\Z"), min_size=3, max_size=3, unique=True))
def test_the_id_column_appears_exactly_when_two_inception_labels_collide(tmp_path_factory, ids):
    spec = load_spec(_tiny(tmp_path_factory.mktemp("ids"), ids=tuple(ids)))
    report = table_report(measure(spec))
    labels = [row.type for row in report.rows if row.id in ids]
    header = to_markdown(report).splitlines()[2]
    assert ("| id |" in header) == (len(set(labels)) < len(labels))
    if "| id |" in header:
        assert all(f"| {row_id} |" in to_markdown(report) for row_id in ids)


# -- its own kernels ------------------------------------------------------------------------------


def test_a_5x5_branch_of_another_kernel_shows_it_in_the_table_and_the_records(tiny):
    assert "| 8 (7×7) |" in to_markdown(tiny)
    assert "8 (7×7)" in _text(tiny)
    kernels = {r["id"]: r["ch5x5_kernel"] for r in tiny.records()}
    assert kernels["stage2_a"] == 7 and kernels["stage3_a"] == 5 and kernels["conv1"] is None
    assert [r["ch5x5_kernel"] for r in table_document(tiny)["rows"]][1:5] == [5, None, 7, 5]
    keys = list(tiny.records()[0])
    assert keys[keys.index("ch5x5") + 1] == "ch5x5_kernel"


# -- what its printed params count -------------------------------------------------------------


def test_printed_params_that_count_biases_are_compared_with_every_param(tmp_path, tiny):
    report = table_report(measure(load_spec(_tiny(tmp_path, counts="params"))))
    conv1 = report.rows[0]
    assert conv1.params_vs_paper is not None and tiny.rows[0].params_vs_paper is not None
    assert conv1.params_vs_paper.measured * 1024 == conv1.params == 224
    assert tiny.rows[0].params_vs_paper.measured * 1024 == conv1.weights == 216
    assert "params measured" in to_markdown(report).splitlines()[2]
    assert "weights measured" in to_markdown(tiny).splitlines()[2]
    assert "params paper = params" in to_markdown(report)


# -- its own documentation ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def docs(tiny):
    return {file.name: file for file in documentation_set(tiny.spec, "dot", run_profile=False)}


def test_docs_draws_the_first_module_with_a_reduction_and_what_they_save(docs):
    # stage1_a, the first Inception row, is naive: before, no pair and no reductions.md.
    assert list(docs) == [
        "network.dot",
        "stage2_a.dot",
        "stage2_a-naive.dot",
        "table.md",
        REDUCTIONS,
        "memory.md",
        "index.md",
    ]


def test_a_module_with_only_a_pool_projection_is_captioned_with_what_it_has(docs):
    module = docs["stage2_a.dot"]
    assert module.title == "`stage2_a`, with the pool projection only"
    assert "Figure 2" not in module.title
    assert module.caption == (
        "The module layer by layer, as the table builds it: a 1×1 convolution projects the "
        'pooled input; the 3×3 and 7×7 ("5×5" branch) convolutions read the module\'s whole '
        "input."
    )
    assert "reduce the input" not in module.caption


def test_the_docs_of_a_custom_table_speak_of_that_table(docs):
    index = docs["index.md"].data.decode()
    assert index.startswith("# TinyNet (table): figures and the table\n")
    assert "One node per row of the table." in index
    assert "## The table reproduced" in index
    assert "Table 1" not in index
    assert docs["table.md"].title == "The table reproduced"
    assert docs["index.md"].title == "Figures and the table"
    assert docs["stage2_a-naive.dot"].title == (
        "`stage2_a` without reductions, GoogLeNet's Figure 2(a)"
    )


def test_a_module_with_every_reduction_is_googlenets_figure_2b(tiny):
    files = {
        f.name: f for f in documentation_set(tiny.spec, "dot", module="stage3_a", run_profile=False)
    }
    module = files["stage3_a.dot"]
    assert module.title == "`stage3_a`, GoogLeNet's Figure 2(b)"
    assert module.caption == (
        "The module layer by layer, as the table builds it: 1×1 convolutions reduce the input "
        "before the 3×3 and 5×5 convolutions and project the pooled input."
    )


def test_a_naive_module_asked_for_is_drawn_once(tiny):
    names = [
        f.name for f in documentation_set(tiny.spec, "dot", module="stage1_a", run_profile=False)
    ]
    assert names == ["network.dot", "stage1_a.dot", "table.md", "memory.md", "index.md"]


# -- advice that names only what exists ----------------------------------------------------------


def _advice(spec, size: int = 64) -> str:
    with pytest.raises(InputSizeError) as caught:
        infer_shapes(spec, size)
    return str(caught.value)


def test_a_table_without_variants_is_not_told_to_use_one(tiny):
    message = _advice(tiny.spec)
    assert "--variant" not in message and "torchvision" not in message
    assert "use the table's own input size (32)" in message


def test_a_table_is_told_of_its_own_variant_that_pools_adaptively(tmp_path):
    path = _tiny(tmp_path, extra=ADAPTIVE_VARIANTS)
    spec = load_spec(path, "plain")
    assert spec.adaptive_variants == ("adaptive",)
    message = _advice(spec)
    assert "(--variant adaptive)" in message and "torchvision" not in message
    infer_shapes(load_spec(path, "adaptive"), 64)  # which does take 64×64
    message = _advice(with_fc_head(load_spec(path, "adaptive")))
    assert "--variant" not in message and "what-ifs" in message


def test_the_bundled_table_is_still_told_of_torchvision():
    spec = load_spec(variant="paper")
    assert spec.adaptive_variants == ("torchvision",)
    message = _advice(spec, 320)
    assert "(--variant torchvision)" in message
