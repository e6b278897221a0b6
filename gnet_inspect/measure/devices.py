"""Which device and dtype a request names: ``cpu``, ``cuda`` or ``cuda:N``, checked to exist
here, and ``float32``, ``float16`` or ``bfloat16``.

Nothing falls back: CUDA asked for and missing is a DeviceError that says so. The profile
(``--device``), the memory report and its measured peak (``--measure``) resolve them here.
"""

from __future__ import annotations

from typing import Literal, get_args

import torch

from gnet_inspect.errors import DeviceError, OptionError

__all__ = ["DTYPES", "DtypeName", "resolve_device", "resolve_dtype"]

DtypeName = Literal["float32", "float16", "bfloat16"]
DTYPES: dict[str, torch.dtype] = {
    "float32": torch.float32,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
}


def resolve_dtype(name: str) -> torch.dtype:
    """The torch dtype called ``name``; OptionError for a name outside DTYPES."""
    if name not in DTYPES:
        raise OptionError(f"unknown dtype '{name}'; use {', '.join(get_args(DtypeName))}")
    return DTYPES[name]


def resolve_device(text: str, option: str = "--device") -> torch.device:
    """The device named ``cpu``, ``cuda`` or ``cuda:N``, checked to exist here.

    Raises:
        DeviceError: an unknown or unsupported device, or CUDA asked for where there is none.
    """
    try:
        device: torch.device | None = torch.device(text)
    except (RuntimeError, ValueError):
        device = None
    if device is None or device.type not in ("cpu", "cuda"):  # torch's others (mps, meta) too
        raise DeviceError(
            f"{option} {text}: unknown or unsupported device; use cpu, cuda or cuda:N"
        )
    if device.type == "cpu":
        return device
    if not torch.cuda.is_available():
        why = (
            f"this torch ({torch.__version__}) is built without CUDA"
            if torch.version.cuda is None
            else "no CUDA device or driver is visible"
        )
        raise DeviceError(
            f"{option} {text}: {why}; run on a machine with a CUDA GPU, or use {option} cpu"
        )
    count = torch.cuda.device_count()
    index = 0 if device.index is None else device.index
    if index >= count:
        raise DeviceError(
            f"{option} {text}: there are {count} CUDA device(s) here; "
            f"use cuda:0 to cuda:{count - 1}"
        )
    return torch.device("cuda", index)
