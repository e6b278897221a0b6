"""Number formatting for people: the only place where raw integers become ``6.62M``."""

from __future__ import annotations

from decimal import Decimal

__all__ = ["STATUS_MARKS", "binary_bytes", "grouped", "si", "signed", "significant", "singular"]

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
