"""How far the per-block profile can be trusted, and whether building from YAML costs speed.

Three measurements, printed as Markdown (and written under --out with the raw numbers):

1. Fidelity: the sum of the per-block medians against the end-to-end median, timed apart
   (floors: within 5% on a CPU, within 10% on a GPU at batch 32 or more), at row and branch
   depth.
2. Repeatability: the same profile run several times; each block's median across the runs.
3. Speed: the network built from the table against a hand-written PyTorch GoogLeNet of the
   same layers (bench/handwritten_googlenet.py, given the same weights and checked to compute
   the same outputs), timed in interleaved passes, alternating which runs first; the ratio of
   the medians and the spread of the per-pair ratios.

Usage: python bench/profile_fidelity.py [--device cuda] [--batch-size 32] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_setup import arguments, environment, machine_line
from contention import QUIET, uncontended
from handwritten_googlenet import HandwrittenGoogLeNet, copy_weights

from gnet_inspect.measure.devices import resolve_device
from gnet_inspect.model import build_model
from gnet_inspect.render.profile_view import profile_markdown
from gnet_inspect.reports.profile.latency import profile_latency
from gnet_inspect.reports.profile.result import LatencyProfile
from gnet_inspect.spec.loader import load_spec


def main() -> int:
    args = arguments(__doc__.split("\n")[0], 10, 100, 200)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    floor = 0.05 if device.type == "cpu" else 0.10
    spec = load_spec(variant="paper")
    model = build_model(spec)
    options = {
        "batch_size": args.batch_size,
        "device": str(device),
        "dtype": args.dtype,
        "warmup": args.warmup,
        "repeats": args.repeats,
    }
    env = environment(device, args)
    lines = [_heading(env, args)]
    results: dict[str, Any] = {"environment": env}

    log: list[str] = []

    def profile(depth: str, label: str) -> LatencyProfile:
        run = partial(profile_latency, model, args.input_size, depth=depth, **options)
        return uncontended(label, run, log)

    profiles = {d: profile(d, f"profile at {d} depth") for d in _DEPTHS}
    lines.append(_fidelity(profiles, floor, results))
    runs = [profiles["modules"]]
    runs += [profile("modules", f"repeat {i + 2} at modules depth") for i in range(args.runs - 1)]
    lines.append(_repeatability(runs, results))
    lines.append(uncontended("speed", lambda: _speed(model, device, args, results), log))
    lines.append("#### The per-block profile (first run, modules depth)\n\n" + _demote(runs[0]))
    lines.append("#### The per-block profile (branches depth)\n\n" + _demote(profiles["branches"]))
    lines.append(
        "#### Contention guard\n\nEach measurement waits for a quiet machine and is run again "
        f"if other processes took more than {QUIET:.0%} of the CPU meanwhile:\n\n"
        + "\n".join(f"- {line}" for line in log)
        + "\n"
    )
    results["contention_log"] = log
    text = "\n".join(lines)
    print(text)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        threads = f"-t{torch.get_num_threads()}" if device.type == "cpu" else ""
        stem = f"profile-fidelity-{device.type}{threads}-{args.dtype}-b{args.batch_size}"
        (args.out / f"{stem}.md").write_text(text, encoding="utf-8")
        (args.out / f"{stem}.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0 if results["fidelity_ok"] else 1


_DEPTHS = ("modules", "branches")


def _heading(env: dict[str, Any], args: argparse.Namespace) -> str:
    return (
        f"### Profile fidelity: {env['device']} ({env['device_name']}), {args.dtype}, "
        f"batch {args.batch_size}, input {args.input_size}\n\n"
        + machine_line(env)
        + f"- Network: the `paper` variant (Table 1), inference (eval mode, inference_mode); "
        f"{args.warmup} warm-up and {args.repeats} timed passes of each kind per profile.\n"
    )


def _fidelity(profiles: dict[str, LatencyProfile], floor: float, results: dict[str, Any]) -> str:
    rows = []
    ok = True
    for depth, p in profiles.items():
        within = abs(p.gap_share) <= floor
        ok &= within
        rows.append(
            f"| {depth} | {len(p.blocks)} | {p.end_to_end.median_ms:.3f} | "
            f"{p.blocks_sum_ms:.3f} | {p.blocks_per_pass.median_ms:.3f} | "
            f"{p.gap_ms:+.3f} | {100 * p.gap_share:+.2f}% | {'yes' if within else 'NO'} |"
        )
        results[f"fidelity_{depth}"] = p.summary()
    results["fidelity_ok"] = ok
    return (
        f"#### 1. Sum of block medians against the end-to-end median (floor ±{floor:.0%})\n\n"
        "| depth | blocks | end to end, median ms | sum of block medians ms | "
        "blocks per stamped pass, median ms | gap ms | gap | within |\n"
        "|---|---:|---:|---:|---:|---:|---:|---|\n" + "\n".join(rows) + "\n"
    )


def _repeatability(runs: list[LatencyProfile], results: dict[str, Any]) -> str:
    medians = {b.id: [r.blocks[i].latency.median_ms for r in runs] for i, b in
               enumerate(runs[0].blocks)}  # fmt: skip
    share = {b.id: b.latency.median_ms / runs[0].blocks_sum_ms for b in runs[0].blocks}
    spread = {name: (max(m) - min(m)) / statistics.mean(m) for name, m in medians.items()}
    big = {name: s for name, s in spread.items() if share[name] >= 0.02}
    whole = [r.end_to_end.median_ms for r in runs]
    whole_spread = (max(whole) - min(whole)) / statistics.mean(whole)
    results["repeatability"] = {
        "runs": len(runs),
        "block_medians_ms": medians,
        "spread_by_block": spread,
        "end_to_end_medians_ms": whole,
    }
    worst = max(spread, key=lambda n: spread[n])
    worst_big = max(big, key=lambda n: big[n])
    table = "\n".join(
        f"| {name} | {100 * share[name]:.1f}% | "
        + " | ".join(f"{m:.3f}" for m in medians[name])
        + f" | {100 * spread[name]:.1f}% |"
        for name in medians
    )
    heads = " | ".join(f"run {i + 1} ms" for i in range(len(runs)))
    return (
        f"#### 2. Repeatability: the same profile {len(runs)} times\n\n"
        f"- Spread of a block's median across runs, (max − min) / mean: median over blocks "
        f"{100 * statistics.median(spread.values()):.1f}%; largest over the blocks holding at "
        f"least 2% of the time {100 * big[worst_big]:.1f}% ({worst_big}); largest over all "
        f"blocks {100 * spread[worst]:.1f}% ({worst}).\n"
        f"- End-to-end medians: {', '.join(f'{w:.3f}' for w in whole)} ms "
        f"(spread {100 * whole_spread:.1f}%).\n\n"
        f"| block | share of time | {heads} | spread |\n"
        f"|---|---:|{'---:|' * len(runs)}---:|\n{table}\n"
    )


def _speed(
    model: torch.nn.Module, device: torch.device, args: argparse.Namespace, results: dict[str, Any]
) -> str:
    from gnet_inspect.measure.devices import resolve_dtype

    dtype = resolve_dtype(args.dtype)
    hand = HandwrittenGoogLeNet()
    copy_weights(model, hand)
    built = build_model(model.spec)
    built.load_state_dict(model.state_dict())
    built, hand = built.eval().to(device, dtype), hand.eval().to(device, dtype)
    shape = (args.batch_size, 3, args.input_size, args.input_size)
    x = torch.randn(shape, generator=torch.Generator().manual_seed(0)).to(device, dtype)
    with torch.inference_mode():
        difference = (built(x).float() - hand(x).float()).abs().max().item()
        timer = _timer(device)
        for _ in range(args.warmup):
            timer(built, x)
            timer(hand, x)
        pairs = []
        for i in range(args.speed_pairs):
            if i % 2 == 0:
                b, h = timer(built, x), timer(hand, x)
            else:
                h, b = timer(hand, x), timer(built, x)
            pairs.append((b, h))
    built_ms = statistics.median(b for b, _ in pairs)
    hand_ms = statistics.median(h for _, h in pairs)
    ratios = sorted(b / h for b, h in pairs)
    deciles = statistics.quantiles(ratios, n=10, method="inclusive")
    results["speed"] = {
        "largest_output_difference": difference,
        "pairs": len(pairs),
        "built_median_ms": built_ms,
        "handwritten_median_ms": hand_ms,
        "ratio_of_medians": built_ms / hand_ms,
        "median_pair_ratio": statistics.median(ratios),
        "pair_ratio_p10": deciles[0],
        "pair_ratio_p90": deciles[-1],
    }
    return (
        "#### 3. Built from the table against the hand-written GoogLeNet\n\n"
        f"- Same weights; largest difference between their outputs: {difference:.3g}"
        f"{' (bit for bit the same)' if difference == 0 else ''}.\n"
        f"- {len(pairs)} interleaved pairs of forward passes (order alternating), after "
        f"{args.warmup} warm-up pairs: built {built_ms:.3f} ms median, hand-written "
        f"{hand_ms:.3f} ms median; ratio of medians {built_ms / hand_ms:.3f}; per-pair ratio "
        f"built ÷ hand-written: median {statistics.median(ratios):.3f}, p10 {deciles[0]:.3f}, "
        f"p90 {deciles[-1]:.3f}.\n"
    )


def _timer(device: torch.device) -> Callable[[torch.nn.Module, torch.Tensor], float]:
    """One forward pass timed in ms: CUDA events around it on a GPU, the host clock on a CPU."""
    if device.type == "cuda":
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)

        def cuda(model: torch.nn.Module, x: torch.Tensor) -> float:
            start.record()
            model(x)
            end.record()
            end.synchronize()
            return float(start.elapsed_time(end))

        return cuda

    def cpu(model: torch.nn.Module, x: torch.Tensor) -> float:
        begin = time.perf_counter_ns()
        model(x)
        return (time.perf_counter_ns() - begin) / 1e6

    return cpu


def _demote(profile: LatencyProfile) -> str:
    """The profile's Markdown with its heading as a bold line."""
    heading, rest = profile_markdown(profile).removeprefix("### ").split("\n", 1)
    return f"**{heading}**\n{rest}"


if __name__ == "__main__":
    raise SystemExit(main())
