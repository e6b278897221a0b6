"""The documentation set: the figures and Markdown tables a write-up of a network needs.

Everything comes from one build and measurement of the network (a second one for the module
without reductions), so the figures and the table carry the same numbers. The set is returned
as data, file name by file name; writing it is the caller's.
"""

from __future__ import annotations

from dataclasses import dataclass

from gnet_inspect.measure.measure import Measurement, measure
from gnet_inspect.render.diagram import DiagramFormat, DiagramStyle, render_diagram, require_dot
from gnet_inspect.render.flops_view import side_by_side_markdown
from gnet_inspect.render.table_view import to_markdown
from gnet_inspect.reports.diagram.graph import diagram_graph
from gnet_inspect.reports.flops_compare import compare_networks
from gnet_inspect.reports.table import table_report
from gnet_inspect.spec.schema import InceptionRow, NetworkSpec
from gnet_inspect.spec.whatifs import without_reductions

__all__ = ["INDEX", "REDUCTIONS", "TABLE", "DocFile", "documentation_set"]

INDEX = "index.md"
TABLE = "table.md"
REDUCTIONS = "reductions.md"
_SAVINGS = "What the 1×1 reductions save, module by module"
_STYLE = DiagramStyle()


@dataclass(frozen=True)
class DocFile:
    """One file of the set: its name in the folder, its bytes, a title and what it shows."""

    name: str
    data: bytes
    title: str
    caption: str = ""


def documentation_set(
    spec: NetworkSpec,
    format: DiagramFormat = "svg",
    module: str | None = None,
    input_size: int | None = None,
) -> tuple[DocFile, ...]:
    """Renders the whole network, one Inception module with and without its reductions, the
    reproduced Table 1 and (for an Inception module) what the reductions save, both in
    Markdown, and an index page that shows them all.

    Args:
        spec: the network.
        format: the figures' format (svg, png, pdf or dot).
        module: the module drawn in detail; the first Inception module by default. A module
            that is no Inception row is drawn once, without the naive variant.
        input_size: the input size the network is measured at (the table's own by default).

    Raises:
        OptionError: ``module`` names no module of the network.
        RenderError: graphviz's ``dot`` is missing (checked before anything is built) or fails.
    """
    require_dot(format)
    measured = measure(spec, input_size)
    figure = _Figures(format)
    figures = [figure.network(spec, measured)]
    tables: list[DocFile] = []
    module = module or next((r.id for r in spec.rows if isinstance(r, InceptionRow)), None)
    if module is not None:
        figures.append(figure.module(spec, measured, module))
        if _reduced(spec, module):
            naive = measure(without_reductions(spec), input_size)
            figures.append(figure.naive(naive, module))
            tables.append(_savings(measured, naive))
    table = to_markdown(table_report(measured))
    index = _index(spec, measured.input_size, figures, [table, *(t.data.decode() for t in tables)])
    return (
        *figures,
        DocFile(TABLE, table.encode(), "Table 1 reproduced"),
        *tables,
        DocFile(INDEX, index.encode(), "Figures and Table 1"),
    )


@dataclass(frozen=True)
class _Figures:
    """The set's figures, each a DocFile named ``<what>.<format>`` with its title and caption."""

    format: DiagramFormat

    def network(self, spec: NetworkSpec, measured: Measurement) -> DocFile:
        data = self._draw(measured, None)
        return DocFile(f"network.{self.format}", data, "The whole network", _network_caption(spec))

    def module(self, spec: NetworkSpec, measured: Measurement, module: str) -> DocFile:
        data = self._draw(measured, module)
        if _reduced(spec, module):
            return DocFile(f"{module}.{self.format}", data, f"`{module}`, Figure 2(b)", _REDUCED)
        return DocFile(f"{module}.{self.format}", data, f"`{module}`", _LAYERS)

    def naive(self, measured: Measurement, module: str) -> DocFile:
        data = self._draw(measured, module)
        title = f"`{module}` without reductions, Figure 2(a)"
        return DocFile(f"{module}-naive.{self.format}", data, title, _NAIVE)

    def _draw(self, measured: Measurement, module: str | None) -> bytes:
        graph = diagram_graph(measured, module=module)
        return render_diagram(graph, self.format, _STYLE)


def _savings(measured: Measurement, naive: Measurement) -> DocFile:
    """What the reductions save, module by module, in Markdown."""
    pair = compare_networks(measured, naive, "modules")
    return DocFile(REDUCTIONS, side_by_side_markdown(pair).encode(), _SAVINGS)


def _reduced(spec: NetworkSpec, module: str) -> bool:
    """Whether ``module`` is an Inception row with its 1×1 reductions (Figure 2(b))."""
    row = next((r for r in spec.rows if r.id == module), None)
    return isinstance(row, InceptionRow) and not row.naive


_LAYERS = "The module layer by layer, between the rows it reads and feeds (dashed)."
_REDUCED = (
    "The module layer by layer, as Table 1 builds it: 1×1 convolutions reduce the input before "
    "the 3×3 and 5×5 convolutions and project the pooled input."
)
_NAIVE = (
    "The same module without the 1×1 reductions (`--reduce off`): every convolution reads the "
    "module's whole input and the pool branch passes all of its channels on, so the output "
    "grows from module to module."
)


def _network_caption(spec: NetworkSpec) -> str:
    heads = " and ".join(f"`{head.id}`" for head in spec.aux_heads)
    aux = f"; the auxiliary classifiers {heads} (dashed) run in training only" if heads else ""
    return f"One node per row of Table 1{aux}."


def _index(spec: NetworkSpec, size: int, figures: list[DocFile], tables: list[str]) -> str:
    lines = [
        f"# {spec.name} ({spec.label}): figures and Table 1",
        "",
        f"Drawn from the built network by `gnet-inspect docs` at input {size}×{size}: every "
        "output shape, parameter count (biases included) and MAC count on a figure is measured, "
        "the same numbers as `gnet-inspect table`.",
        "",
    ]
    for figure in figures:
        alt = figure.title.replace("`", "")
        lines += [f"## {figure.title}", "", f"![{alt}]({figure.name})", "", figure.caption, ""]
    lines += ["## Table 1 reproduced", "", tables[0]]
    lines += [part for extra in tables[1:] for part in ("## What the reductions save", "", extra)]
    return "\n".join(lines).rstrip("\n") + "\n"
