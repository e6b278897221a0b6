"""The paper's notations: patch sizes ("7×7/2"), output sizes ("112×112×64"), counts ("2.7K")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from gnet_inspect.spec.limits import MAX_UNITS, shown

__all__ = [
    "PrintedCount",
    "Size",
    "Window",
    "parse_count",
    "parse_kernel",
    "parse_padding",
    "parse_size",
    "parse_window",
]

_TIMES = "[×xX*]"
_WINDOW = re.compile(rf"^\s*(\d+)\s*{_TIMES}\s*(\d+)\s*(?:/\s*(\d+))?\s*$")
_PAIR = re.compile(rf"^\s*(\d+)\s*{_TIMES}\s*(\d+)\s*$")
_SIZE = re.compile(rf"^\s*(\d+)\s*{_TIMES}\s*(\d+)\s*{_TIMES}\s*(\d+)\s*$")
_COUNT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMG]?)\s*$")
_SUFFIXES = ("", "K", "M", "G")
_COUNT_DIGITS = 15


@dataclass(frozen=True)
class Window:
    """A square window: kernel size and stride (``3×3/2``)."""

    kernel: int
    stride: int

    def __str__(self) -> str:
        return f"{self.kernel}×{self.kernel}/{self.stride}"


@dataclass(frozen=True)
class Size:
    """An activation size as the paper prints it: height × width × channels."""

    height: int
    width: int
    channels: int

    def __str__(self) -> str:
        return f"{self.height}×{self.width}×{self.channels}"


@dataclass(frozen=True)
class PrintedCount:
    """A count as printed, such as ``2.7K``: its digits, its suffix and so its precision."""

    text: str
    digits: Decimal
    suffix: str

    def value(self, base: int) -> Decimal:
        """The count in units, where the suffix K means ``base`` (1000 or 1024) and so on."""
        return self.digits * Decimal(base) ** _SUFFIXES.index(self.suffix)

    def last_digit(self, base: int) -> Decimal:
        """The size of one unit in the last printed digit, in units (``2.7K`` → 0.1 K)."""
        exponent = self.digits.as_tuple().exponent
        assert isinstance(exponent, int)
        return Decimal(10) ** exponent * Decimal(base) ** _SUFFIXES.index(self.suffix)


def parse_window(text: str) -> Window:
    """Reads ``7×7/2`` (stride 1 when no ``/s``); raises ValueError on anything else."""
    height, width, stride = parse_kernel(text)
    if height != width:
        raise ValueError(f"expected a square patch, got {shown(text)}")
    return Window(height, stride)


def parse_kernel(text: str) -> tuple[int, int, int]:
    """Reads ``1×7`` or ``3×3/2`` as (height, width, stride), stride 1 when no ``/s``;
    raises ValueError on anything else."""
    match = _WINDOW.match(text)
    if not match:
        raise ValueError(f"expected a patch size like '3×3/2' or '1×7', got {shown(text)}")
    height, width = _whole(match[1], text), _whole(match[2], text)
    stride = _whole(match[3] or "1", text)
    if min(height, width, stride) < 1:
        raise ValueError(f"expected a positive patch size and stride, got {shown(text)}")
    return height, width, stride


def parse_padding(text: str) -> tuple[int, int]:
    """Reads a padding ``0×3`` as (height, width); raises ValueError on anything else."""
    match = _PAIR.match(text)
    if not match:
        raise ValueError(f"expected a padding like 1 or '0×3' (height × width), got {shown(text)}")
    return _whole(match[1], text), _whole(match[2], text)


def parse_size(text: str) -> Size:
    """Reads ``112×112×64``; raises ValueError on anything else."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"expected an output size like '28×28×256', got {shown(text)}")
    size = Size(_whole(match[1], text), _whole(match[2], text), _whole(match[3], text))
    if min(size.height, size.width, size.channels) < 1:
        raise ValueError(f"expected positive sizes, got {shown(text)}")
    return size


def parse_count(text: str) -> PrintedCount:
    """Reads ``2.7K``, ``360M``, ``1.5G`` or a plain integer; raises ValueError otherwise."""
    match = _COUNT.match(text)
    if not match:
        raise ValueError(f"expected a count like '2.7K' or '34M', got {shown(text)}")
    if len(match[1].replace(".", "")) > _COUNT_DIGITS:
        raise ValueError(f"expected a count of at most {_COUNT_DIGITS} digits, got {shown(text)}")
    return PrintedCount(text.strip(), Decimal(match[1]), match[2])


def _whole(digits: str, text: str) -> int:
    """One number of a patch or size, at most MAX_UNITS (checked before it is converted)."""
    significant = digits.lstrip("0") or "0"
    if len(significant) > len(str(MAX_UNITS)) or int(significant) > MAX_UNITS:
        raise ValueError(f"expected sizes of at most {MAX_UNITS:,}, got {shown(text)}")
    return int(significant)
