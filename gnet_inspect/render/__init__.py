"""The render layer: every report turned into text, tables and figures.

The kit: ``view`` (what a command hands to the output step), ``columns``, ``console`` (rich
grids), ``export`` (CSV, JSON, Markdown) and ``format`` (the only place numbers become
``6.62M``). One renderer per report: ``table_view`` (with ``table_layout``), ``flops_view``,
``profile_view``, ``diagram`` (graphviz, with ``diagram_labels``). ``figure`` resolves a
figure's options, ``docs`` assembles the documentation set.

Layer rule: may import every layer below (``errors``, ``spec``, ``model``, ``measure``,
``reports``); never ``cli``. Nothing here prints or writes a file.
"""
