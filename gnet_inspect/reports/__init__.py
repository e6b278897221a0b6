"""The reports layer: one module (or package) per command's result, as plain data.

``table`` (Table 1 reproduced), ``flops`` and ``flops_compare`` (breakdowns and what-ifs side
by side), ``diagram`` (the graph a figure draws), ``profile`` (latency per block). Each
returns frozen dataclasses of raw integers with ``records()`` and ``to_frame()``; none
formats a number or writes a file.

Layer rule: may import ``errors``, ``spec``, ``model`` and ``measure``; never ``render`` or
``cli``.
"""
