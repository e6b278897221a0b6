"""The spec layer: a table file (YAML) parsed into a typed, frozen NetworkSpec, and what-ifs.

Schema (``schema``), the bounds every value is held to (``limits``), the paper's notations
(``notation``), strict reading of a table file (``yaml_source``), rows (``rows``), variant
overlays (``variants``), the loader (``loader``), shape arithmetic (``shapes``) and what-ifs as
spec → spec transforms (``whatifs``).

Layer rule: imports only ``gnet_inspect.errors``, the standard library and PyYAML; never torch
(``load_spec`` must stay fast and usable where torch is not imported). Checked by
import-linter (``make lint``) and by a test.
"""
