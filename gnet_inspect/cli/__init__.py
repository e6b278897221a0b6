"""The cli layer: the ``gnet-inspect`` command line, one module per command (``*_cmd``).

Each command parses its options, makes one call into the library and one output step
(``emit``). Choices and help come from the registries (variants from the table, what-ifs from
``spec.whatifs``, levels from ``measure.levels``). The top layer: may import every other.
"""

from gnet_inspect.cli.main import app, main

__all__ = ["app", "main"]
