"""How long drawing from a saved profile takes: each picture in a fresh process, side by side.

A profile of the paper's network is saved once (``profile --format json``); then, interleaved
round by round so that a busy moment on a shared machine hits every command alike, each
picture is drawn from it in a fresh process, as a user would a day later. Printed: medians,
spreads, and ratios to ``python -c "import matplotlib.figure"`` (what any matplotlib chart
costs before drawing anything). Limit: each under one second.

Usage: python bench/chart_speed.py [--rounds N] [--result FILE]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
LIMIT_S = 1.0


def _seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--result", type=Path, default=None, help="a saved profile to draw")
    args = parser.parse_args()
    tool = str(BIN / "gnet-inspect")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        result = args.result or out / "result.json"
        if args.result is None:
            subprocess.run(
                [tool, "profile", "--repeats", "20", "--format", "json", "-o", str(result)],
                check=True,
            )
        commands = {
            'python -c "import matplotlib.figure"': [
                sys.executable,
                "-c",
                "import matplotlib.figure",
            ],
            "chart (shares, svg)": [tool, "chart", str(result), "-o", str(out / "s.svg")],
            "chart --kind roofline (svg)": [
                tool,
                "chart",
                str(result),
                "--kind",
                "roofline",
                "-o",
                str(out / "r.svg"),
            ],
            "chart (shares, png)": [tool, "chart", str(result), "-o", str(out / "s.png")],
            "diagram --result (svg, by latency)": [
                tool,
                "diagram",
                "--result",
                str(result),
                "-o",
                str(out / "d.svg"),
            ],
        }
        for command in commands.values():  # warm the page cache, .pyc files, font cache
            _seconds(command)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.rounds):
            for name, command in commands.items():
                times[name].append(_seconds(command))
    median = {name: statistics.median(values) for name, values in times.items()}
    base = median['python -c "import matplotlib.figure"']
    import torch

    from gnet_inspect.reports.profile.placement import device_name

    print(f"machine: {device_name(torch.device('cpu'))}, torch {torch.__version__}")
    print(f"rounds: {args.rounds} (interleaved; medians, min–max)")
    ok = True
    for name, value in median.items():
        spread = f"{min(times[name]):.2f}–{max(times[name]):.2f}"
        within = name == 'python -c "import matplotlib.figure"' or value < LIMIT_S
        ok &= within
        flag = "" if name.startswith("python") else ("  ok" if within else "  OVER 1 s")
        print(f"  {name:40s} {value:5.2f} s  ({spread})  {value / base:4.2f}× import{flag}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
