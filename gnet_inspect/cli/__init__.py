"""The ``gnet-inspect`` command line: thin commands over the library, one output step each."""

from gnet_inspect.cli.main import app, main

__all__ = ["app", "main"]
