"""How long the CLI takes, as ratios to importing torch and fvcore, measured side by side.

Runs each command in a fresh process, interleaved round by round so that a busy moment on a
shared machine hits every command alike, and prints medians and ratios:

* ``gnet-inspect --help`` must answer in well under half a second (it imports no torch);
* ``gnet-inspect table`` must cost at most 1.3× ``python -c "import torch, fvcore"``;
* ``gnet-inspect flops --reduce off --compare`` (two networks, one of 12.6 GMACs) against
  ``table``;
* ``gnet-inspect memory`` (and ``flops --pass train``) at most 1.5× ``table``;
* ``table`` and ``flops`` on each of the other bundled tables (BN-Inception, Inception-v3,
  Inception-v4, Inception-ResNet-v2)
  against GoogLeNet's, beside the ratio of their networks' sizes (multiply-adds and modules
  measured): a table costs what its network does, not more.

Usage: python bench/cli_speed.py [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from gnet_inspect.spec.loader import bundled_tables

BIN = Path(sys.executable).parent
COMMANDS = {
    "import torch, fvcore": [sys.executable, "-c", "import torch, fvcore"],
    "gnet-inspect --help": [str(BIN / "gnet-inspect"), "--help"],
    "gnet-inspect table": [str(BIN / "gnet-inspect"), "table"],
    "gnet-inspect flops --reduce off --compare": [
        str(BIN / "gnet-inspect"),
        "flops",
        "--reduce",
        "off",
        "--compare",
    ],
    "gnet-inspect memory": [str(BIN / "gnet-inspect"), "memory"],
    "gnet-inspect flops --pass train": [str(BIN / "gnet-inspect"), "flops", "--pass", "train"],
    "gnet-inspect flops": [str(BIN / "gnet-inspect"), "flops"],
}
OTHER_TABLES = bundled_tables()[1:]  # GoogLeNet's is the base
for _name in OTHER_TABLES:
    for _command in ("table", "flops"):
        COMMANDS[f"gnet-inspect {_command} --table {_name}"] = [
            str(BIN / "gnet-inspect"),
            _command,
            "--table",
            _name,
        ]


def seconds(command: list[str]) -> float:
    """How long ``command`` takes in a fresh process, its output discarded."""
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def machine() -> str:
    """The machine a bench ran on (CPU, cores, Python, torch), for its record."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text().splitlines()
            if line.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    import torch

    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"torch {torch.__version__}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    if shutil.which("gnet-inspect", path=str(BIN)) is None:
        sys.exit(f"gnet-inspect is not installed next to {sys.executable}")
    for command in COMMANDS.values():  # warm the page cache and the .pyc files
        seconds(command)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.rounds):
        for name, command in COMMANDS.items():
            times[name].append(seconds(command))
    median = {name: statistics.median(values) for name, values in times.items()}
    base = median["import torch, fvcore"]
    print(f"machine: {machine()}")
    print(f"rounds: {args.rounds} (interleaved; medians)")
    for name, value in median.items():
        spread = f"{min(times[name]):.2f}–{max(times[name]):.2f}"
        print(f"  {name:45s} {value:6.2f} s  ({spread})  {value / base:5.2f}× import")
    table = median["gnet-inspect table"]
    flops = median["gnet-inspect flops --reduce off --compare"]
    print(f"table / import torch, fvcore: {table / base:.2f}  (limit 1.30)")
    print(f"help: {median['gnet-inspect --help']:.2f} s  (limit: well under 0.5 s)")
    print(f"flops --reduce off --compare / table: {flops / table:.2f}")
    print(f"memory / table: {median['gnet-inspect memory'] / table:.2f}  (limit 1.50)")
    print(f"flops --pass train / table: {median['gnet-inspect flops --pass train'] / table:.2f}")
    sizes = _sizes()
    for name in OTHER_TABLES:
        for command in ("table", "flops"):
            ours = median[f"gnet-inspect {command} --table {name}"]
            theirs = median[f"gnet-inspect {command}"]
            print(
                f"{command} --table {name} / {command} (googlenet): {ours / theirs:.2f}  "
                f"(its network: {sizes[name] / sizes['googlenet']:.2f}× the MACs)"
            )


def _sizes() -> dict[str, int]:
    """Each bundled table's multiply-adds, measured (the work a command on it does)."""
    from gnet_inspect.measure.measure import measure
    from gnet_inspect.spec.loader import load_spec, named_table

    return {
        name: sum(row.macs for row in measure(load_spec(named_table(name))).rows)
        for name in ("googlenet", *OTHER_TABLES)
    }


if __name__ == "__main__":
    main()
