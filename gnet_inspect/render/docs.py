"""The documentation set: the figures and Markdown tables a write-up of a network needs.

Every title and caption says only what is true of the table drawn: its own name for its table
(``printed_table``), and of a module the reductions it has.

Everything comes from one build and measurement of the network (a second one for the module
without reductions), so the figures and the table carry the same numbers. The set is returned
as data, file name by file name; writing it is the caller's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from gnet_inspect.errors import OptionError
from gnet_inspect.measure.measure import Measurement, measure
from gnet_inspect.render.chart_kit import CHART_FORMATS, ChartFormat, pick_chart_format
from gnet_inspect.render.chart_lineage import draw_errors, draw_stages
from gnet_inspect.render.chart_roofline import draw_roofline
from gnet_inspect.render.chart_shares import draw_shares
from gnet_inspect.render.diagram import DiagramFormat, DiagramStyle, render_diagram, require_dot
from gnet_inspect.render.diagram_shading import shade
from gnet_inspect.render.flops_view import side_by_side_markdown
from gnet_inspect.render.format import singular
from gnet_inspect.render.lineage_view import lineage_markdown
from gnet_inspect.render.memory_view import memory_markdown
from gnet_inspect.render.table_layout import printed_table
from gnet_inspect.render.table_view import to_markdown
from gnet_inspect.reports.diagram.graph import diagram_graph
from gnet_inspect.reports.flops_compare import compare_networks
from gnet_inspect.reports.lineage.result import Lineage
from gnet_inspect.reports.memory import memory_report
from gnet_inspect.reports.profile.latency import profile_latency
from gnet_inspect.reports.profile.result import LatencyProfile
from gnet_inspect.reports.profile.saved import check_same_table
from gnet_inspect.reports.table import table_report
from gnet_inspect.spec.schema import InceptionRow, ModuleRow, NetworkSpec
from gnet_inspect.spec.whatifs import has_reductions, without_reductions

__all__ = ["DOCS_PROFILE", "INDEX", "MEMORY", "REDUCTIONS", "TABLE", "DocFile", "documentation_set"]

INDEX = "index.md"
TABLE = "table.md"
REDUCTIONS = "reductions.md"
MEMORY = "memory.md"
LINEAGE = "lineage.md"
_SAVINGS = "What the 1×1 reductions save, module by module"
_STYLE = DiagramStyle()
DOCS_PROFILE = (3, 20)
"""The profile ``docs`` runs for its pictures when given none (warm-up and timed passes):
short, on the CPU, batch 1."""


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
    profile: LatencyProfile | None = None,
    run_profile: bool = True,
    lineage: Lineage | None = None,
) -> tuple[DocFile, ...]:
    """Renders the whole network, one Inception module with and without its reductions, the
    reproduced table and (for an Inception module with a reduction) what the reductions save,
    both in Markdown, the pictures of a latency profile (where the cost goes, the roofline
    and the network coloured by latency), and an index page that shows them all.

    Args:
        spec: the network.
        format: the figures' format (svg, png, pdf or dot).
        module: the module drawn in detail; by default the first Inception row with a 1×1
            reduction (else the first Inception row). A module that is no Inception row, or
            has no reduction, is drawn once, without the naive variant and the savings.
        input_size: the input size the network is measured at (the table's own by default).
        profile: a saved latency profile of this table to draw (``saved.load_profile``).
        run_profile: without ``profile``, profile the network on this CPU (a short run:
            ``DOCS_PROFILE`` passes) for the pictures; False leaves them out.
        lineage: the generations side by side (``reports.lineage``), for a lineage page and
            its two charts; None leaves them out.

    Raises:
        OptionError: ``module`` names no module of the network.
        RenderError: graphviz's ``dot`` is missing (checked before anything is built) or fails.
        ResultError: ``profile`` profiled another table or input size.
    """
    require_dot(format)
    measured = measure(spec, input_size)
    modules = [row for row in spec.rows if isinstance(row, (InceptionRow, ModuleRow))]
    reduced = next((row.id for row in modules if _has_reductions(spec, row.id)), None)
    module = module or reduced or next((row.id for row in modules), None)
    figure = _Figures(format, spec)
    figures = [figure.network(measured)]
    tables: list[DocFile] = []
    if module is not None:
        figures.append(figure.module(measured, module))
        if _has_reductions(spec, module):
            naive = measure(without_reductions(spec), input_size)
            figures.append(figure.naive(naive, module))
            tables.append(_savings(measured, naive))
    what = _capitalised(printed_table(spec))
    table = DocFile(TABLE, to_markdown(table_report(measured)).encode(), f"{what} reproduced")
    tables = [table, *tables, *_memory(measured)]
    if profile is None and run_profile:
        warmup, repeats = DOCS_PROFILE
        profile = profile_latency(spec, measured.input_size, warmup=warmup, repeats=repeats)
    pictures = [] if profile is None else _pictures(measured, profile, format)
    figures += pictures
    if lineage is not None:
        charts, page = _lineage(lineage, format)
        figures += charts
        tables.append(page)
    index = _index(spec, measured.input_size, figures, tables)
    return (*figures, *tables, DocFile(INDEX, index.encode(), f"Figures and {printed_table(spec)}"))


@dataclass(frozen=True)
class _Figures:
    """The set's figures, each a DocFile named ``<what>.<format>`` with its title and caption."""

    format: DiagramFormat
    spec: NetworkSpec

    def network(self, measured: Measurement) -> DocFile:
        data = self._draw(measured, None)
        caption = _network_caption(self.spec)
        return DocFile(f"network.{self.format}", data, "The whole network", caption)

    def module(self, measured: Measurement, module: str) -> DocFile:
        data = self._draw(measured, module)
        name = f"{module}.{self.format}"
        row = _reduced_row(self.spec, module)
        if row is None:
            return DocFile(name, data, f"`{module}`", _LAYERS)
        if _REDUCTIONS.keys() <= _present(row):
            title = f"`{module}`, {_figure_2(self.spec, 'b')}"
        else:
            title = f"`{module}`, with {_and(_reductions(row))} only"
        return DocFile(name, data, title, _reduced_caption(row, printed_table(self.spec)))

    def naive(self, measured: Measurement, module: str) -> DocFile:
        data = self._draw(measured, module)
        shorthand = _reduced_row(self.spec, module) is not None
        title = f"`{module}` without reductions" + (
            f", {_figure_2(self.spec, 'a')}" if shorthand else " (`--reduce off`)"
        )
        return DocFile(f"{module}-naive.{self.format}", data, title, _NAIVE)

    def _draw(self, measured: Measurement, module: str | None) -> bytes:
        graph = diagram_graph(measured, module=module)
        return render_diagram(graph, self.format, _STYLE)


def _pictures(
    measured: Measurement, profile: LatencyProfile, format: DiagramFormat
) -> list[DocFile]:
    """Where the cost goes, the roofline and the network coloured by latency, for ``profile``
    (of this table: checked); charts in SVG when the figures are DOT source."""
    graph = diagram_graph(measured, profile.settings.depth)
    check_same_table(profile, graph, "--result")
    s = profile.settings
    where = f"{s.device} ({s.device_name}), {s.dtype}, batch {s.batch_size}"
    chart = _chart_format(format)
    style = replace(_STYLE, shading=shade(graph, "latency", profile))
    shares = DocFile(
        f"shares.{chart}",
        draw_shares(profile, chart),
        "Where the cost goes",
        f"Each {singular(s.depth)}'s share of the MACs, the parameters and the latency on "
        f"{where}; the auxiliary heads apart (training only).",
    )
    roofline = DocFile(
        f"roofline.{chart}",
        draw_roofline(profile, chart),
        "Roofline",
        f"Achieved FLOP/s against FLOPs per byte of least traffic on {where}, under the "
        "compute and bandwidth ceilings the tool measured there; red blocks are memory-bound.",
    )
    latency = DocFile(
        f"network-latency.{format}",
        render_diagram(graph, format, style),
        "The network coloured by latency",
        f"Each {singular(s.depth)}'s median latency on {where}.",
    )
    return [shares, roofline, latency]


def _chart_format(format: DiagramFormat) -> ChartFormat:
    """The charts' format for figures in ``format``: the same, or SVG beside DOT source."""
    return pick_chart_format(format if format in CHART_FORMATS else "svg")


def _lineage(lineage: Lineage, format: DiagramFormat) -> tuple[list[DocFile], DocFile]:
    """The lineage's two charts (SVG where the figures are DOT source) and its page."""
    chart = _chart_format(format)
    errors = DocFile(
        f"lineage-errors.{chart}",
        draw_errors(lineage, chart),
        "The lineage: printed error against measured cost",
        "Each generation's single-model error as its paper prints it, against the MACs "
        "measured on its built network" + (" and its measured latency." if lineage.timed else "."),
    )
    stages = DocFile(
        f"lineage-stages.{chart}",
        draw_stages(lineage, chart),
        "The lineage: multiply-adds by stage",
        "Each generation's MACs stacked by the grid size its stages output: the cost moves "
        "from the stem into the modules.",
    )
    page = DocFile(LINEAGE, lineage_markdown(lineage).encode(), "The Inception lineage")
    return [errors, stages], page


def _savings(measured: Measurement, naive: Measurement) -> DocFile:
    """What the reductions save, module by module, in Markdown."""
    pair = compare_networks(measured, naive, "modules")
    return DocFile(REDUCTIONS, side_by_side_markdown(pair).encode(), _SAVINGS)


def _has_reductions(spec: NetworkSpec, module: str) -> bool:
    """Whether ``module`` is a row that ``--reduce off`` changes."""
    row = next((r for r in spec.rows if r.id == module), None)
    return row is not None and has_reductions(row)


def _reduced_row(spec: NetworkSpec, module: str) -> InceptionRow | None:
    """``module``'s row if it is an Inception row with at least one 1×1 reduction."""
    row = next((r for r in spec.rows if r.id == module), None)
    return row if isinstance(row, InceptionRow) and not row.naive else None


# -- words ---------------------------------------------------------------------------------------

_REDUCTIONS = {"ch3x3red": "the 3×3 reduction", "ch5x5red": "", "pool_proj": "the pool projection"}


def _present(row: InceptionRow) -> set[str]:
    present = {"ch3x3red": row.ch3x3red, "ch5x5red": row.ch5x5red, "pool_proj": row.pool_proj}
    return {key for key, width in present.items() if width is not None}


def _kernel5(row: InceptionRow) -> str:
    """The "5×5" branch's convolution by its kernel (torchvision's is 3×3)."""
    k = row.ch5x5_kernel
    return "5×5" if k == 5 else f'{k}×{k} ("5×5" branch)'


def _reductions(row: InceptionRow) -> list[str]:
    """The reductions ``row`` has, in words."""
    words = {**_REDUCTIONS, "ch5x5red": f"the {_kernel5(row)} reduction"}
    return [words[key] for key in _REDUCTIONS if key in _present(row)]


def _reduced_caption(row: InceptionRow, table: str) -> str:
    """What the module's 1×1 convolutions do, and what its branches without one do instead:
    only what is true of this row."""
    present = _present(row)
    kernels = {"ch3x3red": "3×3", "ch5x5red": _kernel5(row)}
    reduced = [kernels[key] for key in kernels if key in present]
    whole = [kernels[key] for key in kernels if key not in present]
    one = len(present) == 1
    clauses = []
    if reduced:
        plural = "s" if len(reduced) > 1 else ""
        verb = "reduces" if one else "reduce"
        clauses.append(f"{verb} the input before the {_and(reduced)} convolution{plural}")
    if "pool_proj" in present:
        clauses.append("projects the pooled input" if one else "project the pooled input")
    subject = "a 1×1 convolution" if one else "1×1 convolutions"
    parts = [f"{subject} {' and '.join(clauses)}"]
    if whole:
        verb = "reads" if len(whole) == 1 else "read"
        plural = "s" if len(whole) > 1 else ""
        parts.append(f"the {_and(whole)} convolution{plural} {verb} the module's whole input")
    if "pool_proj" not in present:
        parts.append("the pool branch passes all of its channels on")
    return f"The module layer by layer, as {table} builds it: {'; '.join(parts)}."


def _figure_2(spec: NetworkSpec, panel: str) -> str:
    """Figure 2's panel: the paper's own in GoogLeNet's table, named as GoogLeNet's in another
    table (its Inception rows are that module, but its source has no such figure)."""
    return f"Figure 2({panel})" if spec.name == "GoogLeNet" else f"GoogLeNet's Figure 2({panel})"


def _and(words: list[str]) -> str:
    return " and ".join(words) if len(words) < 3 else f"{', '.join(words[:-1])} and {words[-1]}"


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


_LAYERS = "The module layer by layer, between the rows it reads and feeds (dashed)."
_NAIVE = (
    "The same module without the 1×1 reductions (`--reduce off`): every convolution reads the "
    "module's whole input and the pool branch passes all of its channels on, so the output "
    "grows from module to module."
)


def _network_caption(spec: NetworkSpec) -> str:
    heads = " and ".join(f"`{head.id}`" for head in spec.aux_heads)
    aux = f"; the auxiliary classifiers {heads} (dashed) run in training only" if heads else ""
    return f"One node per row of {printed_table(spec)}{aux}."


def _memory(measured: Measurement) -> list[DocFile]:
    """What inference and a training step keep in memory, by module, for one image and for a
    batch of 32; none for a network without class scores to train on."""
    try:
        reports = [memory_report(measured, "modules", batch_size=n) for n in (1, 32)]
    except OptionError:
        return []
    text = "\n".join(memory_markdown(report) for report in reports)
    return [DocFile(MEMORY, text.encode(), "Memory, inference and a training step")]


def _index(spec: NetworkSpec, size: int, figures: list[DocFile], tables: list[DocFile]) -> str:
    table = printed_table(spec)
    lines = [
        f"# {spec.name} ({spec.label}): figures and {table}",
        "",
        f"Drawn from the built network by `gnet-inspect docs` at input {size}×{size}: every "
        "output shape, parameter count (biases included) and MAC count on a figure is measured, "
        "the same numbers as `gnet-inspect table`.",
        "",
    ]
    for figure in figures:
        alt = figure.title.replace("`", "")
        lines += [f"## {figure.title}", "", f"![{alt}]({figure.name})", "", figure.caption, ""]
    for section in tables:
        lines += [f"## {section.title}", "", section.data.decode()]
    return "\n".join(lines).rstrip("\n") + "\n"
