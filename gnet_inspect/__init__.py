"""gnet-inspect: GoogLeNet's Table 1 as a real PyTorch network, measured and reconciled.

The public API is re-exported here and imported on first use, so ``import gnet_inspect``
stays light (no torch until a function that needs it is called)::

    import gnet_inspect as gi

    spec = gi.load_spec(variant="caffe")         # the bundled Table 1, Caffe's replication
    model = gi.build_model(spec)                  # a real nn.Module, submodules named by row id
    measured = gi.measure(spec)                   # the one build-and-measure path
    report = gi.table_report(measured)            # measured beside the printed numbers
    frame = report.to_frame()                     # the same records as a pandas DataFrame
    naive = gi.without_reductions(spec)           # Figure 2(a) everywhere (spec -> spec)
    pair = gi.compare_networks(measured, gi.measure(naive), "modules")
    series = gi.lineage(["googlenet", "inception-v3"])  # the generations side by side
"""

from __future__ import annotations

from gnet_inspect.starting import hold_signals_while_starting

hold_signals_while_starting()  # first: a Ctrl-C while the console script starts is one line

from importlib import import_module  # noqa: E402
from typing import Any  # noqa: E402

# Every public name and the module it lives in: the one list (``__all__`` is its keys).
_HOMES = {
    "GnetInspectError": "gnet_inspect.errors",
    "Measurement": "gnet_inspect.measure.measure",
    "NetworkSpec": "gnet_inspect.spec.schema",
    "WHATIFS": "gnet_inspect.spec.whatifs",
    "apply_whatifs": "gnet_inspect.spec.whatifs",
    "break_down": "gnet_inspect.reports.flops",
    "build_model": "gnet_inspect.model",
    "compare_networks": "gnet_inspect.reports.flops_compare",
    "diagram_graph": "gnet_inspect.reports.diagram.graph",
    "documentation_set": "gnet_inspect.render.docs",
    "draw_figure": "gnet_inspect.render.figure",
    "figure_request": "gnet_inspect.render.figure",
    "LineageTiming": "gnet_inspect.reports.lineage.compare",
    "lineage": "gnet_inspect.reports.lineage.compare",
    "list_variants": "gnet_inspect.spec.loader",
    "load_spec": "gnet_inspect.spec.loader",
    "measure": "gnet_inspect.measure.measure",
    "profile_latency": "gnet_inspect.reports.profile.latency",
    "profile_training": "gnet_inspect.reports.profile.step",
    "table_report": "gnet_inspect.reports.table",
    "with_ch5x5_kernel": "gnet_inspect.spec.whatifs",
    "with_fc_head": "gnet_inspect.spec.whatifs",
    "with_separable_conv1": "gnet_inspect.spec.whatifs",
    "without_aux_heads": "gnet_inspect.spec.whatifs",
    "without_reductions": "gnet_inspect.spec.whatifs",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'gnet_inspect' has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
