"""What ``gnet-inspect lineage`` costs against the per-table ``flops`` runs it replaces, measured
side by side.

Runs, in fresh processes interleaved round by round (a busy moment on a shared machine hits
both alike), ``gnet-inspect lineage`` over every bundled table (no ``--latency``) and one
``gnet-inspect flops --table NAME`` per bundled table, and prints the medians and the ratio
of the lineage to the sum of the flops runs. The limit: at most 1.0 (the lineage measures
each table once, in one process, and adds a training step's memory to what flops counts).

Usage: python bench/lineage_speed.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from cli_speed import machine, seconds  # the CLI bench's (bench/ is on the path)

from gnet_inspect.spec.loader import bundled_tables

BIN = Path(sys.executable).parent / "gnet-inspect"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    lineage = [str(BIN), "lineage"]
    flops = {name: [str(BIN), "flops", "--table", name] for name in bundled_tables()}
    seconds(lineage)  # warm the page cache and the .pyc files
    lineage_times: list[float] = []
    flops_times: dict[str, list[float]] = {name: [] for name in flops}
    for _ in range(args.rounds):
        lineage_times.append(seconds(lineage))
        for name, command in flops.items():
            flops_times[name].append(seconds(command))
    sums = [sum(times[i] for times in flops_times.values()) for i in range(args.rounds)]
    print(f"machine: {machine()}")
    print(f"rounds: {args.rounds} (interleaved; medians)")
    for name, times in flops_times.items():
        print(f"  gnet-inspect flops --table {name:22s} {statistics.median(times):6.2f} s")
    ours, theirs = statistics.median(lineage_times), statistics.median(sums)
    print(f"  sum of the flops runs                        {theirs:6.2f} s")
    print(f"  gnet-inspect lineage                         {ours:6.2f} s")
    print(f"lineage / sum of the flops runs: {ours / theirs:.2f}  (limit 1.00)")


if __name__ == "__main__":
    main()
