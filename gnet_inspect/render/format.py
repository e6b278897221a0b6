"""Number formatting for people: the only place where raw integers become ``6.62M``."""

from __future__ import annotations

import unicodedata
from decimal import Decimal

__all__ = [
    "ASCII_FALLBACKS",
    "STATUS_MARKS",
    "ascii_fallback",
    "binary_bytes",
    "grouped",
    "si",
    "signed",
    "significant",
    "singular",
]

STATUS_MARKS = {"match": "✓", "close": "≈", "differs": "✗"}
_SI = ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K"))


def grouped(value: int) -> str:
    """``6998552`` → ``6,998,552``."""
    return f"{value:,}"


def si(value: float) -> str:
    """``1582671872`` → ``1.58G`` (powers of 1000, three significant digits)."""
    for scale, suffix in _SI:
        if abs(value) >= scale:
            return f"{significant(Decimal(value) / scale)}{suffix}"
    return significant(Decimal(value))


def significant(value: Decimal, digits: int = 4) -> str:
    """A number with at most ``digits`` significant digits and no trailing zeros."""
    if value == 0:
        return "0"
    text = f"{value:.{digits}g}"
    if "e" in text:
        text = f"{value:.0f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def signed(value: Decimal, suffix: str) -> str:
    """A difference with its sign: ``+6.488K``, ``−0.3384M``, ``0``."""
    if value == 0:
        return "0"
    sign = "+" if value > 0 else "−"
    return f"{sign}{significant(abs(value), 3)}{suffix}"


_SINGULAR = {"stages": "stage", "modules": "module", "branches": "branch", "layers": "layer"}


_BINARY = ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB"))


def binary_bytes(value: int) -> str:
    """``53513120`` → ``51.03 MiB`` (powers of 1024, four significant digits)."""
    for scale, suffix in _BINARY:
        if abs(value) >= scale:
            return f"{significant(Decimal(value) / scale)} {suffix}"
    return f"{value} B"


def singular(level: str) -> str:
    """A depth level as a noun for one entry: ``branches`` → ``branch``."""
    return _SINGULAR.get(level, level)


# How a character is written where the output's encoding cannot carry it (an ASCII or Latin-1
# terminal): always one character for one, since a grid's columns (and the ellipsis rich
# puts in a cell it cuts) depend on it.
ASCII_FALLBACKS = {
    STATUS_MARKS["match"]: "+",
    STATUS_MARKS["close"]: "~",
    STATUS_MARKS["differs"]: "x",
    "×": "x",
    "÷": "/",
    "−": "-",
    "–": "-",
    "—": "-",
    "·": "-",
    "…": ".",
    "→": ">",
    "‖": "|",
    "Δ": "d",
}


def ascii_fallback(char: str) -> str:
    """``char`` in ASCII: ``×`` as ``x``, the marks ✓ ≈ ✗ as ``+ ~ x``, box drawing as
    ``- | +``, a letter without its accent, anything else as ``?``."""
    if char in ASCII_FALLBACKS:
        return ASCII_FALLBACKS[char]
    if "\u2500" <= char <= "\u257f":  # box drawing, as rich draws a table's grid
        name = unicodedata.name(char, "")
        if "HORIZONTAL" in name and "VERTICAL" not in name:
            return "-"
        if "VERTICAL" in name and "HORIZONTAL" not in name:
            return "|"
        return "+"
    plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode("ascii")
    return plain[0] if plain and plain[0].isprintable() else "?"  # one for one, as above
