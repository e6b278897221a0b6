"""What the fidelity benches share: their command line and the record of where they ran."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

import torch

from gnet_inspect.reports.profile.placement import device_name

__all__ = ["arguments", "environment", "machine_line"]


def arguments(description: str, warmup: int, repeats: int, pairs: int) -> argparse.Namespace:
    """The benches' options, with each bench's own defaults for its counts."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32", choices=["float32", "float16", "bfloat16"])
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--input-size", type=int, default=224)
    parser.add_argument("--warmup", type=int, default=warmup)
    parser.add_argument("--repeats", type=int, default=repeats)
    parser.add_argument("--runs", type=int, default=3, help="profiles for repeatability")
    parser.add_argument("--speed-pairs", type=int, default=pairs, help="interleaved pairs")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--out", type=Path, default=None)
    return parser.parse_args()


def environment(device: torch.device, args: argparse.Namespace) -> dict[str, Any]:
    """Where and how a bench ran: the machine, torch, the load, the options, the time."""
    return {
        "device": str(device),
        "device_name": device_name(device),
        "cpu": device_name(torch.device("cpu")),
        "cpu_cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "load_average_1min": os.getloadavg()[0],
        "dtype": args.dtype,
        "batch_size": args.batch_size,
        "input_size": args.input_size,
        "warmup": args.warmup,
        "repeats": args.repeats,
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
    }


def machine_line(env: dict[str, Any]) -> str:
    """The Markdown line naming the machine of ``environment``."""
    return (
        f"- Machine: {env['cpu']}, {env['cpu_cores']} cores, torch {env['torch']} "
        f"({env['torch_threads']} threads), CUDA {env['cuda']}; 1-min load average "
        f"{env['load_average_1min']:.2f} at the start; {env['date']}.\n"
    )
