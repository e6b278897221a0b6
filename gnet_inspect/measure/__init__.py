"""The measure layer: the one build-and-measure path and what it counts.

``measure`` builds a spec (or takes a built network), checks that it fits in memory, traces
it once and returns a Measurement: parameters (``params``), MACs and other ops (``macs``),
output sizes, the traced graph (``trace``) and depth (``depth``). ``levels`` is the one
vocabulary of granularity (stages, modules, branches, layers, operations) and of layer kinds
that every report and command speaks.

Layer rule: may import ``errors``, ``spec`` and ``model``; never ``reports``, ``render`` or
``cli``.
"""
