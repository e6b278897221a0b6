"""The bounds a table's values are held to, and how a value is shown in an error message.

A table describes a network that gets built, so every number in it has a sane range: widths,
windows and sizes are at most ``MAX_UNITS``, real-valued parameters are finite and at most
``MAX_REAL``, and a table file is at most ``MAX_TABLE_BYTES`` (the bundled one is about 9 KB).
Whether a network within these bounds fits in memory is the measuring step's to check.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "MAX_FORK_DEPTH",
    "MAX_MODULE_LAYERS",
    "MAX_NUMBER_CHARS",
    "MAX_REAL",
    "MAX_REPEATS",
    "MAX_TABLE_BYTES",
    "MAX_UNITS",
    "shown",
]

MAX_UNITS = 2**20
"""The most channels, features, pixels, kernel size, stride, grid, depth multiplier or depth."""

MAX_FORK_DEPTH = 8
"""The deepest a fork may sit inside forks (Inception-v3's 8×8 module has one level)."""

MAX_MODULE_LAYERS = 1000
"""The most layers one module may have, forks' included (YAML aliases can repeat a branch
many times over in a few bytes)."""

MAX_REPEATS = 100
"""The most times one row may be repeated (Inception-ResNet-v2's released network repeats its
17×17 module 20 times)."""

MAX_REAL = 1e6
"""The largest loss weight or LRN parameter."""

MAX_TABLE_BYTES = 2**20
"""The largest table file read (1 MiB)."""

MAX_NUMBER_CHARS = 32
"""The longest text read as a whole number; a longer one is never converted, so no message
ever turns a number of thousands of digits back into text (Python refuses to, past 4,300)."""

_SHOWN_CHARS = 40


def shown(value: Any) -> str:
    """``value`` for an error message, never longer than about 60 characters: a long text is
    cut (saying how long it was), a huge number is described by its size."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        if value.bit_length() <= 100:
            return str(value)
        return f"a number of about {value.bit_length() * 3 // 10 + 1:,} digits"
    if isinstance(value, float):
        return repr(value)
    if not isinstance(value, str):
        return type(value).__name__
    if len(value) <= _SHOWN_CHARS:
        return repr(value)
    return f"{value[:_SHOWN_CHARS]!r}… ({len(value):,} characters)"
